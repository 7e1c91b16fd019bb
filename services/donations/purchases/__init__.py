"""Purchases: goods bought with a campaign's money, added to its stock at cost."""
