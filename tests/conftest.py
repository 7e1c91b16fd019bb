from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support import BACKENDS, POSTGRES_URL, TestDatabases

if os.environ.get("CI") and not POSTGRES_URL:
    raise pytest.UsageError("CI must give FNET_TEST_POSTGRES_URL: PostgreSQL tests may not skip")


@pytest.fixture(scope="session")
async def databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TestDatabases]:
    dbs = TestDatabases(Path(tmp_path_factory.mktemp("databases")))
    yield dbs
    await dbs.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_unconfigure(config: pytest.Config) -> None:
    """The process exits next. A full run leaves a heap of a gigabyte or two, and the
    interpreter's last garbage collection walks all of it: minutes on a loaded 2-core
    machine, after the results are printed. Frozen objects are left out of that walk."""
    gc.freeze()
