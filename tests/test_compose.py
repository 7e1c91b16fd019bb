"""``docker-compose.yml`` checked against the code it deploys.

Docker does not run in the test suite, so these tests check what can be checked without
it: the file is valid Compose; each app's command names a factory that builds the app
from exactly the environment compose gives it; every variable an app receives is one its
settings class reads; secrets come from the environment and compose refuses to start
without them; start-up waits on health checks; the gateway's upstream URLs name the
compose services; the migrate job and the database init script cover every app.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import secrets
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import SecretStr

from kit.settings import AppSettings, check_secret
from services.donations.log.signing import load_signer, new_seed

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
INITDB_DIR = "/docker-entrypoint-initdb.d"

INFRASTRUCTURE = ("postgres", "nats", "redis")


@dataclass(frozen=True)
class App:
    service: str  # the compose service, also the host name other containers use
    factory: str  # module:attribute, as uvicorn --factory takes it
    settings: str  # module:class

    @property
    def prefix(self) -> str:
        return f"FNET_{self.service.upper()}_"


GATEWAY = App("gateway", "gateway.app:create_app", "gateway.settings:GatewaySettings")
SERVICES = (
    App(
        "donations",
        "services.donations.app:create_app",
        "services.donations.settings:DonationsSettings",
    ),
    App(
        "partners",
        "services.partners.app:create_app",
        "services.partners.settings:PartnersSettings",
    ),
    App("network", "services.network.app:create_app", "services.network.settings:NetworkSettings"),
)
APPS = (GATEWAY, *SERVICES)


def by_service(apps: tuple[App, ...]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("app", apps, ids=[app.service for app in apps])


# --- Compose's variable interpolation, the subset the file uses ---------------------------

_REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\})"
)


class MissingVariable(Exception):
    """What makes ``docker compose`` refuse to start: a ``${NAME:?message}`` left unset."""


def interpolate(value: str, variables: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name, operator = match["name"], match["operator"] or ""
        found = variables.get(name)
        # ":-" and ":?" treat an empty value as unset; "-" and "?" only an absent one.
        if found is not None and (found or not operator.startswith(":")):
            return found
        if operator.endswith("-"):
            return str(match["argument"])
        if operator.endswith("?"):
            raise MissingVariable(f"{name}: {match['argument']}")
        return ""  # compose substitutes an empty string, with a warning

    return _REFERENCE.sub(replace, value)


def references(text: str) -> Iterator[re.Match[str]]:
    return (match for match in _REFERENCE.finditer(text) if match["name"])


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


# --- Reading the files ------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    # The mapping form only: a list of KEY=VALUE strings would hide duplicates from review.
    assert isinstance(env, dict), "write environment as a mapping"
    return {str(key): str(value) for key, value in env.items()}


def env_example() -> tuple[dict[str, str], set[str]]:
    """The variables .env.example sets, and those it documents as commented-out lines."""
    assigned: dict[str, str] = {}
    documented: set[str] = set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        if match := re.fullmatch(r"([A-Z_][A-Z0-9_]*)=(.*)", line.strip()):
            assigned[match[1]] = match[2]
        elif match := re.fullmatch(r"#\s*([A-Z_][A-Z0-9_]*)=.*", line.strip()):
            documented.add(match[1])
    return assigned, documented


def sample_variables() -> dict[str, str]:
    """What an operator's .env would hold: real random secrets, no placeholders."""
    return {
        "POSTGRES_USER": "fnet",
        "POSTGRES_PASSWORD": secrets.token_hex(24),
        "FNET_INTERNAL_TOKEN_SECRET": secrets.token_hex(32),
        "FNET_LOG_SIGNING_KEY": new_seed(),
    }


def load(dotted: str) -> Any:
    module, _, attribute = dotted.partition(":")
    return getattr(importlib.import_module(module), attribute)


def port_of(command: list[str]) -> int:
    assert "--port" in command, command
    return int(command[command.index("--port") + 1])


def required_fields(settings_class: type[AppSettings]) -> set[str]:
    return {name for name, field in settings_class.model_fields.items() if field.is_required()}


# --- The file as a whole -----------------------------------------------------------------


