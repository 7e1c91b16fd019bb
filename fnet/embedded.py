"""The embedded default: all four apps in one process, each on its own port and SQLite file.

Nothing else needs to be installed: the apps share one in-memory event bus. Migrations
are applied before the apps start; Ctrl-C (or SIGTERM) stops every server gracefully, also
while the demo data is loading (the next start finishes loading it). A port already in use
is named before anything starts, with the ``--<app>-port`` flag that moves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from fnet.apps import APPS, GATEWAY, AppSpec
from kit.events import InMemoryBus
from kit.logs import configure_logging
from kit.migrations import upgrade
from kit.settings import AppSettings


@dataclass
class EmbeddedConfig:
    var_dir: Path
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=lambda: {a.name: a.default_port for a in APPS})
    secret: str = ""
    json_logs: bool = False
    log_level: str = "WARNING"

    def url(self, app: AppSpec) -> str:
        return f"http://{self.host}:{self.ports[app.name]}"


def internal_secret() -> str:
    """The identity-token secret: from the environment, else a fresh one for this run
    (tokens live for a minute, so nothing needs it to survive a restart)."""
    return os.environ.get("FNET_INTERNAL_TOKEN_SECRET") or secrets.token_urlsafe(48)


def settings_for(app: AppSpec, config: EmbeddedConfig) -> AppSettings:
    values: dict[str, object] = {
        "database_url": app.database_url(config.var_dir),
        "internal_token_secret": config.secret,
        "json_logs": config.json_logs,
        "log_level": config.log_level,
    }
    if app is GATEWAY:
        values.update(
            {
                f"{service.name}_url": config.url(service)
                for service in APPS
                if service is not GATEWAY
            }
        )
    settings_class: Any = app.settings_class  # each app's class takes its own fields
    settings: AppSettings = settings_class(**values)
    return settings


def migrate_all(config: EmbeddedConfig) -> None:
    for app in APPS:
        upgrade(app.migrations, app.database_url(config.var_dir))


class _Server(uvicorn.Server):
    # One process runs several servers; the embedding code owns the signals, not each server.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class PortsInUse(Exception):
    """Ports that another program already listens on: ``(app name, port)`` pairs."""

    def __init__(self, taken: list[tuple[str, int]], host: str) -> None:
        self.taken = taken
        self.host = host
        super().__init__(self.message())

    def message(self) -> str:
        lines = [
            f"fnet: port {port} ({name}) is already in use on {self.host}; "
            f"start with --{name}-port PORT to use another"
            for name, port in self.taken
        ]
        if len(lines) > 2:
            ports = ", ".join(f"{port} ({name})" for name, port in self.taken)
            flags = " ".join(f"--{name}-port PORT" for name, _ in self.taken)
            lines = [f"fnet: ports {ports} are already in use on {self.host}; move them: {flags}"]
        return "\n".join(lines)


def check_ports(config: EmbeddedConfig) -> None:
    """Raise :class:`PortsInUse` naming each app whose port another program holds, before
    anything starts: uvicorn would otherwise fail one server deep in its start-up."""
    taken = []
    for app in APPS:
        port = config.ports[app.name]
        with socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET) as sock:
            # As uvicorn binds: a port left in TIME_WAIT by our last run is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((config.host, port))
            except OSError:
                taken.append((app.name, port))
    if taken:
        raise PortsInUse(taken, config.host)


class StillStarting(Exception):
    """Readiness while the start-up work (the demo data) is not done yet."""


def _servers(
    config: EmbeddedConfig, bus: InMemoryBus, start_up_done: Callable[[], Awaitable[None]]
) -> list[_Server]:
    servers = []
    for app in APPS:
        settings = settings_for(app, config)
        # The gateway too: revocations reach it over the bus, as they would every replica.
        asgi = app.factory(settings, bus=bus)
        if app is GATEWAY:
            # The gateway is ready only once the start-up work is done.
            asgi.state.readiness_checks.append(("start_up", start_up_done))
        servers.append(
            _Server(
                uvicorn.Config(
                    asgi,
                    host=config.host,
                    port=config.ports[app.name],
                    log_config=None,
                    access_log=False,
                    lifespan="on",
                )
            )
        )
    return servers


async def serve(
    config: EmbeddedConfig,
    after_start: Callable[[], Coroutine[Any, Any, None]] | None = None,
    *,
    loading: str = "finishing start-up",
) -> None:
    """Run every app until a signal arrives. ``after_start`` runs once all are listening
    (``loading`` says what it does); only when it is done does the gateway's ``/readyz``
    answer ready and "up" get printed. A signal while it runs cancels it and stops cleanly."""
    # One in-memory bus for the four apps: the embedded default needs no NATS.
    bus = InMemoryBus()
    started = asyncio.Event()

    async def start_up_done() -> None:
        if not started.is_set():
            raise StillStarting(loading)

    servers = _servers(config, bus, start_up_done)

    work: asyncio.Task[None] | None = None

    def stop() -> None:
        for server in servers:
            server.should_exit = True
        if work is not None:
            work.cancel()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop)

    tasks = [asyncio.create_task(server.serve()) for server in servers]
    while not all(server.started for server in servers):
        if any(task.done() for task in tasks):
            stop()
            break
        await asyncio.sleep(0.05)
    else:
        interrupted = False
        if after_start is not None:
            print(
                f"Foundation Network is starting: {loading}; the gateway "
                f"({config.url(GATEWAY)}) answers /readyz when done. (Ctrl-C stops)",
                flush=True,
            )
            work = asyncio.create_task(after_start())
            try:
                await work
            except asyncio.CancelledError:
                interrupted = True
            except Exception:
                stop()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        if interrupted:
            print(f"Stopped while {loading}; the next start finishes it.", flush=True)
        elif not any(server.should_exit for server in servers):
            started.set()
            print(
                f"Foundation Network is up: gateway {config.url(GATEWAY)}  "
                f"API docs {config.url(GATEWAY)}/docs  (Ctrl-C stops)",
                flush=True,
            )
    results = await asyncio.gather(*tasks, return_exceptions=True)
    await bus.close()
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]
    if not all(server.started for server in servers):
        # uvicorn logs why (most often: the port is taken) and returns without raising.
        sys.exit("fnet: an app could not start (is one of its ports already in use?)")


def run(
    config: EmbeddedConfig,
    after_start: Callable[[], Coroutine[Any, Any, None]] | None = None,
    *,
    loading: str = "finishing start-up",
) -> None:
    """Check the ports, migrate, and serve until Ctrl-C or SIGTERM. A taken port ends the
    run at once with one or two lines naming it and the flag that moves it (exit 2)."""
    try:
        check_ports(config)
    except PortsInUse as exc:
        print(exc.message(), file=sys.stderr)
        sys.exit(2)
    configure_logging("fnet", level=config.log_level, json=config.json_logs)
    try:
        migrate_all(config)
    except KeyboardInterrupt:
        # Each migration runs in a transaction: an interrupted one is rolled back.
        print("Stopped while migrating; the next start migrates again.", file=sys.stderr)
        sys.exit(130)
    asyncio.run(serve(config, after_start, loading=loading))
