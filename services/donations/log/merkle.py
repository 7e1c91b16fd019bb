"""The Merkle tree of a foundation's log, hashed as RFC 9162 (Certificate Transparency 2.0)
section 2.1 says, and the proofs it serves.

The tree over leaves ``D[0:n]`` is ``MTH``: the hash of one leaf is
``SHA-256(0x00 || leaf)``; of more, ``SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`` with
``k`` the largest power of two below ``n``. Every subtree such a split produces is either
*perfect* (``2**level`` leaves starting at a multiple of ``2**level``) or splits again into
a perfect left part and a smaller right part. So the log stores the hash of each perfect
subtree once, when its last leaf arrives (:func:`completed_nodes`), and computes any root
or proof from ``O(log n)`` of them: a proof first names the stored nodes it needs
(:func:`nodes_for`), the repository reads them in one query, and :func:`range_hash`
folds them.

Nodes are addressed ``(level, index)``: the perfect subtree of leaves
``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf hashes.

This is the server's side. Clients check proofs with code written apart from it
(``fnet.verify``), and the tests check both against an independent library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping

from services.donations.ledger import leaf as journal_leaf

Node = tuple[int, int]
Range = tuple[int, int]

# A leaf's hash is the journal's, which hashes each entry as it is posted.
LEAF_PREFIX = journal_leaf.LEAF_PREFIX
leaf_hash = journal_leaf.leaf_hash
NODE_PREFIX = b"\x01"

# MTH of no leaves: SHA-256 of the empty string (RFC 9162 section 2.1.1), as hex.
EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split(size: int) -> int:
    """``k`` of RFC 9162: the largest power of two smaller than ``size`` (``size >= 2``)."""
    return 1 << ((size - 1).bit_length() - 1)


def perfect(start: int, end: int) -> Node | None:
    """The stored node covering exactly ``[start, end)``, if that range is a perfect subtree."""
    size = end - start
    if size & (size - 1) or start % size:
        return None
    level = size.bit_length() - 1
    return level, start >> level


def _parts(start: int, end: int) -> Iterator[Node]:
    """The perfect subtrees whose hashes ``MTH(D[start:end])`` is folded from, left to right.
    ``start`` is the start of a subtree of the tree (a multiple of a power of two at least
    as large as ``end - start``), as every range a proof names is."""
    while True:
        node = perfect(start, end)
        if node is not None:
            yield node
            return
        k = split(end - start)
        yield from _parts(start, start + k)
        start += k


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    """Every stored node that :func:`range_hash` needs for these ranges."""
    return {node for start, end in ranges for node in _parts(start, end)}


def range_hash(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    """``MTH(D[start:end])`` from stored nodes (see :func:`nodes_for`)."""
    node = perfect(start, end)
    if node is not None:
        return nodes[node]
    k = split(end - start)
    return node_hash(range_hash(start, start + k, nodes), range_hash(start + k, end, nodes))


def root_range(size: int) -> list[Range]:
    return [(0, size)]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """RFC 9162 section 2.1.3.1: the audit path of leaf ``index`` in the tree of ``size``
    leaves, as the ranges whose hashes it lists, from the leaf's sibling up to the root's
    child."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    return path[::-1]


def consistency_ranges(old: int, new: int) -> list[Range]:
    """RFC 9162 section 2.1.4.1: the proof that the tree of ``old`` leaves is a prefix of the
    tree of ``new`` leaves, as the ranges whose hashes it lists."""
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from {old} to {new}")
    if old == new:
        return []
    proof: list[Range] = []
    start, end, whole = 0, new, True
    while True:
        if old - start == end - start:
            # SUBPROOF(m, D[m], b): the old tree is this subtree; name it unless it is the
            # whole old tree, which the verifier already holds.
            if not whole:
                proof.append((start, end))
            break
        k = split(end - start)
        if old - start <= k:
            proof.append((start + k, end))
            end = start + k
        else:
            proof.append((start, start + k))
            start, whole = start + k, False
    return proof[::-1]


def completed_nodes(
    first: int, leaves: Iterable[bytes], known: Mapping[Node, bytes]
) -> dict[Node, bytes]:
    """The nodes to store when leaf hashes ``leaves`` are appended at index ``first``: each
    leaf, and every perfect subtree that the new leaves complete. ``known`` must hold the
    stored nodes left of ``first`` that those subtrees join (:func:`frontier`)."""
    new: dict[Node, bytes] = {}
    nodes = dict(known)
    for offset, leaf in enumerate(leaves):
        index = first + offset
        level, position, value = 0, index, leaf
        new[(0, position)] = nodes[(0, position)] = value
        # A leaf at an odd position completes its parent; so does the parent, and so on.
        while position & 1:
            value = node_hash(nodes[(level, position - 1)], value)
            level, position = level + 1, position >> 1
            new[(level, position)] = nodes[(level, position)] = value
    return new


def frontier(size: int) -> list[Node]:
    """The stored nodes that the next leaves join: the perfect subtrees of the tree of
    ``size`` leaves that are still waiting for a right sibling (one per set bit of size)."""
    nodes: list[Node] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes
