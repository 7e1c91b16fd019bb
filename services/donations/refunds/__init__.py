"""Refunds of money donations: new ledger entries, never edits of the donation."""
