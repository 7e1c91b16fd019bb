"""Schemathesis against the running system's merged document, through the gateway.

Every operation of ``/openapi.json`` is called with generated requests, valid and invalid,
with credentials that hold every scope a foundation's key or admin may. No answer may be a
5xx, each must be a status, a content type and a body its operation documents, and an
operation that declares security and answers 2xx must refuse the same request without a
credential and with an invalid one (``ignored_auth``)."""

from __future__ import annotations

import itertools
import subprocess
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.generation.modes import GenerationMode
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)

from kit.identity import ALL_SCOPES, Scope
from tests.e2e.conftest import System
from tests.e2e.processes import ROOT

# One worker runs every test of the e2e system, so that it starts once (see conftest.py).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
]
# Per operation: generated requests of each kind (valid, invalid), and the first of
# Schemathesis's coverage cases (the phase that walks the schema's constraints in turn).
EXAMPLES = 10
COVERAGE = "coverage"
COVERAGE_CASES = 12
# Operations that answered 2xx in a run (positive: 30, negative: 20), less a margin.
MIN_SUCCEEDED = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 12, COVERAGE: 12}
# Enough principals that none of them reaches its rate limit (600 requests a minute).
KEYS = 6
PEOPLE = 2
KEY_SCOPES = ALL_SCOPES - {Scope.DIRECTORY_ADMIN}
FNET = (sys.executable, "-m", "fnet.cli")
PASSWORD = "schemathesis-admin-password"

# Operations left out, each for its reason; everything else in the document is called.
EXCLUDED = {
    # Ends the session of the token the run signs in with: every later call would be 401.
    ("POST", "/api/v1/auth/logout"),
    # Wrong current passwords count as failed sign-ins and would lock the run's account.
    ("POST", "/api/v1/auth/password"),
}


@dataclass
class Credentials:
    """Keys of the run's own foundation (every scope but ``directory:admin``) and tokens of
    its admins, for the operations only a signed-in person may call. Several of each, taken
    in turn: one principal may make 600 requests a minute, and the run makes more; a 429
    would leave the operation untested."""

    keys: list[str]
    tokens: list[str]
    calls: int = 0

    def headers(self, case: Case[Any]) -> dict[str, str]:
        self.calls += 1
        schemes = {
            name
            for requirement in case.operation.definition.raw.get("security", [])
            for name in requirement
        }
        if schemes == {"PersonToken"}:
            return {"Authorization": f"Bearer {self.tokens[self.calls % len(self.tokens)]}"}
        return {"X-API-Key": self.keys[self.calls % len(self.keys)]}


