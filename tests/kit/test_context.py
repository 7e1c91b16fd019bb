from __future__ import annotations

import uuid

from kit.context import clean_request_id, continue_trace, new_request_id


def test_continues_a_valid_traceparent_with_a_new_span() -> None:
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    trace = continue_trace(parent)
    assert trace.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace.span_id != "00f067aa0ba902b7"
    assert trace.traceparent.startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")


def test_starts_a_new_trace_for_invalid_or_missing() -> None:
    for bad in (None, "", "garbage", "00-" + "0" * 32 + "-00f067aa0ba902b7-01"):
        trace = continue_trace(bad)
        assert len(trace.trace_id) == 32
        assert trace.trace_id != "0" * 32


def test_request_id_kept_when_sane_replaced_when_not() -> None:
    assert clean_request_id("abc-123") == "abc-123"
    assert clean_request_id("bad id\nwith newline") != "bad id\nwith newline"
    assert clean_request_id("x" * 500) != "x" * 500


def test_new_request_ids_are_canonical_random_uuids() -> None:
    ids = [new_request_id() for _ in range(200)]
    assert len(set(ids)) == len(ids)
    for made in ids:
        parsed = uuid.UUID(made)
        assert str(parsed) == made
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
