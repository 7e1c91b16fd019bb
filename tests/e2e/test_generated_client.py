"""A partner's developer generates a client from the running system's ``/openapi.json``
with openapi-python-client and takes the README's tour with it alone.

Generation must print no warning at all (not merely none of a known list): a warning means
an operation or a type a partner's code needs is missing. Every answer of the tour must
parse into the model the document promises, with every member the server sent declared
by it."""

from __future__ import annotations

import importlib
import io
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import httpx
import pytest

from tests.e2e.conftest import System, _create_key
from tests.gateway.test_openapi import optional_answer_fields

# One worker runs every test of the e2e system, so that it starts once (see conftest.py).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PACKAGE = "fnet_generated_client"
# No post hooks (ruff over the generated code): what is generated is under test, not its style.
CONFIG = f"package_name_override: {PACKAGE}\npost_hooks: []\n"

CSV = (
    "transaction_id,amount,donated_at,donor_name,anonymous,channel\n"
    "T20200128001,100.00,2020-01-28 09:05:00,李伟,否,wechat_pay\n"
    "T20200128002,20.00,2020-01-28 09:06:00,,是,alipay\n"
).encode()


@dataclass(frozen=True)
class Generated:
    """The generated package, imported."""

    root: Path
    package: ModuleType

    def call(self, operation_id: str) -> Any:
        """An operation's module (``sync_detailed`` and co.), whatever tag files it."""
        found = sorted((self.root / "api").glob(f"*/{operation_id}.py"))
        assert len(found) == 1, (operation_id, found)
        return importlib.import_module(f"{PACKAGE}.api.{found[0].parent.name}.{operation_id}")

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{PACKAGE}.models"), name)

    def client(self, system: System, key: str | None = None) -> Any:
        """A client that raises on any status the document does not list."""
        options: dict[str, Any] = {
            "base_url": system.gateway,
            "raise_on_unexpected_status": True,
            "timeout": httpx.Timeout(60),
        }
        if key is None:
            return self.package.Client(**options)
        return self.package.AuthenticatedClient(token=key, **options)  # Bearer, as documented


