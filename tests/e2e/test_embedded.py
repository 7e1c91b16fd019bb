"""The README's run command, tried as a new user would: ``fnet up --demo``."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.processes import ROOT, base_env, free_port, wait_until_healthy

# On the worker of the other e2e tests: one system of app processes at a time.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


class Embedded:
    def __init__(self, var: Path) -> None:
        self.var = var
        self.ports = {name: free_port() for name in ("gateway", "donations", "partners", "network")}
        self.output = var.parent / "fnet-up.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def credentials(self) -> Path:
        return self.var / "demo-credentials.json"

    def start(self) -> None:
        # Exactly the README's run command, on ports of the test's own.
        args = [str(ROOT / "scripts" / "up")]
        for name, port in self.ports.items():
            args += [f"--{name}-port", str(port)]
        with self.output.open("ab") as out:
            self.process = subprocess.Popen(
                args,
                cwd=ROOT,
                env={**base_env(), "FNET_VAR_DIR": str(self.var)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until_healthy(self.gateway, timeout=60, process=self.process)

    def up(self) -> dict[str, Any]:
        """Start, and wait for the gateway to be ready: by then the demo is loaded."""
        self.start()
        assert self.process is not None
        deadline = time.monotonic() + 120
        while not self.ready():
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, "the demo data never finished loading"
            time.sleep(0.2)
        # Ready means loaded: the credentials, and the "up" line after the demo's.
        document: dict[str, Any] = json.loads(self.credentials.read_text(encoding="utf-8"))
        last = self.text().rsplit("Foundation Network is starting", 1)[-1]
        assert "Demo data" in last.split("Foundation Network is up", 1)[0], last
        return document

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.gateway}/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def text(self) -> str:
        return self.output.read_text(encoding="utf-8") if self.output.exists() else ""

    def down(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=30)
        self.process = None
        return code


def _copied(database: Path) -> set[str]:
    """The foundation ids in a service's read copy (SQLite stores a UUID as 32 hex digits)."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT foundation_id FROM foundation_copies").fetchall()
    return {str(row[0]) for row in rows}


