"""Donations imported from a host platform's CSV export."""
