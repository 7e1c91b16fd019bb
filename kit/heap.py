"""Keep the garbage collector off what an app builds at start-up.

An app's start leaves a few hundred thousand long-lived objects (routes, models,
SQLAlchemy's mappers and compiled statements, pydantic's validators). Python's full
collection walks all of them; under load it ran every second or so and took 100-200 ms
each time on a busy 2-core machine (a fifth of the process's time, and every request in
flight waits for it). :func:`frozen_heap` moves them out of the collector's sight
(:func:`gc.freeze`) for the app's life; objects made per request are collected as before.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze what exists now for the block's duration; wrap an app's running lifespan.

    No collection runs first (it would cost every test's app start): a cycle of garbage
    frozen with the rest is collected after the block, when it is unfrozen."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
