"""The real-chain adapter: any EVM JSON-RPC node over HTTP (a Hardhat node in tests; Besu,
Quorum or a public chain in production), signing locally with the operator's private key."""

from __future__ import annotations

import requests
from web3 import HTTPProvider, Web3

from chain.artifacts import ContractSources
from chain.web3_chain import Web3Chain


class RpcChain(Web3Chain):
    """A chain reached at `rpc_url`. A node that does not answer within `timeout` seconds (down,
    frozen, unreachable) raises ChainUnavailable; web3's own retries are off so that the
    caller (the outbox) decides when to retry."""

    def __init__(
        self,
        rpc_url: str,
        operator_key: str | bytes,
        *,
        timeout: float = 10.0,
        sources: ContractSources | None = None,
        priority_fee_wei: int = 10**9,
    ) -> None:
        self.rpc_url = rpc_url
        provider = HTTPProvider(
            rpc_url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None
        )
        super().__init__(
            Web3(provider), operator_key, sources=sources, priority_fee_wei=priority_fee_wei
        )

    def _unavailable_errors(self) -> tuple[type[BaseException], ...]:
        return (requests.RequestException, ConnectionError, TimeoutError, OSError)

    def _describe(self) -> str:
        return f"the chain node at {self.rpc_url}"

    def close(self) -> None:
        """Nothing held open between calls (HTTP sessions are per-request pooled)."""
