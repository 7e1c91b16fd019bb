"""One OpenAPI document for the whole public API, merged from the services' own.

The gateway reads each service's ``/openapi.json`` (as the caller ``gateway``), keeps the
paths the route table sends to that service, and merges the components: a schema of the
same name and content is shared; one whose content differs is renamed
``<service>_<Name>`` and every reference to it rewritten. A complete document is reused
for ``openapi_cache_seconds``; when a service does not answer, the document is served
without its paths and the gateway asks again on the next request.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp
import orjson
from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from gateway.auth import IdentityTokens
from gateway.docs import swagger_page
from gateway.routes import SERVICES, RouteTable
from gateway.scopes import ScopeTable
from gateway.upstream import Upstreams
from kit.context import outgoing_headers
from kit.errors import PROBLEM_CONTENT_TYPE, ProblemDocument
from kit.identity import IDENTITY_HEADER, Principal

logger = logging.getLogger("fnet.gateway.openapi")

Document = dict[str, Any]

# Who the gateway is when it reads the services' documents.
GATEWAY_PRINCIPAL = Principal(
    subject="gateway", organisation_id=uuid.UUID(int=0), scopes=frozenset()
)

API_KEY_SCHEME = "ApiKey"
BEARER_SCHEME = "BearerKey"
PERSON_SCHEME = "PersonToken"
SECURITY_SCHEMES: Document = {
    API_KEY_SCHEME: {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "Your API key, `fnet_<prefix>_<secret>`.",
    },
    BEARER_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "The same API key as a bearer token: `Authorization: Bearer fnet_...`.",
    },
    PERSON_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A signed-in person's access token, from `POST /api/v1/auth/login` or "
        "`POST /api/v1/auth/refresh`: `Authorization: Bearer eyJ...`.",
    },
}
ALL_SCHEMES = (API_KEY_SCHEME, BEARER_SCHEME, PERSON_SCHEME)


def security(scopes: Sequence[str], schemes: Sequence[str] = ALL_SCHEMES) -> list[Document]:
    """An operation's security requirement: any one of ``schemes``, holding ``scopes``."""
    return [{scheme: list(scopes)} for scheme in schemes]


# The gateway's own operations that need no credential, and those only a signed-in person
# (an admin, for most) may call; the rest of its own take keys too.
_OWN_PUBLIC = frozenset(
    {
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/refresh"),
        ("post", "/api/v1/invitations/accept"),
    }
)
_PEOPLE_ONLY_PREFIXES = (
    "/api/v1/auth/",
    "/api/v1/api-keys",
    "/api/v1/invitations",
    "/api/v1/members",
    "/api/v1/audit-log",
)
_PARTNER_KEY_SCOPES = ("partners:write",)

DESCRIPTION = """\
The public API of Foundation Network: community foundations, their campaigns and
donations, their partners, and the networks that join them.

**Authentication.** Every `/api/` call needs an API key, sent as `X-API-Key: fnet_...` or
as `Authorization: Bearer fnet_...`, or a signed-in person's access token
(`POST /api/v1/auth/login`), sent as `Authorization: Bearer eyJ...`. A key or person acts
for one organisation and holds scopes; data of other organisations is invisible (their
records answer 404). A missing, unknown, expired or revoked credential is answered with
401; one without a scope the operation lists (its `security` requirement names them) with
403 `missing-scope`. The exceptions are what is published for everyone: a campaign's
transparency report and its disclosures are read (`GET`) without a key, and the same for
every caller (a key sent with them is not looked at).

**Errors** are `application/problem+json` (RFC 9457) with `type`, `title`, `status`,
`detail`, and `errors` naming each invalid field. Besides those each operation lists, any
call may answer 413 (body larger than the gateway allows), 429 (past the rate limit: wait
`Retry-After` seconds; the `RateLimit` and `RateLimit-Policy` headers tell how much is
left), 502, 503 (the service behind the path is unreachable; retry) or 504 (it did not
answer in time).

**Lists** are paged with `?limit=&cursor=`; a page is `{"items": [...], "next_cursor": ...}`.

**Retries.** Send an `Idempotency-Key` header with every POST that creates something: a
replay answers the first result again instead of creating a second record.

**Tracing.** Send `X-Request-ID` and a W3C `traceparent` to follow a call through every
service; each answer carries the request id.
"""

