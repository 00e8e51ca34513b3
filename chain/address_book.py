"""The address book: where the OHMS contracts were deployed, per chain id, kept as a JSON file
at a path the caller chooses, so a restarted service finds its contracts instead of deploying
new ones. A lock file serialises deployers (several API processes starting together)."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chain.errors import InvalidChainRequest
from chain.port import Deployment


class AddressBook:
    """`{"chains": {"<chain id>": {"ConsentRegistry": ..., "AuditAnchor": ..., ...}}}`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def get(self, chain_id: int) -> Deployment | None:
        entry = self._read().get(str(chain_id))
        if entry is None:
            return None
        try:
            return Deployment(
                chain_id=chain_id,
                consent_registry=str(entry["ConsentRegistry"]),
                audit_anchor=str(entry["AuditAnchor"]),
                block_number=int(entry["block_number"]),
                source_hash=str(entry["source_hash"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidChainRequest(
                f"address book {self.path} has a malformed entry for chain {chain_id}"
            ) from error

    def put(self, deployment: Deployment) -> None:
        chains = self._read()
        chains[str(deployment.chain_id)] = {
            "ConsentRegistry": deployment.consent_registry,
            "AuditAnchor": deployment.audit_anchor,
            "block_number": deployment.block_number,
            "source_hash": deployment.source_hash,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".address-book-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump({"chains": chains}, stream, indent=2, sort_keys=True)
                stream.write("\n")
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive lock on the book while checking and deploying."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            chains = document["chains"]
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidChainRequest(f"address book {self.path} is not readable JSON") from error
        if not isinstance(chains, dict):
            raise InvalidChainRequest(f"address book {self.path} is malformed")
        return chains
