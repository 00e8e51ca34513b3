"""The chain adapter as the service uses it: made on first use, its contracts deployed (or
found) then, and answering 503 while the node is down. Shared by the contexts that send
transactions or read the chain (consent, audit, ledger); built in api/composition.py."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api.errors import Unavailable
from chain import Chain, ChainError, ChainUnavailable, Deployment, DevChain, SharedDevChain

log = logging.getLogger("ohms.chain")


class ChainGateway:
    """The chain adapter plus its deployment, made on first use (the node may be down at
    start-up; the service still starts and answers 503 for what needs the chain)."""

    def __init__(self, chain: Chain, address_book: Path) -> None:
        self.chain = chain
        self._address_book = address_book
        self._deployment: Deployment | None = None
        self._lock = threading.Lock()
        self._closed = False

    def ready(self) -> Chain:
        """The chain with the OHMS contracts attached; Unavailable when the node is down."""
        if self._deployment is None:
            with self._lock:
                if self._deployment is None:
                    try:
                        self._deployment = self.chain.deploy_contracts(self._address_book)
                    except ChainUnavailable as exc:
                        raise Unavailable("the blockchain node is unavailable") from exc
                    except ChainError as exc:
                        log.error("contract deployment failed", extra={"error": str(exc)})
                        raise Unavailable("the consent contracts are not available") from exc
        return self.chain

    @property
    def deployment(self) -> Deployment:
        self.ready()
        assert self._deployment is not None
        return self._deployment

    def check(self) -> None:
        self.ready().block_number()

    @property
    def read_only_rpc(self) -> Callable[[str, list[Any], Any], dict[str, Any]] | None:
        """JSON-RPC answers of the embedded dev chain (None for an external node)."""
        chain = self.chain
        if not isinstance(chain, DevChain | SharedDevChain):
            return None

        def answer(method: str, params: list[Any], call_id: Any) -> dict[str, Any]:
            try:
                return {"jsonrpc": "2.0", "id": call_id, "result": chain.read_rpc(method, params)}
            except Exception as exc:  # noqa: BLE001 - bad input raises many kinds in eth-tester
                return {"jsonrpc": "2.0", "id": call_id,
                        "error": {"code": -32602, "message": type(exc).__name__}}

        return answer

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.chain.close()
