"""Transparency reports: a campaign's public account of money and goods in and out."""
