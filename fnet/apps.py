"""The four apps, as the CLI sees them: where each lives, its settings, its port."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from kit.db import Database
from kit.events import Consumer
from kit.migrations import MigrationSet
from kit.settings import AppSettings


@dataclass(frozen=True, slots=True)
class AppSpec:
    name: str
    module: str  # the package holding app.py and settings.py
    settings_class_name: str
    default_port: int

    @property
    def env_prefix(self) -> str:
        return f"FNET_{self.name.upper()}_"

    @property
    def factory_path(self) -> str:
        return f"{self.module}.app:create_app"

    def _app_module(self) -> Any:
        return importlib.import_module(f"{self.module}.app")

    @property
    def migrations(self) -> MigrationSet:
        migrations: MigrationSet = self._app_module().MIGRATIONS
        return migrations

    @property
    def factory(self) -> Callable[..., FastAPI]:
        factory: Callable[..., FastAPI] = self._app_module().create_app
        return factory

    def consumers(self, database: Database) -> Sequence[Consumer]:
        """The app's event consumers on ``database`` (none for an app that consumes none)."""
        build: Callable[[Database], Sequence[Consumer]] | None = getattr(
            self._app_module(), "CONSUMERS", None
        )
        return build(database) if build else []

    @property
    def settings_class(self) -> type[AppSettings]:
        cls: type[AppSettings] = getattr(
            importlib.import_module(f"{self.module}.settings"), self.settings_class_name
        )
        return cls

    def database_url(self, var_dir: Path) -> str:
        """The app's database: ``FNET_<APP>_DATABASE_URL`` if set, else a SQLite file under
        ``var_dir`` (which is then created)."""
        configured = os.environ.get(f"{self.env_prefix}DATABASE_URL")
        if configured:
            return configured
        var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(var_dir / f'{self.name}.db').resolve()}"


GATEWAY = AppSpec("gateway", "gateway", "GatewaySettings", 8000)
DONATIONS = AppSpec("donations", "services.donations", "DonationsSettings", 8001)
PARTNERS = AppSpec("partners", "services.partners", "PartnersSettings", 8002)
NETWORK = AppSpec("network", "services.network", "NetworkSettings", 8003)

SERVICES = (DONATIONS, PARTNERS, NETWORK)
APPS = (GATEWAY, *SERVICES)
BY_NAME = {app.name: app for app in APPS}
