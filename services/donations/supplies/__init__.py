"""Supplies: goods donated in kind or bought, held in stock, and distributed to recipients."""
