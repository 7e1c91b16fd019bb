"""The foundation directory: every foundation in the network, readable by all of them."""
