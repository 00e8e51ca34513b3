"""The embedded chain: an in-process EVM (py-evm through eth-tester) whose whole database lives
in one SQLite file, so `make run` keeps its blocks, contracts and consents across restarts.

py-evm keeps everything (headers, blocks, receipts, state trie) in a key-value store; here that
store is one SQLite table in WAL mode, committed after each mined block. Reopening the file
rebuilds the chain at its stored head: block hashes, transaction hashes, contract addresses and
state are the same as before. Transactions are mined one per block as they arrive.

This relies on eth-tester and py-evm internals (their betas are pinned by the project): the
backend's genesis step is replaced by "open the stored chain, or write genesis once".

One process at a time: the file is locked while open (a second opener gets ChainUnavailable).
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.db.backends.base import BaseDB
from eth.db.chain import ChainDB
from eth.exceptions import CanonicalHeadNotFound, Revert
from eth.vm.forks.prague import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_tester import EthereumTester
from eth_tester.backends.pyevm.main import (
    PyEVMBackend,
    _execute_and_revert_transaction,
    generate_genesis_state_for_keys,
    get_default_account_keys,
    get_default_genesis_params,
)
from eth_tester.exceptions import TransactionFailed
from eth_typing import BlockNumber
from eth_utils.currency import to_wei
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import RPCEndpoint, RPCResponse

from chain.artifacts import ContractSources
from chain.errors import ChainUnavailable
from chain.port import TransactionRequest
from chain.web3_chain import Web3Chain

DEV_CHAIN_ID = 131277322940537
DEV_ACCOUNT_COUNT = 10
OPERATOR_FUNDING_WEI = to_wei(1000, "ether")


class SQLiteKeyValueStore(BaseDB):
    """py-evm's key-value database in one SQLite table; writes become durable on `commit`."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.execute(
            "CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) "
            "WITHOUT ROWID"
        )
        self._connection.commit()

    def __getitem__(self, key: bytes) -> bytes:
        row = self._connection.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        value: bytes = row[0]
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._connection.execute(
            "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, value)
        )

    def __delitem__(self, key: bytes) -> None:
        deleted = self._connection.execute("DELETE FROM kv WHERE key = ?", (key,))
        if deleted.rowcount == 0:
            raise KeyError(key)

    def _exists(self, key: bytes) -> bool:
        row = self._connection.execute("SELECT 1 FROM kv WHERE key = ?", (key,)).fetchone()
        return row is not None

    def __iter__(self) -> Iterator[bytes]:
        for (key,) in self._connection.execute("SELECT key FROM kv"):
            yield key

    def __len__(self) -> int:
        count: int = self._connection.execute("SELECT count(*) FROM kv").fetchone()[0]
        return count

    def commit(self) -> None:
        self._connection.commit()

    def rollback(self) -> None:
        self._connection.rollback()

    def close(self) -> None:
        self._connection.commit()
        self._connection.close()


class _DevMiningChain(MiningChain):
    """eth-tester's post-merge tester chain (same chain id and VM), built on our database."""

    chain_id = DEV_CHAIN_ID
    vm_configuration = ((BlockNumber(0), PragueVM),)

    def create_header_from_parent(self, parent_header: Any, **header_params: Any) -> Any:
        # eth-tester keeps the gas limit constant; the chain must behave the same after reopen.
        return super().create_header_from_parent(
            parent_header, **{**header_params, "gas_limit": parent_header.gas_limit}
        )

    def get_transaction_builder(self) -> Any:
        return super().get_vm().get_transaction_builder()


