"""The one rule every dated record shares: it tells what has happened, so it is never dated
in the future. ``CLOCK_SKEW`` forgives a caller's clock running a little ahead of ours."""

from __future__ import annotations

import datetime as dt

from kit.errors import FieldProblem, Unprocessable

CLOCK_SKEW = dt.timedelta(minutes=5)


class DatedInFuture(Unprocessable):
    slug, title = "dated-in-future", "A record cannot be dated in the future"


def dated_in_future(field: str, value: dt.date) -> DatedInFuture:
    """The problem for ``field``, dated ``value``, which lies in the future."""
    return DatedInFuture(
        f"{field} {value.isoformat()} is in the future",
        errors=[FieldProblem(field=field, message="is in the future", code="future")],
    )


def not_in_future(when: dt.datetime | None, now: dt.datetime, field: str) -> dt.datetime:
    """``when``, or ``now`` if the caller gave none. Raises :class:`DatedInFuture` naming
    ``field`` if ``when`` is later than ``now`` by more than ``CLOCK_SKEW``."""
    if when is None:
        return now
    if when > now + CLOCK_SKEW:
        raise dated_in_future(field, when)
    return when
