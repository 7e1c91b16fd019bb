"""Errors as RFC 9457 ``application/problem+json``.

Every failure a client can cause is a :class:`Problem` subclass carrying its status, a
stable ``type`` and a title. One set of handlers (:func:`install_problem_handlers`) renders
them, FastAPI's validation errors and anything unexpected, so no answer is ever an HTML
page or a bare 500 string. Routes list the problems they can raise with
:func:`problem_responses` so that the OpenAPI document shows them.

Hierarchy::

    Problem
    ├── BadRequest (400)
    ├── Unauthorized (401)
    ├── Forbidden (403)
    ├── NotFound (404)
    ├── Conflict (409)
    │   └── IdempotencyInProgress
    ├── PreconditionFailed (412)
    ├── PayloadTooLarge (413)
    ├── UnsupportedMediaType (415)
    ├── PreconditionRequired (428)
    ├── Unprocessable (422)
    │   └── IdempotencyKeyReused
    ├── ServiceUnavailable (503)
    └── GatewayTimeout (504)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:fnet:problem:"

logger = logging.getLogger("fnet.errors")


class FieldProblem(BaseModel):
    field: str = Field(description="dotted path of the offending field, e.g. amount.currency")
    message: str
    code: str


class ProblemDocument(BaseModel):
    """The body of every error answer. Every member is always sent (``instance`` as null
    where there is no path), so that the schema can say so and a generated client reads
    them without guessing."""

    type: str = Field(examples=["urn:fnet:problem:not-found"])
    title: str
    status: int
    detail: str = Field(description="what went wrong in this case; the title if nothing more")
    instance: str | None = Field(description="the path the answer is about")
    errors: list[FieldProblem] = Field(
        description="each invalid field, for a 422 above all; empty when no field is at fault"
    )


class Problem(Exception):
    """Base of every error a client can cause. Subclasses set ``status``, ``slug``, ``title``."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers or {}

    def document(self, instance: str | None = None) -> ProblemDocument:
        return ProblemDocument(
            type=TYPE_PREFIX + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail or self.title,
            instance=instance,
            errors=self.errors or [],
        )


class BadRequest(Problem):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class IdempotencyInProgress(Conflict):
    slug, title = "idempotency-in-progress", "A request with this Idempotency-Key is in progress"


class PreconditionFailed(Problem):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(Problem):
    status, slug, title = 415, "unsupported-media-type", "The body is not of a supported type"


class PreconditionRequired(Problem):
    """RFC 6585: the change needs an ``If-Match`` naming the version it was based on."""

    status, slug, title = 428, "precondition-required", "If-Match required"


class Unprocessable(Problem):
    status, slug, title = 422, "validation-error", "The request is not valid"


class IdempotencyKeyReused(Unprocessable):
    slug, title = "idempotency-key-reused", "Idempotency-Key reused with a different request"


class ServiceUnavailable(Problem):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


class GatewayTimeout(Problem):
    status, slug, title = 504, "gateway-timeout", "Upstream service too slow"


def problem_body(problem: Problem, instance: str | None = None) -> bytes:
    return orjson.dumps(problem.document(instance).model_dump(mode="json"))


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    return Response(
        problem_body(problem, instance),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=problem.headers,
    )


def problem_responses(*problems: type[Problem]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status a route may answer with, as problem+json."""
    out: dict[int | str, dict[str, Any]] = {}
    for problem in problems:
        entry = out.setdefault(
            problem.status,
            {
                "description": problem.title,
                "model": ProblemDocument,
                "content": {PROBLEM_CONTENT_TYPE: {}},
            },
        )
        if problem.title not in entry["description"]:
            entry["description"] += f"; {problem.title}"
    return out


_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def field_problems(errors: Iterable[Any]) -> list[FieldProblem]:
    """Pydantic's error list as :class:`FieldProblem` entries, locations made dotted."""
    out = []
    for error in errors:
        if error.get("type") == "json_invalid":
            # Its location is ("body", <character offset>): the offset is no field's name.
            reason = (error.get("ctx") or {}).get("error", "JSON decode error")
            offset = error.get("loc", ())[-1]
            out.append(
                FieldProblem(
                    field="body",
                    message=f"is not valid JSON: {reason} at character {offset}",
                    code="json_invalid",
                )
            )
            continue
        loc = [str(part) for part in error.get("loc", ()) if part not in _LOCATIONS]
        message = str(error.get("msg", "invalid"))
        # Our own validators raise ValueError subclasses; pydantic prefixes their message.
        message = message.removeprefix("Value error, ")
        out.append(
            FieldProblem(field=".".join(loc) or "body", message=message, code=error.get("type", ""))
        )
    return out


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc, request.url.path)


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = field_problems(exc.errors())
    fields = ", ".join(sorted({e.field for e in errors}))
    problem = Unprocessable(f"Invalid field(s): {fields}", errors=errors)
    return problem_response(problem, request.url.path)


