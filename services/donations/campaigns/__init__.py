"""Campaigns: fundraising drives with a goal, a purpose and a period."""
