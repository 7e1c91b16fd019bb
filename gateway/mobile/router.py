"""``GET /api/v1/mobile/home``: the home screen of the mobile app in one call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from gateway.auth import Authenticator
from gateway.limits import RateLimited, RateLimits
from gateway.mobile.schemas import MobileHome
from gateway.mobile.service import PATH, HomeScreen
from gateway.people.dependencies import CallerDep
from kit.errors import ServiceUnavailable, Unauthorized, problem_responses

router = APIRouter(tags=["mobile"])


def home_screen(request: Request) -> HomeScreen:
    """The app's one :class:`HomeScreen`, made on first use (its settings and upstream
    session are the app's)."""
    state = request.app.state
    screen: HomeScreen | None = getattr(state, "mobile_home", None)
    if screen is None:
        screen = state.mobile_home = HomeScreen(state.settings, state.upstreams)
    return screen


HomeScreenDep = Annotated[HomeScreen, Depends(home_screen)]


@router.get(
    PATH,
    response_model=MobileHome,
    summary="The mobile app's home screen in one call",
    description=(
        "Served by the gateway, which asks the services at once, as the caller: the "
        "foundation's open campaigns with their progress (donations), what is due in the "
        "next 30 days or overdue (the disclosure calendar; open milestones of active "
        "collaborations), the caller's collaborations (partners) and the newest shared "
        "resources they may see (network).\n\n"
        "Each part comes from one service within the gateway's "
        "`mobile_part_timeout_seconds` (3 s by default). A service that is down, slow or "
        "failing leaves its parts `null` and is named in `degraded`; the answer is still "
        "200. A part the caller holds no scope for (`campaigns:read`, `partners:read`, "
        "`network:read`) is `null` and not named. The services decide what the caller may "
        "see: a partner organisation's person gets only their partner's collaborations "
        "and milestones. For a signed-in person (`Authorization: Bearer <access token>`); "
        "an API key is taken too. Counts once against the caller's rate limit."
    ),
    responses={
        200: {"headers": {"Cache-Control": {"schema": {"type": "string"}}}},
        # 503: the gateway cannot check credentials (its database is down).
        **problem_responses(Unauthorized, RateLimited, ServiceUnavailable),
    },
)
async def mobile_home(request: Request, who: CallerDep, screen: HomeScreenDep) -> Response:
    limits: RateLimits = request.app.state.limits
    extra = await limits.check_principal(who.principal)
    authenticator: Authenticator = request.app.state.authenticator
    home = await screen.build(who.principal, authenticator.tokens.token_for(who.principal))
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in extra}
    # One caller's data: no cache may keep it.
    headers["Cache-Control"] = "no-store"
    return Response(home.model_dump_json(), media_type="application/json", headers=headers)