TAG_DESCRIPTIONS = {
    "operations": "Health, readiness and metrics of the gateway itself; no key needed.",
}

_UNAUTHORIZED: Document = {
    "description": "No API key or access token, or one that is unknown, expired or revoked",
    "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}},
}
_FORBIDDEN: Document = {
    "description": "The credential lacks a scope this operation needs (missing-scope), or "
    "is of a kind the operation does not serve",
    "content": _UNAUTHORIZED["content"],
}

_GATEWAY_ANSWERS: dict[str, Document] = {
    status: {"description": description, "content": _UNAUTHORIZED["content"]}
    for status, description in (
        ("413", "The body is larger than the gateway takes"),
        (
            "429",
            "Past the rate limit of the key, person or client address; retry after "
            "Retry-After seconds",
        ),
        ("502", "The service behind the path gave no valid answer"),
        ("503", "The service behind the path is unreachable or overloaded; retry"),
        ("504", "The service behind the path did not answer in time"),
    )
}
# The rate limit's state (gateway/limits.py), on 429 and on the other answers.
_RATE_LIMIT_HEADERS: Document = {
    "RateLimit": {
        "description": 'Requests left and seconds to the reset: `"principal";r=599;t=60`',
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": 'The limit: `"principal";q=600;w=60` (600 per 60 s)',
        "schema": {"type": "string"},
    },
}
_GATEWAY_ANSWERS["429"]["headers"] = {
    "Retry-After": {
        "description": "Seconds until a request is let through",
        "schema": {"type": "integer"},
    },
    **_RATE_LIMIT_HEADERS,
}
_NO_SUCH_PATH: Document = {
    "description": "Not found: nothing has this id, or a path parameter is no id",
    "content": _UNAUTHORIZED["content"],
}
_NOT_MODIFIED: Document = {
    "description": "Not modified: the ETag sent in If-None-Match is current (public reads "
    "carry an ETag and Cache-Control)"
}

_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _rewrite_refs(node: Any, refs: Mapping[str, str]) -> Any:
    """A copy of ``node`` with each ``$ref`` found in ``refs`` replaced."""
    if isinstance(node, dict):
        return {
            key: refs.get(value, value)
            if key == "$ref" and isinstance(value, str)
            else _rewrite_refs(value, refs)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, refs) for item in node]
    return node


def _renames(
    service: str, components: Mapping[str, Any], merged: Mapping[str, dict[str, Any]]
) -> dict[str, str]:
    """``$ref`` rewrites for the service's components that clash with merged ones.

    Renaming one component changes the content of those that refer to it, which may make
    them clash in turn, so this repeats until nothing new clashes."""
    refs: dict[str, str] = {}
    taken = {kind: set(items) for kind, items in merged.items()}
    changed = True
    while changed:
        changed = False
        for kind, items in components.items():
            if kind == "securitySchemes" or not isinstance(items, dict):
                continue
            existing = merged.get(kind, {})
            for name, item in items.items():
                ref = f"#/components/{kind}/{name}"
                if ref in refs or name not in existing:
                    continue
                if existing[name] != _rewrite_refs(item, refs):
                    new_name = f"{service}_{name}"
                    suffix = 2
                    while new_name in taken.setdefault(kind, set()):
                        new_name = f"{service}_{name}_{suffix}"
                        suffix += 1
                    taken[kind].add(new_name)
                    refs[ref] = f"#/components/{kind}/{new_name}"
                    changed = True
    return refs


