"""Donations of money to a campaign."""
