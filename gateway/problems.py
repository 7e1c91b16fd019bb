"""Problems only the gateway answers with, and problem+json sent straight over ASGI (the
proxy path has no Starlette request or response objects)."""

from __future__ import annotations

from starlette.types import Send

from kit.errors import PROBLEM_CONTENT_TYPE, NotFound, Problem, problem_body


class BadGateway(Problem):
    status, slug, title = 502, "bad-gateway", "The upstream service answered badly"


class NoSuchApi(NotFound):
    slug, title = "no-such-api", "No API at this path"


async def send_problem(send: Send, problem: Problem, instance: str | None = None) -> None:
    body = problem_body(problem, instance)
    headers = [
        (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    headers += [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in problem.headers.items()
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
