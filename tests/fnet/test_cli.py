from __future__ import annotations

import asyncio
import io
import re
import socket
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from fnet import story
from fnet.apps import APPS, GATEWAY
from fnet.cli import main
from gateway.keys import service as keys
from kit.db import Database, transaction
from tests.e2e.processes import free_port


@pytest.fixture(autouse=True)
def _embedded_databases(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI prefers FNET_<APP>_DATABASE_URL; these tests use the SQLite default under --var.
    for app in APPS:
        monkeypatch.delenv(f"{app.env_prefix}DATABASE_URL", raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    main(list(args))
    return capsys.readouterr().out


def authenticate(var: Path, plaintext: str) -> object:
    async def check() -> object:
        database = Database.from_url(GATEWAY.database_url(var), pool_size=1)
        try:
            async with transaction(database, write=False) as session:
                return await keys.authenticate(session, plaintext)
        finally:
            await database.dispose()

    return asyncio.run(check())


class TestMigrate:
    def test_migrates_every_app_into_its_own_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        out = run(capsys, "--var", str(tmp_path), "migrate")
        assert sorted(p.name for p in tmp_path.glob("*.db")) == sorted(
            f"{app.name}.db" for app in APPS
        )
        assert out.count("migrated to head") == len(APPS)

    def test_migrates_one_app(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        run(capsys, "--var", str(tmp_path), "migrate", "partners")
        assert [p.name for p in tmp_path.glob("*.db")] == ["partners.db"]


class TestKeys:
    def test_create_list_revoke(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        org = uuid.uuid4()
        created = run(capsys, "--var", str(tmp_path), "keys", "create", "--org", str(org))
        plaintext = re.search(r"^key:\s+(\S+)$", created, re.MULTILINE)
        key_id = re.search(r"^id:\s+(\S+)$", created, re.MULTILINE)
        assert plaintext
        assert key_id
        principal = authenticate(tmp_path, plaintext.group(1))
        assert getattr(principal, "organisation_id", None) == org
        assert "directory:admin" not in getattr(principal, "scopes", ())

        listing = run(capsys, "--var", str(tmp_path), "keys", "list", "--org", str(org))
        assert key_id.group(1) in listing
        assert "active" in listing
        assert plaintext.group(1) not in listing  # secrets are never shown again

        run(capsys, "--var", str(tmp_path), "keys", "revoke", key_id.group(1))
        assert authenticate(tmp_path, plaintext.group(1)) is None
        assert "revoked" in run(capsys, "--var", str(tmp_path), "keys", "list")

    def test_admin_and_scopes(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        out = run(
            capsys,
            "--var",
            str(tmp_path),
            "keys",
            "create",
            "--org",
            str(uuid.uuid4()),
            "--scope",
            "campaigns:read",
            "--admin",
        )
        assert re.search(r"^scopes: campaigns:read directory:admin$", out, re.MULTILINE)

    def test_donors_read_only_when_asked(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        org = str(uuid.uuid4())
        default = run(capsys, "--var", str(tmp_path), "keys", "create", "--org", org)
        asked = run(capsys, "--var", str(tmp_path), "keys", "create", "--org", org, "--donors")
        assert "donors:read" not in default
        assert re.search(r"^scopes: .*\bdonors:read\b.*\bledger:read\b", asked, re.MULTILINE)

    def test_revoking_an_unknown_key_fails_clearly(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with pytest.raises(SystemExit) as exit_info:
            main(["--var", str(tmp_path), "keys", "revoke", str(uuid.uuid4())])
        assert str(exit_info.value).startswith("fnet: ")

    def test_unknown_scope_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(SystemExit) as exit_info:
            main(
                [
                    "--var",
                    str(tmp_path),
                    "keys",
                    "create",
                    "--org",
                    str(uuid.uuid4()),
                    "--scope",
                    "everything",
                ]
            )
        assert exit_info.value.code == 2


class TestStory:
    def test_phase_1_is_the_articles_figures(self) -> None:
        donations = story.phase_1_donations()
        assert len(donations) == 165
        assert sum(Decimal(d.amount) for d in donations) == Decimal("20670.18")
        assert all(Decimal(d.amount) > 0 for d in donations)
        span = donations[-1].donated_at - donations[0].donated_at
        assert span.days < 2  # "in two days"
        assert all(d.anonymous == (d.donor_name is None) for d in donations)


class TestUpWithABusyPort:
    """``fnet up`` with a port another program holds: one line naming the port and the
    flag that moves it, a non-zero exit, no traceback, and nothing started or migrated."""

    @pytest.mark.parametrize("busy", ["gateway", "network"])
    def test_names_the_port_and_its_flag(self, tmp_path: Path, busy: str) -> None:
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            taken = holder.getsockname()[1]
            ports = {app.name: (taken if app.name == busy else free_port()) for app in APPS}
            args = [sys.executable, "-m", "fnet.cli", "--var", str(tmp_path / "var"), "up"]
            for name, port in ports.items():
                args += [f"--{name}-port", str(port)]
            result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)

        output = (result.stdout + result.stderr).strip()
        assert result.returncode != 0
        assert "Traceback" not in output
        assert 1 <= len(output.splitlines()) <= 2, output
        assert f"port {taken} ({busy}) is already in use" in output
        assert f"--{busy}-port" in output
        assert not (tmp_path / "var").exists() or not any((tmp_path / "var").iterdir())


class TestUsers:
    def test_the_first_admin_and_the_operator(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        org = uuid.uuid4()
        monkeypatch.setattr(sys, "stdin", io.StringIO("a good long password\n"))
        out = run(
            capsys,
            "--var",
            str(tmp_path),
            "users",
            "create",
            "--email",
            "Admin@Shekou.example",
            "--org",
            str(org),
            "--password-stdin",
        )
        assert f"admin of {org}" in out
        monkeypatch.setattr(sys, "stdin", io.StringIO("another long password\n"))
        run(
            capsys,
            "--var",
            str(tmp_path),
            "users",
            "create",
            "--email",
            "op@fnet.example",
            "--operator",
            "--password-stdin",
        )
        listing = run(capsys, "--var", str(tmp_path), "users", "list")
        assert re.search(rf"admin@shekou.example\s+admin of {org}", listing)
        assert re.search(r"op@fnet.example\s+operator", listing)
        assert "op@fnet.example" not in run(
            capsys, "--var", str(tmp_path), "users", "list", "--org", str(org)
        )

    def test_a_weak_password_or_a_taken_address_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        args = [
            "--var",
            str(tmp_path),
            "users",
            "create",
            "--email",
            "a@b.example",
            "--org",
            str(uuid.uuid4()),
            "--password-stdin",
        ]
        monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
        with pytest.raises(SystemExit, match="password"):
            main(args)
        monkeypatch.setattr(sys, "stdin", io.StringIO("a good long password\n"))
        main(args)
        monkeypatch.setattr(sys, "stdin", io.StringIO("a good long password\n"))
        with pytest.raises(SystemExit, match="exists"):
            main(args)
