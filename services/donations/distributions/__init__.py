"""Distributions: goods given out from a campaign's stock to recipients."""
