"""Custodial wallets: Ethereum keys the service holds, sealed in the keystore, for people and
organisations without a wallet of their own."""
