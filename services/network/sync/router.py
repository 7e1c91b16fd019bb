from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from kit.errors import Forbidden, Unprocessable, problem_responses
from services.network.auth import NetworkRead
from services.network.settings import NetworkSettings
from services.network.sync import service
from services.network.sync.exceptions import ResyncRequired
from services.network.sync.schemas import ChangesPage

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])

MAX_WAIT_SECONDS = 30

DESCRIPTION = """
Every shared resource the caller's foundation may see, as changes in one order: one row per
resource, its latest state (`upsert`) or a `remove` (its tombstone, `reason: deleted`, or
`reason: access_lost` when the caller may no longer see it: visibility narrowed, it left
the network, the pairing ended).

- Start without `since`: a **full resync** (`resync: true`) of everything visible now.
- Then pass the `cursor` of each answer as `since`. While `more` is true, call again at
  once; when it is false, you have caught up.
- With `wait` (up to 30 s), a call that finds nothing new waits for the next change
  (a long poll) instead of answering empty at once.
- Apply a page and store its `cursor` in one transaction on your side: a retry then
  resumes exactly where you stopped. Paging while others write loses nothing; a resource
  changed meanwhile comes again, at its new state.
- **410** `resync-required`: the cursor is unknown or expired (the feed was rebuilt);
  start a full resync and remove what it does not deliver.
"""


@router.get(
    "/changes",
    response_model=ChangesPage,
    summary="The sync feed: what changed since your cursor",
    description=DESCRIPTION,
    responses=problem_responses(Forbidden, ResyncRequired, Unprocessable),
)
async def get_changes(
    request: Request,
    principal: NetworkRead,
    since: Annotated[
        str | None, Query(max_length=200, description="the cursor of your last page; empty: resync")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="changes per page")] = 100,
    wait: Annotated[
        float,
        Query(ge=0, le=MAX_WAIT_SECONDS, description="seconds to wait for a change if none is new"),
    ] = 0,
) -> Response:
    settings: NetworkSettings = request.app.state.settings
    page = await service.changes(
        request.app.state.database,
        principal.organisation_id,
        since or None,
        limit=limit,
        wait_seconds=wait,
        poll_seconds=settings.sync_poll_interval_seconds,
    )
    # Serialised once, here: a page of 1,000 resources is not validated a second time.
    return Response(page.model_dump_json(), media_type="application/json")
