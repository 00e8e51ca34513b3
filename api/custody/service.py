"""Making custodial wallets and signing with them; the keys never leave the keystore but to
sign."""

from __future__ import annotations

import uuid

from eth_account import Account
from sqlalchemy.orm import Session

from api.custody.models import KeyCustody
from api.errors import Invalid
from reencryption.keystore import Keystore


def new_custodial_wallet(session: Session, keystore: Keystore, *,
                         user_id: uuid.UUID | None = None,
                         organization_id: uuid.UUID | None = None) -> str:
    """A fresh Ethereum key, sealed in the keystore, held for the user or the organisation;
    its address."""
    account = Account.create()
    item = f"eth-{account.address.lower()}"
    keystore.store_secret(item, bytes(account.key))
    session.add(KeyCustody(address=account.address, keystore_item=item, user_id=user_id,
                           organization_id=organization_id))
    return str(account.address)


def is_custodial(session: Session, address: str) -> bool:
    return session.get(KeyCustody, address) is not None


def custodial_key(session: Session, keystore: Keystore, address: str) -> bytes:
    """The private key of a wallet the service holds; Invalid for anyone else's."""
    custody = session.get(KeyCustody, address)
    if custody is None:
        raise Invalid("this wallet is not held by the service; sign in your own wallet")
    return keystore.load_secret(custody.keystore_item)
