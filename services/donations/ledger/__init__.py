"""The ledger: an append-only, double-entry journal per foundation, published entry by
entry in its transparency log (``services.donations.log``)."""