def merge_documents(
    own: Document,
    services: Mapping[str, Document],
    routes: RouteTable,
    *,
    missing: Sequence[str] = (),
    scopes: ScopeTable | None = None,
) -> Document:
    """The public document: the gateway's ``own`` operations, then each service's paths
    that the route table sends to it, with components merged and security declared.
    ``missing`` names services whose document could not be read."""
    description = DESCRIPTION
    if missing:
        description += (
            "\n\n**Incomplete copy:** the "
            + ", ".join(missing)
            + " service(s) did not answer; their operations are missing from this copy."
        )
    merged: Document = {
        "openapi": own.get("openapi", "3.1.0"),
        "info": {**own.get("info", {}), "description": description},
        "paths": {},
        "components": {},
    }
    components: dict[str, dict[str, Any]] = merged["components"]
    tags: dict[str, Document] = {
        name: {"name": name, "description": text} for name, text in TAG_DESCRIPTIONS.items()
    }

    for path, item in own.get("paths", {}).items():
        merged["paths"][path] = {
            method: {**op, "security": _own_security(method, path)}
            if method in _HTTP_METHODS
            else op
            for method, op in item.items()
        }
    for kind, items in own.get("components", {}).items():
        components.setdefault(kind, {}).update(items)

    for service, document in services.items():
        _merge_service(merged, tags, service, document, routes, scopes=scopes or ScopeTable())

    schemas = components.setdefault("schemas", {})
    if "ProblemDocument" not in schemas:
        schemas.update(_problem_schemas())
    components["securitySchemes"] = dict(SECURITY_SCHEMES)
    merged["security"] = security([])
    merged["tags"] = list(tags.values())
    return merged


def _merge_service(
    merged: Document,
    tags: dict[str, Document],
    service: str,
    document: Document,
    routes: RouteTable,
    *,
    scopes: ScopeTable,
) -> None:
    components: dict[str, dict[str, Any]] = merged["components"]
    own_components = document.get("components", {})
    refs = _renames(service, own_components, components)
    for kind, items in own_components.items():
        if kind == "securitySchemes" or not isinstance(items, dict):
            continue
        target = components.setdefault(kind, {})
        for name, item in items.items():
            new_ref = refs.get(f"#/components/{kind}/{name}")
            merged_name = new_ref.rsplit("/", 1)[1] if new_ref else name
            rewritten = _rewrite_refs(item, refs)
            if new_ref and isinstance(rewritten, dict) and "title" in rewritten:
                # Generators name a model by its title: a renamed one gets its new name.
                rewritten["title"] = merged_name
            target.setdefault(merged_name, rewritten)
    for tag in document.get("tags", []):
        if isinstance(tag, dict) and "name" in tag:
            tags.setdefault(tag["name"], tag)
    for path, item in document.get("paths", {}).items():
        if not routes.serves(service, path):
            continue
        merged["paths"][path] = _rewrite_refs(item, refs)
        for method, operation in merged["paths"][path].items():
            if method not in _HTTP_METHODS or not isinstance(operation, dict):
                continue
            _document_security(operation, method, path, routes, scopes)
            for tag in operation.get("tags", []):
                tags.setdefault(
                    tag, {"name": tag, "description": f"Served by the {service} service."}
                )


def _document_security(
    operation: Document, method: str, path: str, routes: RouteTable, scopes: ScopeTable
) -> None:
    """The gateway's answers, and the operation's security: none for a public read, else
    any credential holding the scopes the gateway checks (:mod:`gateway.scopes`)."""
    public = routes.documents_public(method, path)
    _document_gateway_answers(operation, path, public=public)
    if not public:
        needed = scopes.documented(method, path)
        operation["security"] = security(sorted(needed or ()))
        if needed:
            operation["responses"].setdefault("403", _FORBIDDEN)


