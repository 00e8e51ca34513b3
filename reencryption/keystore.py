"""Keystore: the convenience tier's server-side secrets, sealed at rest in one directory.

Institutions that do not run the Python client keep their Umbral key pairs here; the
service may also park kfrags here. Each item is one file `<directory>/items/<id>.sealed`,
sealed with AES-256-GCM under the key-encryption key given to the constructor (from the
service's settings, never stored in the directory or the database) and bound to its id,
so renaming or swapping files does not open them. `destroy` overwrites an item before
unlinking it.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

from reencryption.errors import (
    InvalidKeyMaterial,
    ItemExists,
    KeyNotFound,
    KeystoreUnavailable,
    WrongKeyEncryptionKey,
)
from reencryption.keys import PartyKeys, PublicKeys
from reencryption.sealing import Sealer

_ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
_SUFFIX = ".sealed"
_KIND_PARTY_KEYS = b"\x01"
_KIND_SECRET = b"\x02"


class Keystore:
    """Sealed secrets in a directory, under a key-encryption key that is not stored there."""

    def __init__(self, directory: str | os.PathLike[str], kek: bytes, *,
                 previous_keks: Sequence[bytes] = ()) -> None:
        self._sealer = Sealer(kek, b"keystore", previous_keks=previous_keks)
        self._items = Path(directory) / "items"
        self._tmp = Path(directory) / "tmp"
        try:
            for folder in (Path(directory), self._items, self._tmp):
                folder.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise KeystoreUnavailable(f"keystore directory {directory} is not usable") from exc
        self._check_kek()

    def _check_kek(self) -> None:
        """Fail at start-up, not at the first read, when the configured KEK is the wrong one."""
        for path in self._items.glob(f"*{_SUFFIX}"):
            with path.open("rb") as handle:
                header = handle.read(9)
            if len(header) == 9 and not self._sealer.knows(header[1:9]):
                raise WrongKeyEncryptionKey(
                    "this keystore was sealed under a different key-encryption key")
            return

    def _path(self, item_id: str) -> Path:
        if not _ITEM_ID.fullmatch(item_id):
            raise InvalidKeyMaterial(
                "keystore item ids are 1-128 characters of letters, digits and _.:- "
                "starting with a letter or digit")
        return self._items / f"{item_id}{_SUFFIX}"

    def _context(self, item_id: str) -> str:
        return f"keystore-item:{item_id}"

    def _write(self, item_id: str, plaintext: bytes, *, replace: bool) -> None:
        path = self._path(item_id)
        if path.exists() and not replace:
            raise ItemExists(f"keystore item {item_id!r} already exists")
        sealed = self._sealer.seal(plaintext, self._context(item_id))
        try:
            fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="item-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(sealed)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp_name, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp_name)
            _fsync_directory(self._items)
        except OSError as exc:
            raise KeystoreUnavailable(f"cannot write keystore item {item_id!r}") from exc

    def _read(self, item_id: str) -> bytes:
        path = self._path(item_id)
        try:
            sealed = path.read_bytes()
        except FileNotFoundError:
            raise KeyNotFound(item_id) from None
        except OSError as exc:
            raise KeystoreUnavailable(f"cannot read keystore item {item_id!r}") from exc
        return self._sealer.open(sealed, self._context(item_id))

    def store_party_keys(self, keys: PartyKeys, item_id: str | None = None, *,
                         replace: bool = False) -> str:
        """Seal a party's key pair; return its item id (a new random one when not given)."""
        chosen = item_id or uuid.uuid4().hex
        self._write(chosen, _KIND_PARTY_KEYS + keys.to_bytes(), replace=replace)
        return chosen

    def generate_party_keys(self, item_id: str | None = None) -> tuple[str, PublicKeys]:
        """Make and seal a new key pair; only its public half leaves the keystore."""
        keys = PartyKeys.generate()
        return self.store_party_keys(keys, item_id), keys.public

    def load_party_keys(self, item_id: str) -> PartyKeys:
        plaintext = self._read(item_id)
        if plaintext[:1] != _KIND_PARTY_KEYS:
            raise InvalidKeyMaterial(f"keystore item {item_id!r} is not a key pair")
        return PartyKeys.from_bytes(plaintext[1:])

    def store_secret(self, item_id: str, secret: bytes, *, replace: bool = False) -> None:
        """Seal opaque secret bytes (for example a serialised kfrag) under `item_id`."""
        self._write(item_id, _KIND_SECRET + secret, replace=replace)

    def load_secret(self, item_id: str) -> bytes:
        plaintext = self._read(item_id)
        if plaintext[:1] != _KIND_SECRET:
            raise InvalidKeyMaterial(f"keystore item {item_id!r} is not a sealed secret")
        return plaintext[1:]

    def contains(self, item_id: str) -> bool:
        return self._path(item_id).is_file()

    def item_ids(self) -> list[str]:
        return sorted(path.name[:-len(_SUFFIX)] for path in self._items.glob(f"*{_SUFFIX}"))

    def destroy(self, item_id: str) -> None:
        """Remove an item irrecoverably: overwrite it with random bytes, then unlink it.

        On copy-on-write or flash storage the overwrite may land elsewhere; what makes the
        old bytes useless regardless is that they are sealed under the KEK.
        """
        path = self._path(item_id)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise KeyNotFound(item_id) from None
        try:
            with path.open("r+b") as handle:
                handle.write(os.urandom(size))
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
            _fsync_directory(self._items)
        except OSError as exc:
            raise KeystoreUnavailable(f"cannot destroy keystore item {item_id!r}") from exc

    def reseal_all(self) -> int:
        """Re-seal items made under a previous KEK with the current one; return how many."""
        count = 0
        for item_id in self.item_ids():
            sealed = self._path(item_id).read_bytes()
            if self._sealer.needs_reseal(sealed):
                self._write(item_id, self._read(item_id), replace=True)
                count += 1
        return count


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
