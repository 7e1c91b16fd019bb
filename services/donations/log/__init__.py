"""The foundation's transparency log: a Merkle tree over its journal (RFC 9162)."""
