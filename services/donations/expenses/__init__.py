"""Expenses other than purchases of supplies, paid only after someone else approved them."""
