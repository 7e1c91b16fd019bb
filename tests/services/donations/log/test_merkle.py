"""The log's tree code against an independent implementation (pymerkle) and against the
client's proof checking (fnet.merkle_proofs), which is written apart from it."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from fnet.merkle_proofs import hash_leaf, verify_consistency, verify_inclusion
from services.donations.log import merkle

SIZES = range(1, 40)


def entries(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


def stored_tree(n: int, batch: int = 3) -> dict[merkle.Node, bytes]:
    """Every node the log stores for ``n`` entries, appended ``batch`` at a time as a
    sequencer does."""
    nodes: dict[merkle.Node, bytes] = {}
    leaves = [merkle.leaf_hash(e) for e in entries(n)]
    for first in range(0, n, batch):
        known = {node: nodes[node] for node in merkle.frontier(first)}
        nodes.update(merkle.completed_nodes(first, leaves[first : first + batch], known))
    return nodes


def reference(n: int) -> InmemoryTree:
    tree = InmemoryTree(algorithm="sha256")
    for entry in entries(n):
        tree.append_entry(entry)
    return tree


def root(n: int, nodes: dict[merkle.Node, bytes]) -> bytes:
    return merkle.range_hash(0, n, nodes)


def hashes(ranges: list[merkle.Range], nodes: dict[merkle.Node, bytes]) -> list[bytes]:
    needed = merkle.nodes_for(ranges)
    assert needed <= nodes.keys()
    return [merkle.range_hash(start, end, nodes) for start, end in ranges]


@pytest.mark.parametrize("n", SIZES)
def test_roots_match_the_reference(n: int) -> None:
    nodes = stored_tree(n)
    assert root(n, nodes) == reference(n).get_root()
    # A tree keeps every earlier root: the stored nodes of 40 entries give each smaller one.
    assert root(n, stored_tree(40)) == reference(n).get_root()


def test_only_perfect_subtrees_are_stored() -> None:
    nodes = stored_tree(13)
    assert all(index * (1 << level) + (1 << level) <= 13 for level, index in nodes)
    assert len(nodes) == 13 + 6 + 3 + 1  # leaves, pairs, fours, one eight


@pytest.mark.parametrize("n", SIZES)
def test_every_inclusion_proof_verifies(n: int) -> None:
    nodes = stored_tree(n)
    tree_root = root(n, nodes)
    for index in range(n):
        path = hashes(merkle.inclusion_ranges(index, n), nodes)
        leaf = hash_leaf(entries(n)[index])
        assert verify_inclusion(leaf, index, n, path, tree_root)
        assert not verify_inclusion(leaf, index, n, path, hashlib.sha256(b"x").digest())
        if path:
            broken = [*path[:-1], hashlib.sha256(path[-1]).digest()]
            assert not verify_inclusion(leaf, index, n, broken, tree_root)
        if n > 1:
            assert not verify_inclusion(leaf, (index + 1) % n, n, path, tree_root)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 21, 32])
def test_inclusion_paths_equal_the_references(n: int) -> None:
    nodes = stored_tree(n)
    for index in range(n):
        ours = [h.hex() for h in hashes(merkle.inclusion_ranges(index, n), nodes)]
        theirs = reference(n).prove_inclusion(index + 1, n).serialize()["path"]
        # pymerkle's path is the leaf's own hash followed by the same siblings.
        leaf = merkle.leaf_hash(entries(n)[index]).hex()
        assert theirs[0] in (leaf, ours[0] if ours else leaf)
        assert set(theirs) == {leaf, *ours}
        assert len(theirs) == len(ours) + 1


@pytest.mark.parametrize("n", SIZES)
def test_every_consistency_proof_verifies(n: int) -> None:
    nodes = stored_tree(n)
    new_root = root(n, nodes)
    for m in range(1, n + 1):
        old_root = reference(m).get_root()
        proof = hashes(merkle.consistency_ranges(m, n), nodes)
        assert verify_consistency(m, n, old_root, new_root, proof), (m, n)
        # A head that does not extend the old one (a forked log) fails.
        forked = hashlib.sha256(old_root).digest()
        assert not verify_consistency(m, n, forked, new_root, proof)
        if proof:
            assert not verify_consistency(m, n, old_root, new_root, proof[:-1])


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3000).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_consistency_on_larger_trees(sizes: tuple[int, int]) -> None:
    m, n = sizes
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(n)]
    nodes = merkle.completed_nodes(0, leaves, {})
    proof = hashes(merkle.consistency_ranges(m, n), nodes)
    assert verify_consistency(m, n, root(m, nodes), root(n, nodes), proof)
    index = (m * 7919) % n
    path = hashes(merkle.inclusion_ranges(index, n), nodes)
    assert verify_inclusion(leaves[index], index, n, path, root(n, nodes))
    assert len(path) <= n.bit_length()


def test_out_of_range_proofs_are_refused() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_ranges(5, 5)
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.consistency_ranges(6, 5)
    assert not verify_inclusion(b"\0" * 32, 5, 5, [], b"\0" * 32)
    assert not verify_consistency(0, 5, b"", b"", [])
