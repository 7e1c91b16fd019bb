"""Supplies: the goods a fund holds (stock items and their movements), and what the
packages that move them share. Goods come in as in-kind donations (``in_kind``) or
purchases (``purchases``) and leave as distributions (``distributions``)."""