def _create_admin(env: Mapping[str, str], org: str, email: str) -> None:
    result = subprocess.run(
        [*FNET, "users", "create", "--email", email, "--org", org, "--password-stdin"],
        input=PASSWORD,
        env=dict(env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _sign_in(gateway: httpx.Client, email: str) -> str:
    login = gateway.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    token: str = login.json()["access_token"]
    return token


@pytest.fixture(scope="module")
def credentials(system: System) -> Credentials:
    """A foundation of the run's own, so that what the run creates and changes stays
    out of the other e2e modules' foundations; its first admin invites the others."""
    slug = f"fuzz-{uuid.uuid4().hex[:8]}"
    with system.client("operator") as operator:
        response = operator.post("/api/v1/foundations", json={"slug": slug, "name": slug})
        assert response.status_code == 201, response.text
    org = response.json()["id"]
    _create_admin(system.env, org, f"{slug}-0@example.org")
    with httpx.Client(base_url=system.gateway, timeout=30) as gateway:
        first = _sign_in(gateway, f"{slug}-0@example.org")
        admin = {"Authorization": f"Bearer {first}"}
        tokens = [first]
        for i in range(1, PEOPLE):
            email = f"{slug}-{i}@example.org"
            invited = gateway.post(
                "/api/v1/invitations", json={"email": email, "role": "admin"}, headers=admin
            )
            assert invited.status_code == 201, invited.text
            accepted = gateway.post(
                "/api/v1/invitations/accept",
                json={"token": invited.json()["token"], "password": PASSWORD},
            )
            assert accepted.status_code in (200, 201), accepted.text
            tokens.append(_sign_in(gateway, email))
        keys = []
        for i in range(KEYS):
            created = gateway.post(
                "/api/v1/api-keys",
                json={"name": f"schemathesis {i}", "scopes": sorted(KEY_SCOPES)},
                headers=admin,
            )
            assert created.status_code == 201, created.text
            keys.append(created.json()["key"])
    return Credentials(keys=keys, tokens=tokens)


@pytest.fixture(scope="module")
def merged_document(system: System) -> BaseSchema:
    loaded = schemathesis.openapi.from_url(f"{system.gateway}/openapi.json")
    return loaded.exclude(
        lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in EXCLUDED
    )


def _fuzz(
    operation: APIOperation[Any, Any, Any, Any],
    mode: GenerationMode,
    system: System,
    credentials: Credentials,
    succeeded: set[str],
) -> str | None:
    """Run ``operation``'s generated requests; what failed, if anything."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,  # the same requests on every run, so that CI is repeatable
        database=None,
        deadline=None,
        phases=[Phase.generate],  # the first failing request is report enough
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Case[Any]) -> None:
        response = case.call_and_validate(
            base_url=system.gateway,
            headers=credentials.headers(case),
            checks=CHECKS,
            timeout=60,
        )
        if 200 <= response.status_code < 300:
            succeeded.add(operation.label)

    try:
        call()
    except Unsatisfiable:
        # No parameter, header or body to make invalid (``/healthz``): nothing to send.
        assert mode is GenerationMode.NEGATIVE, operation.label
    except (Exception, FailureGroup) as exc:  # a check failed, or the request
        return f"{operation.label}: {exc}"
    return None


def _cover(
    operation: APIOperation[Any, Any, Any, Any],
    system: System,
    credentials: Credentials,
    succeeded: set[str],
) -> str | None:
    """Send the first of Schemathesis's coverage cases for ``operation`` (boundary values,
    each constraint broken in turn, wrong types and nulls: deterministic); what failed."""
    schema = operation.schema
    generation = schema.config.generation_for(operation=operation, phase="coverage")
    cases = schema.iter_coverage_cases(
        operation, generation_modes=list(GenerationMode), generation_config=generation
    )
    for case in itertools.islice(cases, COVERAGE_CASES):
        try:
            response = case.call_and_validate(
                base_url=system.gateway,
                headers=credentials.headers(case),
                checks=CHECKS,
                timeout=60,
            )
        except (Exception, FailureGroup) as exc:  # a check failed, or the request
            return f"{operation.label}: {exc}"
        if 200 <= response.status_code < 300:
            succeeded.add(operation.label)
    return None


# Schemathesis's own pytest loader (``from_fixture``) cannot run under pytest 9 (it sets a
# node attribute pytest no longer has), so each operation gets its Hypothesis test here.
@pytest.mark.parametrize("mode", [*GenerationMode, COVERAGE])
def test_merged_document_holds(
    mode: GenerationMode | str,
    system: System,
    merged_document: BaseSchema,
    credentials: Credentials,
) -> None:
    operations = []
    for result in merged_document.get_all_operations():
        if isinstance(result, Err):
            pytest.fail(f"the document defines an operation badly: {result.err()}")
        operations.append(result.ok())
    succeeded: set[str] = set()  # operations that answered 2xx at least once
    failures = [
        failure
        for operation in operations
        if (
            failure := _cover(operation, system, credentials, succeeded)
            if mode == COVERAGE
            else _fuzz(operation, GenerationMode(mode), system, credentials, succeeded)
        )
        is not None
    ]
    assert len(operations) > 100, len(operations)
    # Mostly 404s (generated ids name nothing) are expected, but 2xx answers must be common
    # enough for the schema and auth checks to mean something: not all 401, 403 or 429.
    assert len(succeeded) >= MIN_SUCCEEDED[mode], sorted(succeeded)
    assert not failures, f"{len(failures)} operations fail:\n\n" + "\n\n".join(failures)
