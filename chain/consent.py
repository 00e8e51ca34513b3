"""Consent messages: the EIP-712 typed data a patient signs to grant or revoke access, as
ConsentRegistry checks it, and the scope and purpose vocabulary shared with the contract.

A scope is text, `category:<name>` or `record:<id>`; the contract keys grants by its keccak256
hash (`scope_hash`). `category:all` covers every record of the patient. A grant's id is the
EIP-712 digest of its signed message, so it is known before the grant is relayed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from eth_utils.hexadecimal import is_hex

from chain.errors import InvalidChainRequest

DOMAIN_NAME = "OHMS ConsentRegistry"
DOMAIN_VERSION = "1"
ALL_SCOPE = "category:all"
_SCOPE_PATTERN = re.compile(r"^(category:[a-z][a-z0-9_-]{0,62}|record:[A-Za-z0-9._:-]{1,128})$")
_UINT64_MAX = 2**64 - 1


class Purpose(IntEnum):
    """Purpose of use carried by a grant, as the contract's uint8."""

    TREATMENT = 0
    CLAIM = 1
    RESEARCH = 2
    EMERGENCY = 3


EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
GRANT_TYPE = [
    {"name": "patient", "type": "address"},
    {"name": "grantee", "type": "address"},
    {"name": "scope", "type": "string"},
    {"name": "purpose", "type": "uint8"},
    {"name": "dataFrom", "type": "uint64"},
    {"name": "dataTo", "type": "uint64"},
    {"name": "expiry", "type": "uint64"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
REVOKE_TYPE = [
    {"name": "patient", "type": "address"},
    {"name": "grantId", "type": "bytes32"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


@dataclass(frozen=True)
class ConsentDomain:
    """The EIP-712 domain of one deployed ConsentRegistry."""

    chain_id: int
    verifying_contract: str

    def as_typed_data(self) -> dict[str, Any]:
        return {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": self.chain_id,
            "verifyingContract": to_checksum_address(self.verifying_contract),
        }


@dataclass(frozen=True)
class GrantTerms:
    """What a patient grants. Times are unix seconds; `data_from`/`data_to` 0 = unbounded."""

    patient: str
    grantee: str
    scope: str
    purpose: Purpose
    expiry: int
    nonce: int
    deadline: int
    data_from: int = 0
    data_to: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "patient", checksum(self.patient, "patient"))
        object.__setattr__(self, "grantee", checksum(self.grantee, "grantee"))
        object.__setattr__(self, "purpose", parse_purpose(self.purpose))
        validate_scope(self.scope)
        for field in ("expiry", "data_from", "data_to"):
            _check_uint(getattr(self, field), field, _UINT64_MAX)
        _check_uint(self.nonce, "nonce", 2**256 - 1)
        _check_uint(self.deadline, "deadline", 2**256 - 1)
        if self.data_to and self.data_from > self.data_to:
            raise InvalidChainRequest("data_from is after data_to")

    def as_message(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "grantee": self.grantee,
            "scope": self.scope,
            "purpose": int(self.purpose),
            "dataFrom": self.data_from,
            "dataTo": self.data_to,
            "expiry": self.expiry,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }


@dataclass(frozen=True)
class RevocationTerms:
    """A patient's revocation of one grant."""

    patient: str
    grant_id: str
    nonce: int
    deadline: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "patient", checksum(self.patient, "patient"))
        object.__setattr__(self, "grant_id", bytes32_hex(self.grant_id, "grant_id"))
        _check_uint(self.nonce, "nonce", 2**256 - 1)
        _check_uint(self.deadline, "deadline", 2**256 - 1)

    def as_message(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "grantId": self.grant_id,
            "nonce": self.nonce,
            "deadline": self.deadline,
        }


def grant_typed_data(domain: ConsentDomain, terms: GrantTerms) -> dict[str, Any]:
    """The typed data to sign with `eth_signTypedData_v4` for a grant."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, "Grant": GRANT_TYPE},
        "primaryType": "Grant",
        "domain": domain.as_typed_data(),
        "message": terms.as_message(),
    }


def revoke_typed_data(domain: ConsentDomain, terms: RevocationTerms) -> dict[str, Any]:
    """The typed data to sign with `eth_signTypedData_v4` for a revocation."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, "Revoke": REVOKE_TYPE},
        "primaryType": "Revoke",
        "domain": domain.as_typed_data(),
        "message": terms.as_message(),
    }


def parse_grant(typed_data: Any) -> tuple[ConsentDomain, GrantTerms]:
    """Read back grant typed data submitted by a client; refuse anything not of our shape."""
    domain, message = _parse_typed_data(typed_data, "Grant", GRANT_TYPE)
    try:
        terms = GrantTerms(
            patient=message["patient"],
            grantee=message["grantee"],
            scope=message["scope"],
            purpose=message["purpose"],
            data_from=_as_int(message["dataFrom"], "dataFrom"),
            data_to=_as_int(message["dataTo"], "dataTo"),
            expiry=_as_int(message["expiry"], "expiry"),
            nonce=_as_int(message["nonce"], "nonce"),
            deadline=_as_int(message["deadline"], "deadline"),
        )
    except KeyError as missing:
        raise InvalidChainRequest(f"grant message lacks {missing}") from None
    return domain, terms


def parse_revocation(typed_data: Any) -> tuple[ConsentDomain, RevocationTerms]:
    """Read back revocation typed data submitted by a client."""
    domain, message = _parse_typed_data(typed_data, "Revoke", REVOKE_TYPE)
    try:
        terms = RevocationTerms(
            patient=message["patient"],
            grant_id=message["grantId"],
            nonce=_as_int(message["nonce"], "nonce"),
            deadline=_as_int(message["deadline"], "deadline"),
        )
    except KeyError as missing:
        raise InvalidChainRequest(f"revocation message lacks {missing}") from None
    return domain, terms


def typed_data_digest(typed_data: dict[str, Any]) -> str:
    """The EIP-712 digest (0x hex) of typed data; for a grant, its grant id."""
    signable = _signable(typed_data)
    return "0x" + keccak(b"\x19" + signable.version + signable.header + signable.body).hex()


def sign_typed_data(private_key: str | bytes, typed_data: dict[str, Any]) -> str:
    """Sign typed data as a wallet's `eth_signTypedData_v4` would (0x hex, 65 bytes).

    For the Python client and for custodial keys; patients with a wallet sign in the wallet.
    """
    signed = Account.sign_message(_signable(typed_data), private_key)
    return "0x" + bytes(signed.signature).hex()


def recover_signer(typed_data: dict[str, Any], signature: str) -> str:
    """The address that produced `signature` over `typed_data` (ECDSA signatures only)."""
    try:
        recovered: str = Account.recover_message(
            _signable(typed_data), signature=signature_bytes(signature)
        )
    except (ValueError, TypeError) as error:
        raise InvalidChainRequest(f"signature cannot be recovered: {error}") from error
    return recovered


def scope_hash(scope: str) -> bytes:
    """The bytes32 key of a scope text, as the contract computes it."""
    validate_scope(scope)
    return keccak(text=scope)


def record_scope(record_id: str) -> str:
    return f"record:{record_id}"


def category_scope(category: str) -> str:
    return f"category:{category}"


def validate_scope(scope: object) -> None:
    if not isinstance(scope, str) or not _SCOPE_PATTERN.match(scope):
        raise InvalidChainRequest(
            "scope must be `category:<name>` or `record:<id>` (letters, digits, . _ : -)"
        )


def parse_purpose(purpose: object) -> Purpose:
    """A Purpose from its enum, number or name (`treatment`, `claim`, ...)."""
    if isinstance(purpose, Purpose):
        return purpose
    try:
        if isinstance(purpose, str) and not purpose.isdigit():
            return Purpose[purpose.upper()]
        if isinstance(purpose, bool):
            raise ValueError(purpose)
        return Purpose(int(purpose))  # type: ignore[call-overload]
    except (KeyError, ValueError, TypeError):
        names = ", ".join(member.name.lower() for member in Purpose)
        raise InvalidChainRequest(f"purpose must be one of {names}") from None


def checksum(address: object, field: str) -> str:
    if not isinstance(address, str) or not is_hex(address) or len(address) != 42:
        raise InvalidChainRequest(f"{field} is not an Ethereum address")
    try:
        return str(to_checksum_address(address))
    except ValueError as error:
        raise InvalidChainRequest(f"{field} is not an Ethereum address") from error


def bytes32_hex(value: object, field: str) -> str:
    """Normalise a 32-byte value given as bytes or 0x hex to lower-case 0x hex."""
    if isinstance(value, bytes | bytearray) and len(value) == 32:
        return "0x" + bytes(value).hex()
    if isinstance(value, str) and is_hex(value) and len(value) == 66 and value[:2] == "0x":
        return value.lower()
    raise InvalidChainRequest(f"{field} must be 32 bytes in 0x hex")


def signature_bytes(signature: object) -> bytes:
    """A signature given as 0x hex (65-byte ECDSA, or longer for ERC-1271 wallets) as bytes."""
    if isinstance(signature, bytes | bytearray):
        raw = bytes(signature)
    elif isinstance(signature, str) and is_hex(signature) and signature.startswith("0x"):
        try:
            raw = bytes.fromhex(signature[2:])
        except ValueError:
            raise InvalidChainRequest("signature is not valid hex") from None
    else:
        raise InvalidChainRequest("signature must be 0x hex")
    if not raw or len(raw) > 4096:
        raise InvalidChainRequest("signature has an impossible length")
    return raw


def _signable(typed_data: dict[str, Any]) -> SignableMessage:
    try:
        return encode_typed_data(full_message=typed_data)
    except (ValueError, TypeError, KeyError) as error:
        raise InvalidChainRequest(f"typed data cannot be encoded: {error}") from error


def _parse_typed_data(
    typed_data: Any, primary_type: str, expected_fields: list[dict[str, str]]
) -> tuple[ConsentDomain, dict[str, Any]]:
    if not isinstance(typed_data, dict):
        raise InvalidChainRequest("typed data must be an object")
    types = typed_data.get("types")
    if (
        typed_data.get("primaryType") != primary_type
        or not isinstance(types, dict)
        or types.get(primary_type) != expected_fields
        or types.get("EIP712Domain", EIP712_DOMAIN_TYPE) != EIP712_DOMAIN_TYPE
    ):
        raise InvalidChainRequest(f"typed data is not an OHMS {primary_type} message")
    domain = typed_data.get("domain")
    message = typed_data.get("message")
    if not isinstance(domain, dict) or not isinstance(message, dict):
        raise InvalidChainRequest("typed data lacks its domain or message")
    if domain.get("name") != DOMAIN_NAME or str(domain.get("version")) != DOMAIN_VERSION:
        raise InvalidChainRequest("typed data is for another contract")
    parsed = ConsentDomain(
        chain_id=_as_int(domain.get("chainId"), "chainId"),
        verifying_contract=checksum(domain.get("verifyingContract"), "verifyingContract"),
    )
    return parsed, message


def _as_int(value: object, field: str) -> int:
    if isinstance(value, bool):
        raise InvalidChainRequest(f"{field} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            pass
    raise InvalidChainRequest(f"{field} must be an integer")


def _check_uint(value: object, field: str, maximum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise InvalidChainRequest(f"{field} must be an integer between 0 and {maximum}")
