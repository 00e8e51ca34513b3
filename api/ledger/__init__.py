"""The ledger: every chain write of the service goes through a transactional outbox, and every
chain read it mirrors comes from an event indexer with a persisted cursor."""
