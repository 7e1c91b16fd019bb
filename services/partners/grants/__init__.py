"""Grants partner organisations received from the foundation, as the donations service
announced them (``donations.grant.paid``); never read from the donations database."""
