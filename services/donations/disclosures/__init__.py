"""Disclosures (信息公开): the Charity Law's calendar, and frozen, hashed report snapshots."""
