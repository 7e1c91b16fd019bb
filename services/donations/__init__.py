"""The donations service: campaigns, donations, and (later) the ledger and transparency."""
