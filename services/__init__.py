"""The three services: donations, partners and network. None imports another."""
