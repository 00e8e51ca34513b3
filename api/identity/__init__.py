"""Identity: people with UHIDs, passwords, tokens, wallet sign-in."""