class TestComposeFile:
    def test_is_valid_under_the_compose_specification(self) -> None:
        result = validate(COMPOSE_FILE)
        assert result.returncode == 0, result.stdout + result.stderr

    def test_the_validation_does_reject_an_invalid_file(self, tmp_path: Path) -> None:
        broken = tmp_path / "docker-compose.yml"
        broken.write_text(
            "services:\n  app:\n    image: x\n    depends_on:\n"
            "      db: {condition: service_started_eventually}\n"
        )
        assert validate(broken).returncode != 0

    def test_every_app_and_the_migrate_job_run_the_one_image(
        self, services: dict[str, dict[str, Any]]
    ) -> None:
        users = [services[app.service] for app in APPS] + [services["migrate"]]
        assert {service.get("build") for service in users} == {"."}
        # One tag for all, so that compose builds the image once.
        assert len({service.get("image") for service in users}) == 1

    def test_only_the_gateway_is_published(self, services: dict[str, dict[str, Any]]) -> None:
        published = sorted(name for name, service in services.items() if service.get("ports"))
        assert published == ["gateway"]
        assert any(str(port).endswith(":8000") for port in services["gateway"]["ports"])


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    # check-jsonschema ships the Compose Specification schema, so this runs offline.
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


# --- Variables and secrets ----------------------------------------------------------------

SECRET_KEY = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY\b|PRIVATE")
REQUIRED_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]+\}")


class TestVariables:
    def test_env_example_sets_every_required_variable_and_documents_the_rest(
        self, compose: dict[str, Any]
    ) -> None:
        assigned, documented = env_example()
        required: set[str] = set()
        optional: set[str] = set()
        for text in strings(compose):
            for match in references(text):
                (required if (match["operator"] or "").endswith("?") else optional).add(
                    match["name"]
                )
        assert required <= assigned.keys(), "required variables missing from .env.example"
        assert optional <= assigned.keys() | documented, "optional variables not documented"
        assert assigned.keys() | documented <= required | optional, "stale .env.example entry"

    def test_env_example_secret_is_a_placeholder_the_apps_refuse(self) -> None:
        # Copying .env.example as it is must not give a working, publicly known secret.
        assigned, _ = env_example()
        with pytest.raises(ValueError, match="placeholder"):
            check_secret(SecretStr(assigned["FNET_INTERNAL_TOKEN_SECRET"]))

    def test_env_example_log_key_is_one_the_donations_service_refuses(self) -> None:
        assigned, _ = env_example()
        with pytest.raises(ValueError, match="base64"):
            load_signer(SecretStr(assigned["FNET_LOG_SIGNING_KEY"]))

    @pytest.mark.parametrize("variable", sorted(sample_variables()))
    def test_compose_refuses_to_start_without(
        self, variable: str, services: dict[str, dict[str, Any]]
    ) -> None:
        variables = sample_variables()
        del variables[variable]
        with pytest.raises(MissingVariable, match=variable):
            interpolate_environments(services, variables)


def interpolate_environments(
    services: dict[str, dict[str, Any]], variables: Mapping[str, str]
) -> None:
    for service in services.values():
        for value in environment(service).values():
            interpolate(value, variables)


class TestSecrets:
    def test_secret_values_are_required_references(
        self, services: dict[str, dict[str, Any]]
    ) -> None:
        for name, service in services.items():
            for key, value in environment(service).items():
                if SECRET_KEY.search(key):
                    assert REQUIRED_REFERENCE.fullmatch(value), (
                        f"{name}.{key} must be exactly ${{VARIABLE:?message}}, not {value!r}"
                    )

    def test_url_credentials_come_from_the_environment(
        self, services: dict[str, dict[str, Any]]
    ) -> None:
        # Every variable replaced by a marker: a user or password that is not a marker was
        # written into the file.
        names = {match["name"] for text in strings(services) for match in references(text)}
        markers = {name: f"marker{number}" for number, name in enumerate(sorted(names))}
        urls = 0
        for name, service in services.items():
            for key, value in environment(service).items():
                url = urlsplit(interpolate(value, markers))
                if url.password is not None or url.username is not None:
                    urls += 1
                    assert url.password in markers.values(), f"{name}.{key} has a literal password"
                    assert url.username in markers.values(), f"{name}.{key} has a literal user"
        assert urls >= len(APPS)

    def test_the_file_holds_no_value_from_env_example(self) -> None:
        assigned, _ = env_example()
        text = COMPOSE_FILE.read_text()
        for key, value in assigned.items():
            if SECRET_KEY.search(key):
                assert value not in text, f"the {key} placeholder is written into the file"


