"""The ledger: an append-only, double-entry, hash-chained journal per foundation."""