def _own_security(method: str, path: str) -> list[Document]:
    """The security of one of the gateway's own operations."""
    if (method, path) in _OWN_PUBLIC or not path.startswith("/api/"):
        return []
    if path.startswith(_PEOPLE_ONLY_PREFIXES):
        return security([], (PERSON_SCHEME,))
    if path.endswith("/api-keys"):  # a partner's key, made by a foundation
        return security(_PARTNER_KEY_SCOPES)
    return security([])


def _document_gateway_answers(operation: Document, path: str, *, public: bool) -> None:
    """What the gateway itself may answer for an operation, besides what the service
    documents: 401 unless it is public, 404 if its path has a parameter, 413 if it takes a
    body, 502, 503 and 504; so that a generated client parses these problems instead of
    failing on an undocumented status."""
    responses = operation.setdefault("responses", {})
    if public:
        operation["security"] = []
        responses.setdefault("304", _NOT_MODIFIED)
    else:
        responses.setdefault("401", _UNAUTHORIZED)
    if "{" in path:
        # The route table tells a templated route by its id segment (routes.py): a path
        # whose parameter is no id is another route's, or none, and answers 404.
        responses.setdefault("404", _NO_SUCH_PATH)
    for status, answer in _GATEWAY_ANSWERS.items():
        if status != "413" or "requestBody" in operation:
            responses.setdefault(status, answer)


def _problem_schemas() -> dict[str, Any]:
    schema = ProblemDocument.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    return {**definitions, "ProblemDocument": schema}


class ApiDocument:
    """The merged document, built on demand and reused while it is complete and fresh."""

    def __init__(
        self,
        routes: RouteTable,
        upstreams: Upstreams,
        tokens: IdentityTokens,
        own: Callable[[], Document],
        *,
        cache_seconds: float,
    ) -> None:
        self.routes = routes
        self.upstreams = upstreams
        self.tokens = tokens
        self.own = own
        self.cache_seconds = cache_seconds
        self._cached: tuple[bytes, float] | None = None
        self._lock = asyncio.Lock()

    async def rendered(self) -> bytes:
        """The document as JSON."""
        cached = self._cached
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        async with self._lock:  # one rebuild at a time; the others reuse its result
            cached = self._cached
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
            base_urls = {u.service: u.base_url for u in self.routes.upstreams}
            documents = await asyncio.gather(
                *(self._fetch(service, base_urls[service]) for service in SERVICES)
            )
            found = {s: d for s, d in zip(SERVICES, documents, strict=True) if d is not None}
            missing = [s for s in SERVICES if s not in found]
            rendered = orjson.dumps(
                merge_documents(self.own(), found, self.routes, missing=missing)
            )
            if not missing:
                self._cached = (rendered, time.monotonic() + self.cache_seconds)
            return rendered

    async def _fetch(self, service: str, base_url: str) -> Document | None:
        headers = {IDENTITY_HEADER: self.tokens.token_for(GATEWAY_PRINCIPAL), **outgoing_headers()}
        try:
            async with self.upstreams.session.get(
                f"{base_url}/openapi.json", headers=headers, allow_redirects=False
            ) as response:
                if response.status != 200:
                    logger.warning(
                        "service API document unavailable",
                        extra={"service": service, "status": response.status},
                    )
                    return None
                document = orjson.loads(await response.read())
        except (TimeoutError, aiohttp.ClientError, orjson.JSONDecodeError) as exc:
            logger.warning(
                "service API document unavailable", extra={"service": service, "error": repr(exc)}
            )
            return None
        if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
            logger.warning("service API document malformed", extra={"service": service})
            return None
        return document


def docs_router(document: ApiDocument, title: str) -> APIRouter:
    """``/openapi.json`` (the merged document) and ``/docs`` (Swagger UI on it)."""
    router = APIRouter()

    @router.get("/openapi.json", include_in_schema=False)
    async def openapi() -> Response:
        return Response(await document.rendered(), media_type="application/json")

    @router.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return swagger_page(f"{title}: API reference")

    return router
