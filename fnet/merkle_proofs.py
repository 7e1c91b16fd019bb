"""Checking a transparency log's proofs, as a client does: RFC 9162 sections 2.1.3.2
(inclusion) and 2.1.4.2 (consistency), written apart from the server's tree code so that a
mistake in one is not repeated in the other.

Hashes are raw 32-byte SHA-256 digests. Each function answers whether the proof holds; a
proof of the wrong length or with a wrong hash does not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def hash_leaf(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``path`` proves the leaf with hash ``leaf_hash`` at ``index`` is in the tree
    of ``size`` leaves whose root is ``root``."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree of ``first`` leaves (root ``first_root``) is a
    prefix of the tree of ``second`` leaves (root ``second_root``)."""
    if first <= 0 or first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    path = list(proof)
    # If first is a power of two, the proof omits the old root: it is the first subtree.
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
