"""Grants: restricted money received from other foundations, and grants paid to partners."""
