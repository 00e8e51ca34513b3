"""OHMS chain library: the Chain port over ConsentRegistry and AuditAnchor, its embedded
(`DevChain`, and `SharedDevChain` for several processes) and JSON-RPC (`RpcChain`) adapters,
consent typed data and audit Merkle trees."""

from chain.address_book import AddressBook
from chain.artifacts import ContractArtifact, ContractSources, load_artifacts
from chain.consent import (
    ALL_SCOPE,
    ConsentDomain,
    GrantTerms,
    Purpose,
    RevocationTerms,
    category_scope,
    grant_typed_data,
    parse_grant,
    parse_revocation,
    record_scope,
    recover_signer,
    revoke_typed_data,
    scope_hash,
    sign_typed_data,
    typed_data_digest,
)
from chain.dev_chain import DevChain
from chain.errors import (
    ChainError,
    ChainInvalid,
    ChainNotFound,
    ChainReverted,
    ChainUnavailable,
    ContractBuildError,
    ContractsNotDeployed,
    InvalidChainRequest,
    NonceTooLow,
    TransactionRejected,
)
from chain.merkle import MerkleTree, leaf_hash, standard_leaf_hash, verify_proof
from chain.port import (
    AnchoredBatch,
    Chain,
    ChainEvent,
    Deployment,
    Receipt,
    SignedTransaction,
    StoredGrant,
    TransactionRequest,
)
from chain.rpc_chain import RpcChain
from chain.shared_dev_chain import SharedDevChain
from chain.web3_chain import Web3Chain

__all__ = [
    "ALL_SCOPE",
    "AddressBook",
    "AnchoredBatch",
    "Chain",
    "ChainError",
    "ChainEvent",
    "ChainInvalid",
    "ChainNotFound",
    "ChainReverted",
    "ChainUnavailable",
    "ConsentDomain",
    "ContractArtifact",
    "ContractBuildError",
    "ContractSources",
    "ContractsNotDeployed",
    "Deployment",
    "DevChain",
    "GrantTerms",
    "InvalidChainRequest",
    "MerkleTree",
    "NonceTooLow",
    "Purpose",
    "Receipt",
    "RevocationTerms",
    "RpcChain",
    "SharedDevChain",
    "SignedTransaction",
    "StoredGrant",
    "TransactionRejected",
    "TransactionRequest",
    "Web3Chain",
    "category_scope",
    "grant_typed_data",
    "leaf_hash",
    "load_artifacts",
    "parse_grant",
    "parse_revocation",
    "record_scope",
    "recover_signer",
    "revoke_typed_data",
    "scope_hash",
    "sign_typed_data",
    "standard_leaf_hash",
    "typed_data_digest",
    "verify_proof",
]


def _adapters_implement_the_port(dev: DevChain, rpc: RpcChain) -> tuple[Chain, Chain]:
    # Never called: mypy checks here that both adapters satisfy the Chain protocol.
    return dev, rpc