_STATUS_PROBLEMS: dict[int, type[Problem]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        PreconditionRequired,
        Unprocessable,
        ServiceUnavailable,
        GatewayTimeout,
    )
}


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str | None:
    """Every method the request's path answers to. Starlette's own 405 names only those of
    the first route that matched the path, and a path usually has one route per method."""
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]
    if "GET" in allowed and "HEAD" not in allowed:
        # Served for every GET route by kit.head.HeadAsGet, which no route declares.
        allowed.insert(allowed.index("GET") + 1, "HEAD")
    return ", ".join(allowed) if allowed else None


def _unreadable_json(exc: StarletteHTTPException) -> Problem | None:
    """FastAPI's bare 400 for a JSON body that Python's parser gave up on, said plainly."""
    cause = exc.__cause__
    if isinstance(cause, RecursionError):
        reason = "it is nested too deeply"
    elif isinstance(cause, ValueError) and "digits" in str(cause):
        reason = "it holds a number too long to read (send amounts as decimal strings)"
    else:
        return None
    return Unprocessable(
        f"The body is not JSON this API can read: {reason}",
        errors=[
            FieldProblem(
                field="body", message=f"is not readable JSON: {reason}", code="json_invalid"
            )
        ],
    )


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and (unreadable := _unreadable_json(exc)) is not None:
        return problem_response(unreadable, request.url.path)
    cls = _STATUS_PROBLEMS.get(exc.status_code)
    if cls is None:
        # A status we have no class for (405, 406...): render it faithfully all the same.
        headers = dict(exc.headers or {})
        detail = None
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            if allowed:
                headers["Allow"] = allowed
            detail = f"{request.method} is not allowed on {request.url.path}; " + (
                f"it allows {allowed}" if allowed else "it allows no method"
            )
        document = ProblemDocument(
            type=f"{TYPE_PREFIX}http-{exc.status_code}",
            title=str(exc.detail),
            status=exc.status_code,
            detail=detail or str(exc.detail),
            instance=request.url.path,
            errors=[],
        )
        return Response(
            orjson.dumps(document.model_dump(mode="json")),
            status_code=exc.status_code,
            media_type=PROBLEM_CONTENT_TYPE,
            headers=headers,
        )
    problem = cls(str(exc.detail) if exc.detail else None, headers=dict(exc.headers or {}))
    return problem_response(problem, request.url.path)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error", exc_info=exc)
    return problem_response(
        Problem("An unexpected error occurred; it has been logged."), request.url.path
    )


_UNREADABLE_BODY = "The body could not be read (not UTF-8)"


def problem_content() -> dict[str, Any]:
    """An OpenAPI response's ``content``: a problem document (see :func:`document_problems`)."""
    return {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}


def _add_unreadable_body(responses: dict[str, Any], problem: dict[str, Any]) -> None:
    unreadable = responses.setdefault(
        "400", {"description": _UNREADABLE_BODY, "content": dict(problem)}
    )
    if _UNREADABLE_BODY not in unreadable.get("description", ""):
        unreadable["description"] += f"; {_UNREADABLE_BODY}"


def document_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Make an app's OpenAPI document say what its errors really are: every problem answer
    is ``application/problem+json`` with a ``ProblemDocument`` body. FastAPI files a
    ``responses=`` model under ``application/json`` and adds a 422 of its own
    (``HTTPValidationError``), which no answer of ours has ever had; and a body that is not
    UTF-8 is a 400 no route lists. Changes ``openapi`` in place and returns it."""
    schemas: dict[str, Any] = openapi.setdefault("components", {}).setdefault("schemas", {})
    if "ProblemDocument" not in schemas:
        schema = ProblemDocument.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas["ProblemDocument"] = schema
    problem = problem_content()
    for item in openapi.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            for status, response in responses.items():
                # A problem (problem_responses) or FastAPI's validation error; not an answer
                # with a body of its own, such as /readyz's 503.
                content = response.get("content", {})
                if status.startswith(("4", "5")) and (
                    PROBLEM_CONTENT_TYPE in content or "HTTPValidationError" in str(content)
                ):
                    response["content"] = dict(problem)
            if "422" in responses and responses["422"].get("description") == "Validation Error":
                responses["422"]["description"] = Unprocessable.title
            elif operation.get("parameters") or "requestBody" in operation:
                # FastAPI adds its validation 422 only to routes that declare no 422 of their
                # own; such a route still answers one for a malformed body or parameter.
                invalid = responses.setdefault(
                    "422", {"description": Unprocessable.title, "content": dict(problem)}
                )
                if Unprocessable.title not in invalid.get("description", ""):
                    invalid["description"] += f"; {Unprocessable.title}"
            if "requestBody" in operation:
                _add_unreadable_body(responses, problem)
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's, if now unused
        schema = schemas.pop(name, None)
        if schema is not None and f'"#/components/schemas/{name}"'.encode() in orjson.dumps(
            openapi
        ):
            schemas[name] = schema
    return openapi


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