class PersistentPyEVMBackend(PyEVMBackend):  # type: ignore[misc]
    """eth-tester's py-evm backend on a SQLite store, committing after every block."""

    def __init__(self, store: SQLiteKeyValueStore, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock
        super().__init__()

    def reset_to_genesis(
        self,
        genesis_params: Any = None,
        genesis_state: Any = None,
        num_accounts: Any = None,
        vm_configuration: Any = None,
        mnemonic: Any = None,
        hd_path: Any = None,
    ) -> None:
        self.account_keys = get_default_account_keys(quantity=DEV_ACCOUNT_COUNT)
        base_db = AtomicDB(self._store)
        try:
            ChainDB(base_db).get_canonical_head()
        except CanonicalHeadNotFound:
            self.chain = _DevMiningChain.from_genesis(
                base_db,
                get_default_genesis_params(),
                generate_genesis_state_for_keys(self.account_keys),
            )
            self._store.commit()
        else:
            self.chain = _DevMiningChain(base_db)

    def mine_blocks(self, num_blocks: int = 1, coinbase: Any = None) -> Any:
        try:
            if coinbase is None:
                hashes = super().mine_blocks(num_blocks)
            else:
                hashes = super().mine_blocks(num_blocks, coinbase)
        except BaseException:
            self._store.rollback()
            raise
        self._store.commit()
        return hashes

    def _refresh_pending_timestamp(self) -> None:
        # The pending block was created when the previous block was mined; an idle dev chain
        # would otherwise stamp the next transaction with that old time (deadlines, expiries).
        pending = self.chain.get_block()
        if pending.transactions:
            return
        parent_timestamp = self.chain.get_canonical_head().timestamp
        timestamp = max(int(self._clock()), parent_timestamp + 1)
        chain: Any = self.chain
        if timestamp > chain.header.timestamp:
            chain.header = chain.header.copy(timestamp=timestamp)

    def send_raw_transaction(self, raw_transaction: bytes) -> Any:
        self._refresh_pending_timestamp()
        return super().send_raw_transaction(raw_transaction)

    def send_signed_transaction(self, signed_transaction: Any, block_number: Any = "latest") -> Any:
        self._refresh_pending_timestamp()
        return super().send_signed_transaction(signed_transaction, block_number)

    def send_transaction(self, transaction: Any) -> Any:
        self._refresh_pending_timestamp()
        return super().send_transaction(transaction)

    def call(self, transaction: Any, block_number: Any = "latest") -> Any:
        # eth-tester's own `call` renders custom-error revert data as a Python bytes repr; this
        # one raises the raw revert data as hex so the adapter decodes it like a node's.
        defaulted = dict(transaction)
        defaulted.setdefault("gas", self._max_available_gas())
        unsigned = self._get_normalized_and_unsigned_evm_transaction(defaulted, block_number)
        spoofed = SpoofTransaction(unsigned, from_=transaction["from"])
        computation = _execute_and_revert_transaction(self.chain, spoofed, block_number)
        if computation.is_error:
            error = computation.error
            if isinstance(error, Revert):
                data = error.args[0] if error.args and isinstance(error.args[0], bytes) else b""
                raise TransactionFailed(f"revert-data:0x{data.hex()}")
            raise TransactionFailed(str(error))
        return computation.output


class _SerialisedTesterProvider(EthereumTesterProvider):
    """eth-tester is not thread-safe: the API may call from several threads."""

    def __init__(self, tester: EthereumTester, lock: threading.RLock) -> None:
        super().__init__(tester)
        self._lock = lock

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        with self._lock:
            return super().make_request(method, params)


class DevChain(Web3Chain):
    """The embedded chain adapter, persisted in the SQLite file at `path`.

    Ten accounts are funded at genesis (eth-tester's well-known dev keys, `dev_private_keys`);
    the operator signs with the first unless `operator_key` is given, in which case that
    account is funded from the first dev account when it has no ether. `clock` gives the
    wall-clock time that stamps new blocks.
    """

    def __init__(
        self,
        path: Path,
        *,
        operator_key: str | bytes | None = None,
        sources: ContractSources | None = None,
        clock: Callable[[], float] = time.time,
        lock_wait_seconds: float = 0.0,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file = _lock_exclusively(self.path.with_name(self.path.name + ".lock"),
                                            wait_seconds=lock_wait_seconds)
        try:
            self._store = SQLiteKeyValueStore(self.path)
            self._backend = PersistentPyEVMBackend(self._store, clock)
            tester = EthereumTester(self._backend)
            self._rpc_lock = threading.RLock()
            provider = _SerialisedTesterProvider(tester, self._rpc_lock)
        except BaseException:
            self._lock_file.close()
            raise
        faucet_key = self.dev_private_keys[0]
        super().__init__(Web3(provider), operator_key or faucet_key, sources=sources)
        if operator_key is not None and self.balance(self.operator_address) == 0:
            self._fund(self.operator_address, faucet_key)

    READ_METHODS = frozenset({"eth_chainId", "net_version", "eth_blockNumber", "eth_getCode",
                              "eth_call"})

    def read_rpc(self, method: str, params: list[Any]) -> Any:
        """The JSON-RPC result (wire format) of one read call, so tools that speak JSON-RPC
        (an auditor's proof check) can read the in-process chain. Reads only."""
        w3 = self._w3
        block = params[1] if len(params) > 1 else "latest"
        if method == "eth_chainId":
            return hex(w3.eth.chain_id)
        if method == "net_version":
            return str(w3.eth.chain_id)
        if method == "eth_blockNumber":
            return hex(w3.eth.block_number)
        if method == "eth_getCode" and params:
            return "0x" + bytes(w3.eth.get_code(params[0], block)).hex()  # type: ignore[arg-type]
        if method == "eth_call" and params and isinstance(params[0], dict):
            call = {k: params[0][k] for k in ("to", "data", "from") if k in params[0]}
            # eth-tester charges calls to a sender; the operator can afford them.
            call.setdefault("from", self.operator_address)
            return "0x" + bytes(w3.eth.call(call, block)).hex()  # type: ignore[arg-type]
        raise ValueError(f"{method} is not a read call this chain answers")

    @property
    def dev_private_keys(self) -> list[str]:
        """The funded genesis accounts' keys (public, well-known: development only)."""
        return ["0x" + key.to_bytes().hex() for key in self._backend.account_keys]

    def _fund(self, account: str, faucet_key: str) -> None:
        faucet = self.with_operator(faucet_key)
        transfer: TransactionRequest = {
            "to": account, "data": "0x", "gas": 21_000, "value": OPERATOR_FUNDING_WEI
        }
        faucet.wait_for_receipt(faucet.send_transaction(transfer, faucet.pending_nonce()))

    def _unavailable_errors(self) -> tuple[type[BaseException], ...]:
        # A closed (or broken) database file: the chain cannot answer any more.
        return (sqlite3.Error,)

    def _describe(self) -> str:
        return f"the dev chain in {self.path}"

    def close(self) -> None:
        """Commit and release the file (the process may reopen it afterwards)."""
        # Under the call lock: a call in progress on another thread finishes first.
        with self._rpc_lock:
            if self._lock_file.closed:
                return
            try:
                self._store.close()
            finally:
                self._lock_file.close()


def _lock_exclusively(path: Path, *, wait_seconds: float = 0.0) -> IO[bytes]:
    """The open lock file, locked; ChainUnavailable when another holder keeps it longer than
    `wait_seconds`."""
    lock = open(path, "a+b")  # noqa: SIM115 - held open for the chain's lifetime
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock
        except BlockingIOError:
            if time.monotonic() >= deadline:
                lock.close()
                raise ChainUnavailable(
                    f"the dev chain {path.with_suffix('')} is open in another process"
                ) from None
            time.sleep(0.002)
