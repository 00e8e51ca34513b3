"""The access log: every read of clinical data and every refusal, batched into Merkle trees
whose roots are anchored on chain, so any entry can be proven to a third party."""
