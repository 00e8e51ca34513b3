"""Domain errors of the chain library, in the NotFound / Invalid / Unavailable flavours the API
maps to 404, 4xx and 503; no web3, eth-tester or requests exception leaves the library."""

from __future__ import annotations

from collections.abc import Mapping


class ChainError(Exception):
    """Base of every error raised by the chain library."""


class ChainNotFound(ChainError):
    """Something asked for does not exist on this chain."""


class ContractsNotDeployed(ChainNotFound):
    """The OHMS contracts are not deployed (or not attached) on this chain."""


class ChainInvalid(ChainError):
    """The request or transaction is refused: bad input, a revert, or a node's rejection."""


class InvalidChainRequest(ChainInvalid):
    """Malformed input caught before anything is sent (bad address, scope, typed data...)."""


class ChainReverted(ChainInvalid):
    """A contract call or transaction reverted; `error_name` is the decoded custom error.

    `error_name` is the Solidity custom error (for example `InvalidPatientSignature`), `Error`
    for a `require` message, `Panic` for an assertion, or `unknown` when the revert data could
    not be decoded. `error_args` are the decoded arguments by name.
    """

    def __init__(
        self,
        error_name: str,
        error_args: Mapping[str, object] | None = None,
        *,
        tx_hash: str | None = None,
        detail: str = "",
    ) -> None:
        self.error_name = error_name
        self.error_args: dict[str, object] = dict(error_args or {})
        self.tx_hash = tx_hash
        rendered = ", ".join(f"{key}={value}" for key, value in self.error_args.items())
        message = f"reverted with {error_name}({rendered})"
        if detail:
            message = f"{message}: {detail}"
        super().__init__(message)


class TransactionRejected(ChainInvalid):
    """The node refused a signed transaction before executing it (fees, funds, format)."""


class NonceTooLow(TransactionRejected):
    """The transaction's nonce was already used: it (or another) was already mined."""


class ChainUnavailable(ChainError):
    """The node does not answer (down, unreachable, timed out) or the dev chain is locked."""


class ContractBuildError(ChainError):
    """The Solidity sources could not be compiled (compiler missing or a compile error)."""