def generate(document: bytes, tmp: Path) -> str:
    """Generate the client into ``tmp``; what the generator printed."""
    (tmp / "openapi.json").write_bytes(document)
    (tmp / "config.yaml").write_text(CONFIG)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(tmp / "openapi.json"),
            "--output-path",
            str(tmp / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(tmp / "config.yaml"),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


@pytest.fixture(scope="module")
def generated(system: System, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    response = httpx.get(f"{system.gateway}/openapi.json", timeout=60)
    assert response.status_code == 200, response.text
    assert "Incomplete copy" not in response.json()["info"]["description"]
    tmp = tmp_path_factory.mktemp("generated-client")
    output = generate(response.content, tmp)
    # Any line but "Generating <path>" is a warning, whatever its kind.
    said = [line for line in output.splitlines() if line.strip()]
    assert said == [f"Generating {tmp / PACKAGE}"], output
    sys.path.insert(0, str(tmp))
    try:
        yield Generated(tmp / PACKAGE, importlib.import_module(PACKAGE))
    finally:
        sys.path.remove(str(tmp))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def undeclared(node: Any, where: str) -> list[str]:
    """Members of a parsed answer that its model does not declare (kept aside in
    ``additional_properties``), anywhere in it. A model that declares nothing is a map
    (``dict[str, ...]`` in the API), whose members are its content."""
    if isinstance(node, list):
        return [u for i, item in enumerate(node) for u in undeclared(item, f"{where}[{i}]")]
    if not attrs.has(type(node)):
        return []
    declared = [f.name for f in attrs.fields(type(node)) if f.name != "additional_properties"]
    extra: dict[str, Any] = getattr(node, "additional_properties", {})
    found = [f"{where}: {sorted(extra)}"] if declared and extra else []
    for name in declared:
        found += undeclared(getattr(node, name), f"{where}.{name}")
    for key, value in extra.items():
        found += undeclared(value, f"{where}[{key}]")
    return found


def typed(response: Any, model: str, status: int = 200) -> Any:
    """The answer parsed: of ``status``, as the model the document promises, every member
    the server sent declared by it."""
    assert response.status_code == status, response.content
    parsed = response.parsed
    assert type(parsed).__name__ == model, (type(parsed).__name__, response.content[:500])
    assert undeclared(parsed, model) == [], response.content[:500]
    return parsed


class TestTheReadmeTourThroughAGeneratedClient:
    def test_every_operation_is_generated_and_named_as_its_function(
        self, system: System, generated: Generated
    ) -> None:
        document = httpx.get(f"{system.gateway}/openapi.json", timeout=60).json()
        ids = [
            operation["operationId"]
            for item in document["paths"].values()
            for operation in item.values()
            if isinstance(operation, dict) and "responses" in operation
        ]
        # The gateway's own operations too: named by their functions, unique, and each a
        # function of the generated client of the same name.
        assert len(ids) > 100
        assert sorted(i for i in ids if ids.count(i) > 1) == []
        assert [i for i in ids if not re.fullmatch(r"[a-z][a-z0-9_]*", i) or "api_v1" in i] == []
        generated_ids = {path.stem for path in (generated.root / "api").glob("*/*.py")}
        assert set(ids) - generated_ids == set()
        # What the gateway answers itself is as exact as the services' answers.
        assert optional_answer_fields(document) == []

    def test_the_tour(self, system: System, generated: Generated) -> None:
        call, model = generated.call, generated.model
        operator = generated.client(system, system.keys["operator"])
        foundation = typed(
            call("create_foundation").sync_detailed(
                client=operator,
                body=model("FoundationCreate").from_dict(
                    {"slug": f"client-{uuid.uuid4().hex[:8]}", "name": "蛇口社区基金会"}
                ),
            ),
            "FoundationRead",
            201,
        )
        api = generated.client(system, _create_key(system.env, str(foundation.id)))
        public = generated.client(system)

        # Open a campaign and record a donation; its retry is answered the same.
        typed(call("list_campaigns").sync_detailed(client=api), "PageCampaignRead")
        campaign = typed(
            call("create_campaign").sync_detailed(
                client=api,
                body=model("CampaignCreate").from_dict(
                    {
                        "title": "Neighbours help neighbours",
                        "goal": {"amount": "30000.00", "currency": "CNY"},
                    }
                ),
            ),
            "CampaignRead",
            201,
        )
        donation = model("DonationCreate").from_dict(
            {
                "amount": {"amount": "88.88", "currency": "CNY"},
                "donor_name": "Li Wei",
                "anonymous": False,
            }
        )
        key = f"first-donation-{campaign.id}"
        first, retry = (
            typed(
                call("record_donation").sync_detailed(
                    campaign.id, client=api, body=donation, idempotency_key=key
                ),
                "DonationRead",
                201,
            )
            for _ in range(2)
        )
        assert first.id == retry.id
        assert first.donor_contact is None  # always sent, null without donors:read

        # Bad input is a problem+json 422 naming the field, parsed as such.
        problem = typed(
            call("record_donation").sync_detailed(
                campaign.id,
                client=api,
                body=model("DonationCreate").from_dict(
                    {"amount": {"amount": "1.001", "currency": "CNY"}}
                ),
            ),
            "ProblemDocument",
            422,
        )
        assert problem.type_ == "urn:fnet:problem:validation-error"
        assert [e.field for e in problem.errors] == ["amount.amount"]
        assert problem.detail

        # A host platform's CSV export, as a form's file part.
        upload = model("ImportDonationsBody")(
            file=generated.package.types.File(
                payload=io.BytesIO(CSV), file_name="export.csv", mime_type="text/csv"
            )
        )
        imported = typed(
            call("import_donations").sync_detailed(
                campaign.id, client=api, body=upload, idempotency_key=f"import-{campaign.id}"
            ),
            "ImportRead",
            201,
        )
        assert (imported.imported, imported.duplicates, imported.invalid) == (2, 0, 0)
        again = typed(
            call("import_donations").sync_detailed(campaign.id, client=api, body=upload),
            "ImportRead",
        )
        assert again.duplicates == 2  # the same file again adds nothing: 200

        read = typed(call("get_campaign").sync_detailed(campaign.id, client=api), "CampaignRead")
        assert read.donation_count == 3
        assert (read.raised.amount, read.raised.currency) == ("208.88", "CNY")

        # Masks bought, and handed out to a community.
        purchase = typed(
            call("record_purchase").sync_detailed(
                campaign.id,
                client=api,
                body=model("PurchaseCreate").from_dict(
                    {
                        "supplier": "深圳某医疗器械有限公司",
                        "lines": [
                            {
                                "item": "medical mask",
                                "unit": "piece",
                                "quantity": 100,
                                "unit_price": {"amount": "1.50", "currency": "CNY"},
                            }
                        ],
                    }
                ),
                idempotency_key=f"purchase-{campaign.id}",
            ),
            "PurchaseRead",
            201,
        )
        assert purchase.total.amount == "150.00"
        typed(
            call("record_distribution").sync_detailed(
                campaign.id,
                client=api,
                body=model("DistributionCreate").from_dict(
                    {
                        "recipient": {"kind": "community", "name": "蛇口社区"},
                        "lines": [{"item": "medical mask", "unit": "piece", "quantity": 60}],
                    }
                ),
            ),
            "DistributionRead",
            201,
        )

        # The public account, without a key. (No disclosure: it would be shared with the
        # network, whose test here expects to see only its own resources.)
        report = typed(call("get_report").sync_detailed(campaign.id, client=public), "ReportRead")
        assert report.donation_count == 3
        assert report.distributed[0].items[0].quantity == 60
        typed(
            call("list_public_donations").sync_detailed(campaign.id, client=public, limit=5),
            "PagePublicDonationRead",
        )

        # The ledger, then closing the campaign.
        verified = typed(call("verify_ledger").sync_detailed(client=api), "VerificationRead")
        assert verified.valid
        typed(call("trial_balance").sync_detailed(client=api), "TrialBalanceRead")
        closed = typed(
            call("transition_campaign").sync_detailed(
                campaign.id,
                client=api,
                body=model("Transition").from_dict({"to": "closed"}),
            ),
            "CampaignRead",
        )
        assert closed.status.value == "closed"

        # Partners, collaborations and the directory.
        typed(call("list_partners").sync_detailed(client=api), "PagePartnerRead")
        typed(
            call("list_collaborations").sync_detailed(
                client=api, status=model("CollaborationStatus")("active")
            ),
            "PageCollaborationRead",
        )
        found = typed(
            call("list_foundations").sync_detailed(client=public, slug=foundation.slug),
            "PageFoundationRead",
        )
        assert [f.id for f in found.items] == [foundation.id]

    def test_readiness_is_typed(self, system: System, generated: Generated) -> None:
        ready = typed(
            generated.call("readyz").sync_detailed(client=generated.client(system)), "Readiness"
        )
        assert ready.status.value == "ok"
        assert ready.checks.additional_properties == {"database": "ok"}