# --- The apps ------------------------------------------------------------------------------


class TestApps:
    @by_service(APPS)
    def test_command_runs_the_factory_with_uvicorn(
        self, app: App, services: dict[str, dict[str, Any]]
    ) -> None:
        command = services[app.service]["command"]
        assert command[:3] == ["uvicorn", app.factory, "--factory"]
        assert command[command.index("--host") + 1] == "0.0.0.0"
        assert callable(load(app.factory))

    @by_service(APPS)
    def test_every_variable_is_a_field_of_the_settings(
        self, app: App, services: dict[str, dict[str, Any]]
    ) -> None:
        settings_class = load(app.settings)
        assert issubclass(settings_class, AppSettings)
        assert settings_class.model_config.get("env_prefix") == app.prefix
        env = environment(services[app.service])
        foreign = [key for key in env if not key.startswith(app.prefix)]
        assert not foreign, f"{app.service} is given variables it does not read: {foreign}"
        given = {key.removeprefix(app.prefix).lower() for key in env}
        unknown = given - settings_class.model_fields.keys()
        assert not unknown, f"{app.service} has no settings field for {sorted(unknown)}"
        missing = required_fields(settings_class) - given
        assert not missing, f"{app.service} needs {sorted(missing)}"

    @by_service(APPS)
    def test_factory_builds_the_app_from_the_compose_environment(
        self, app: App, services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # What uvicorn --factory does: call create_app() with no argument, settings from env.
        for key in list(os.environ):
            if key.startswith("FNET_"):
                monkeypatch.delenv(key)
        variables = sample_variables()
        for key, value in environment(services[app.service]).items():
            monkeypatch.setenv(key, interpolate(value, variables))

        built = load(app.factory)()

        assert callable(built)
        settings = load(app.settings)()
        assert (
            settings.internal_token_secret.get_secret_value()
            == (variables["FNET_INTERNAL_TOKEN_SECRET"])
        )
        assert urlsplit(settings.database_url).hostname == "postgres"

    @by_service(APPS)
    def test_health_check_asks_the_app_itself(
        self, app: App, services: dict[str, dict[str, Any]]
    ) -> None:
        service = services[app.service]
        check = service["healthcheck"]["test"]
        assert check[0] == "CMD"
        assert f"http://127.0.0.1:{port_of(service['command'])}/healthz" in " ".join(check)

    @by_service(APPS)
    def test_starts_after_its_dependencies_are_healthy_and_migrated(
        self, app: App, services: dict[str, dict[str, Any]]
    ) -> None:
        depends_on = services[app.service]["depends_on"]
        assert isinstance(depends_on, dict), "depends_on needs conditions, not a list"
        expected = dict.fromkeys(INFRASTRUCTURE, "service_healthy")
        expected["migrate"] = "service_completed_successfully"
        if app is GATEWAY:
            expected |= {service.service: "service_healthy" for service in SERVICES}
        assert {name: dep["condition"] for name, dep in depends_on.items()} == expected
        for name, condition in expected.items():
            if condition == "service_healthy":
                assert "healthcheck" in services[name], f"{name} has no health check"


class TestGateway:
    @by_service(SERVICES)
    def test_upstream_url_is_the_compose_service(
        self, app: App, services: dict[str, dict[str, Any]]
    ) -> None:
        url = environment(services[GATEWAY.service])[f"FNET_GATEWAY_{app.service.upper()}_URL"]
        port = port_of(services[app.service]["command"])
        assert url == f"http://{app.service}:{port}"


# --- Databases and migrations -------------------------------------------------------------


def database_urls(services: dict[str, dict[str, Any]]) -> dict[str, str]:
    variables = sample_variables()
    return {
        app.service: interpolate(
            environment(services[app.service])[f"{app.prefix}DATABASE_URL"], variables
        )
        for app in APPS
    }


class TestDatabases:
    def test_each_app_has_its_own_database(self, services: dict[str, dict[str, Any]]) -> None:
        urls = database_urls(services)
        assert {app: urlsplit(url).path for app, url in urls.items()} == {
            app.service: f"/fnet_{app.service}" for app in APPS
        }
        assert {urlsplit(url).hostname for url in urls.values()} == {"postgres"}

    def test_init_script_creates_every_database(self, services: dict[str, dict[str, Any]]) -> None:
        postgres = services["postgres"]
        mounted = {
            str(volume).split(":")[0]: str(volume).split(":")[1]
            for volume in postgres["volumes"]
            if str(volume).startswith(".")
        }
        [(source, target)] = mounted.items()
        assert target.startswith(f"{INITDB_DIR}/")
        assert target.endswith(".sh")
        script = ROOT / source
        assert script.stat().st_mode & stat.S_IXUSR, "the init script must be executable"
        created = set(re.findall(r"\bfnet_[a-z]+\b", script.read_text()))
        for url in database_urls(services).values():
            assert urlsplit(url).path.lstrip("/") in created

    def test_postgres_health_check_waits_for_the_init_scripts(
        self, services: dict[str, dict[str, Any]]
    ) -> None:
        # During init the image's temporary server listens on the Unix socket only; a check
        # over TCP passes only once the real server (and so every database) is up.
        check = " ".join(services["postgres"]["healthcheck"]["test"])
        assert "pg_isready" in check
        assert "-h 127.0.0.1" in check or "-h localhost" in check


class TestMigrate:
    def test_runs_the_cli_after_postgres_is_healthy(
        self, services: dict[str, dict[str, Any]]
    ) -> None:
        migrate = services["migrate"]
        assert migrate["command"] == ["fnet", "migrate"]
        assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        assert migrate.get("restart") == "no"

    def test_the_cli_exists(self) -> None:
        scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
        assert callable(load(scripts["fnet"]))

    def test_migrates_every_app_database(self, services: dict[str, dict[str, Any]]) -> None:
        env = environment(services["migrate"])
        assert env == {
            f"{app.prefix}DATABASE_URL": environment(services[app.service])[
                f"{app.prefix}DATABASE_URL"
            ]
            for app in APPS
        }


class TestInfrastructure:
    @pytest.mark.parametrize("name", INFRASTRUCTURE)
    def test_has_a_health_check(self, name: str, services: dict[str, dict[str, Any]]) -> None:
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")

    def test_nats_keeps_jetstream_on_a_volume(self, services: dict[str, dict[str, Any]]) -> None:
        command = services["nats"]["command"]
        assert "--jetstream" in command or "-js" in command
        store = command[command.index("--store_dir" if "--store_dir" in command else "-sd") + 1]
        assert any(str(volume).endswith(f":{store}") for volume in services["nats"]["volumes"])


# --- The image ----------------------------------------------------------------------------


def dockerignored(name: str) -> bool:
    """Whether a top-level entry of the build context is left out: the last matching
    pattern wins, ``!`` re-includes."""
    ignored = False
    for line in DOCKERIGNORE.read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.removeprefix("!").rstrip("/")
        if fnmatch(name, pattern):
            ignored = not negated
    return ignored


class TestImage:
    def test_default_command_runs_the_gateway(self, services: dict[str, dict[str, Any]]) -> None:
        cmd = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD ")]
        assert json.loads(cmd[-1].removeprefix("CMD ")) == services["gateway"]["command"]

    def test_runs_as_a_non_root_user(self) -> None:
        users = [
            line.split()[1]
            for line in DOCKERFILE.read_text().splitlines()
            if line.startswith("USER ")
        ]
        assert users
        assert users[-1].split(":")[0] not in ("root", "0")

    @pytest.mark.parametrize(
        "name", [".env", ".git", ".venv", "var", "tests", "bench", "__pycache__"]
    )
    def test_context_leaves_out(self, name: str) -> None:
        assert dockerignored(name)

    def test_context_keeps_what_the_install_needs(self) -> None:
        pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
        packages = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
        for package in (pattern.rstrip("*") for pattern in packages):
            assert not dockerignored(package), package
        assert not dockerignored("pyproject.toml")
        assert not dockerignored(pyproject["project"]["readme"])
