"""Validate a write request whole before anything else it needs runs.

FastAPI resolves a route's dependencies before it validates the body, and collects the
body's errors only at the end. A dependency that opens a transaction or takes a lock (the
campaign a donation goes to, locked against a concurrent close) would then do so for a
request that is about to be refused. :func:`validated_first` runs as the first dependency of
every route that :func:`kit.app.create_service_app` includes: for a request that may write,
it checks every path, query, header and cookie parameter of the route's whole dependency
tree and its JSON body, and refuses the request (422, 415) before any other dependency is
solved. FastAPI then validates the same values again, which costs microseconds; reads skip
the check, since they lock nothing.

A body that is not ``application/json`` is a 415 naming the type to send (FastAPI would
validate its bytes and answer "Input should be a valid dictionary").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_body_to_args, request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic_core import PydanticUndefined

from kit.errors import UnsupportedMediaType

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON_MEDIA_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class _Params:
    """A route's parameters, from its whole dependency tree, each kind in one list."""

    path: list[Any]
    query: list[Any]
    header: list[Any]
    cookie: list[Any]
    body: list[Any]
    embed_body: bool

    @classmethod
    def of(cls, route: APIRoute) -> _Params:
        path: list[Any] = []
        query: list[Any] = []
        header: list[Any] = []
        cookie: list[Any] = []
        body: list[Any] = []
        seen: set[int] = set()
        pending: list[Dependant] = [route.dependant]
        while pending:
            dependant = pending.pop()
            if id(dependant) in seen:
                continue
            seen.add(id(dependant))
            path += dependant.path_params
            query += dependant.query_params
            header += dependant.header_params
            cookie += dependant.cookie_params
            body += dependant.body_params
            pending.extend(dependant.dependencies)
        # A body parameter that the route and a dependency both take is one part of the
        # body, as FastAPI reads it: keep it once.
        unique = list({field.alias: field for field in reversed(body)}.values())[::-1]
        return cls(path, query, header, cookie, unique, bool(route._embed_body_fields))


# By the route's id (routes are not hashable), holding the route so that its id is never
# reused. Routes are made once, with their routers, when the modules are imported.
_params: dict[int, tuple[APIRoute, _Params]] = {}


def _route_params(route: APIRoute) -> _Params:
    found = _params.get(id(route))
    if found is None:
        found = _params[id(route)] = (route, _Params.of(route))
    return found[1]


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == JSON_MEDIA_TYPE or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def read_json(request: Request) -> Any:
    """The request's JSON body (undefined, so "missing", if it has none). FastAPI has parsed
    it already, before any dependency ran (and refused it if it is not JSON at all,
    :func:`kit.errors.field_problems` says how); this reads its result."""
    if not await request.body():
        return PydanticUndefined
    content_type = request.headers.get("content-type", "")
    if not _is_json(content_type):
        raise UnsupportedMediaType(
            f"send the body as JSON with Content-Type: {JSON_MEDIA_TYPE} "
            f"(got {content_type or 'no Content-Type'})"
        )
    return await request.json()


async def validated_first(request: Request) -> None:
    """Refuse an invalid write request before any other dependency runs (see the module)."""
    if request.method in READ_METHODS:
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    params = _route_params(route)
    errors: list[Any] = []
    for fields, received in (
        (params.path, request.path_params),
        (params.query, request.query_params),
        (params.header, request.headers),
        (params.cookie, request.cookies),
    ):
        if fields:
            errors += request_params_to_args(fields, received)[1]
    if params.body:
        body = await read_json(request)
        errors += (await request_body_to_args(params.body, body, params.embed_body))[1]
    if errors:
        raise RequestValidationError(errors)