def _log_verifies(gateway: str, foundation_id: str, entries: int) -> None:
    """Every journal entry reaches the foundation's transparency log, and ``fnet verify``,
    as anyone would run it against the gateway, accepts its heads, proofs and entries."""
    head = f"{gateway}/api/v1/foundations/{foundation_id}/log/head"
    deadline = time.monotonic() + 30
    while (answer := httpx.get(head)).status_code != 200 or answer.json()["size"] < entries:
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.1)
    assert answer.json()["size"] == entries
    verified = subprocess.run(
        [
            sys.executable,
            "-m",
            "fnet.cli",
            "verify",
            "--url",
            gateway,
            "--foundation",
            foundation_id,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"latest of size {entries}" in verified.stdout
    assert f"{entries} entries checked" in verified.stdout
    assert verified.stdout.rstrip().endswith("valid")


def _demo_people_sign_in(gateway: str, document: dict[str, Any]) -> None:
    """The operator, Shekou's treasurer and the partner's person sign in with what the
    credentials file says, and each acts as who they are."""
    logins = document["logins"]
    tokens = {}
    for name in ("operator", "treasurer", "partner"):
        entry = logins[name]
        response = httpx.post(
            f"{gateway}/api/v1/auth/login",
            json={"email": entry["email"], "password": entry["password"]},
        )
        assert response.status_code == 200, (name, response.text)
        tokens[name] = {"Authorization": f"Bearer {response.json()['access_token']}"}
    with httpx.Client(base_url=gateway) as api:
        shekou = document["foundations"]["shekou"]["id"]
        treasurer = api.get("/api/v1/campaigns", headers=tokens["treasurer"])
        assert len(treasurer.json()["items"]) >= 2
        assert api.get("/api/v1/api-keys", headers=tokens["treasurer"]).status_code == 200
        partner = api.get("/api/v1/collaborations", headers=tokens["partner"])
        assert len(partner.json()["items"]) == 1
        assert api.get("/api/v1/partners", headers=tokens["partner"]).status_code == 403
        # The phone's home screen: every service answered, and the partner's person gets
        # their one collaboration and none of the foundation's campaigns.
        home = api.get("/api/v1/mobile/home", headers=tokens["treasurer"]).json()
        assert home["degraded"] == []
        assert all(home[part] for part in ("campaigns", "collaborations", "shared_resources"))
        theirs = api.get("/api/v1/mobile/home", headers=tokens["partner"]).json()
        assert (len(theirs["collaborations"]), theirs["campaigns"]) == (1, None)
        keys = api.get(
            "/api/v1/api-keys", params={"organisation_id": shekou}, headers=tokens["operator"]
        )
        assert keys.status_code == 200
        assert len(keys.json()) >= 2


@pytest.fixture
def embedded(tmp_path: Path) -> Any:
    system = Embedded(tmp_path / "var")
    yield system
    if system.process is not None:
        system.process.kill()
        system.process.wait()


def test_fnet_up_demo_serves_the_story_and_takes_new_donations(embedded: Embedded) -> None:
    document = embedded.up()
    assert embedded.text().count("Demo data loaded.") == 1
    shekou = document["foundations"]["shekou"]
    phase_1 = document["campaigns"]["shekou-phase-1"]
    assert set(document["foundations"]) >= {"shekou", "wuhou"}

    with httpx.Client(base_url=embedded.gateway, headers={"X-API-Key": shekou["api_key"]}) as api:
        story = api.get(f"/api/v1/campaigns/{phase_1}").json()
        created = api.post(
            "/api/v1/campaigns",
            json={"title": "New campaign", "goal": {"amount": "500", "currency": "CNY"}},
        )
        assert created.status_code == 201, created.text
        campaign_id = created.json()["id"]
        donation = api.post(
            f"/api/v1/campaigns/{campaign_id}/donations",
            json={"amount": {"amount": "12.34", "currency": "CNY"}},
        )
        assert donation.status_code == 201, donation.text
        after = api.get(f"/api/v1/campaigns/{campaign_id}").json()
        partners = api.get("/api/v1/partners").json()
        verify = api.get("/api/v1/ledger/verify").json()
        docs = httpx.get(f"{embedded.gateway}/docs")
    # The network part: Wuhou's copy gets the grocery guide Shekou shares with the pairing.
    wuhou_key = document["foundations"]["wuhou"]["api_key"]
    with httpx.Client(base_url=embedded.gateway, headers={"X-API-Key": wuhou_key}) as wuhou:
        synced = wuhou.get("/api/v1/sync/changes", params={"limit": "1000"}).json()
    assert document["network"]["resources"]["grocery_guide"] in {c["id"] for c in synced["changes"]}
    # The whole story is there, in the public report, without a key.
    report = httpx.get(f"{embedded.gateway}/api/v1/campaigns/{phase_1}/report").json()
    assert report["raised"][0]["net"] == {"amount": "20670.18", "currency": "CNY"}
    assert report["donation_count"] == 165
    assert sorted(b["quantity"] for b in report["bought"]) == [720, 2700]
    assert len(report["distributed"]) == 24
    assert verify["valid"] is True
    assert (report["ledger"]["seq"], verify["entries"]) == (verify["head_seq"], verify["head_seq"])
    _log_verifies(embedded.gateway, shekou["id"], verify["entries"])

    assert story["raised"] == {"amount": "20670.18", "currency": "CNY"}
    assert story["donation_count"] == 165
    assert after["raised"] == {"amount": "12.34", "currency": "CNY"}
    assert after["donation_count"] == 1
    assert len(partners["items"]) == 5  # the story's four and an owners' committee
    # The partner key of 妈妈幸福学习园 sees its one collaboration, not the partner list.
    radio = document["partner_keys"]["shekou-radio"]
    with httpx.Client(base_url=embedded.gateway, headers={"X-API-Key": radio["api_key"]}) as key:
        assert len(key.get("/api/v1/collaborations").json()["items"]) == 1
        assert key.get("/api/v1/partners").status_code == 403
    _demo_people_sign_in(embedded.gateway, document)
    assert docs.status_code == 200
    assert "docs" in embedded.output.read_text()
    # The directory's events reached donations and partners over the one in-memory bus.
    ids = {entry["id"].replace("-", "") for entry in document["foundations"].values()}
    for service in ("donations", "partners"):
        deadline = time.monotonic() + 20
        while _copied(embedded.var / f"{service}.db") < ids:
            assert time.monotonic() < deadline, f"{service} never copied the directory"
            time.sleep(0.1)
    assert embedded.down() == 0

    # Loading the demo a second time adds nothing twice.
    again = embedded.up()
    with httpx.Client(base_url=embedded.gateway, headers={"X-API-Key": shekou["api_key"]}) as api:
        story_again = api.get(f"/api/v1/campaigns/{phase_1}").json()
        campaigns = api.get("/api/v1/campaigns").json()["items"]
        partners_again = api.get("/api/v1/partners").json()["items"]
        verify_again = api.get("/api/v1/ledger/verify").json()
    assert again["foundations"] == document["foundations"]
    assert again["network"] == document["network"]
    assert story_again["donation_count"] == 165
    assert story_again["raised"]["amount"] == "20670.18"
    assert len(campaigns) == 3  # phase 1, phase 2 and the one made above
    assert len(partners_again) == 5
    assert again["partner_keys"] == document["partner_keys"]
    assert again["logins"] == document["logins"]  # the same passwords still work
    # One new donation was posted between the two loads; the reload posted nothing.
    assert verify_again["entries"] == verify["entries"]
    assert verify_again["valid"] is True
    # ... and says so, instead of claiming to have loaded it.
    assert embedded.text().count("Demo data loaded.") == 1
    assert embedded.text().count("Demo data already loaded; nothing to add.") == 1
    assert embedded.down() == 0


def test_ctrl_c_while_the_demo_loads_stops_cleanly_and_the_next_start_finishes(
    embedded: Embedded,
) -> None:
    embedded.start()
    assert "loading the demo data" in embedded.text()
    # Not ready while loading: /readyz says why, /healthz only that the process lives.
    readyz = httpx.get(f"{embedded.gateway}/readyz", timeout=5)
    assert readyz.status_code == 503
    assert readyz.json()["checks"]["start_up"] == "unavailable: StillStarting"
    assert not embedded.credentials.exists()
    time.sleep(1)  # well into the loading, which takes several seconds

    code = embedded.down()

    output = embedded.text()
    assert code in (0, 130), output
    assert "Traceback" not in output
    assert "Stopped while loading the demo data; the next start finishes it." in output
    assert "Demo data loaded" not in output
    assert "Foundation Network is up" not in output

    document = embedded.up()
    phase_1 = document["campaigns"]["shekou-phase-1"]
    report = httpx.get(f"{embedded.gateway}/api/v1/campaigns/{phase_1}/report").json()
    assert report["donation_count"] == 165
    assert report["raised"][0]["net"] == {"amount": "20670.18", "currency": "CNY"}
    assert len(report["distributed"]) == 24
    assert embedded.text().count("Demo data loaded.") == 1
    assert embedded.down() == 0
