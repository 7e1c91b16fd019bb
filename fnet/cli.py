"""``fnet``: run the system, migrate databases, manage API keys, look after events.

    fnet up [--demo]                 all four apps in one process (the embedded default)
    fnet migrate [APP]               apply migrations to every app's database, or one
    fnet keys create --org ID [--partner ID]  make an API key (printed once)
    fnet keys list [--org ID]
    fnet keys revoke KEY_ID
    fnet users create --email E (--org ID [--role R] | --operator)  a person who signs in
    fnet users list [--org ID]
    fnet events schemas              every event contract as JSON Schema
    fnet events status               each service's outbox backlog and dead letters
    fnet events dead-letters [APP]   events a consumer gave up on
    fnet events replay ID [--app APP] run a dead letter's handler again
    fnet verify --url URL --foundation ID   check a foundation's transparency log
    fnet verify --url URL --receipt FILE    check that a donor's receipt is in it
    fnet log keygen                  a new key to sign the log's heads
    fnet sync pull --key KEY [--db F] keep a local SQLite copy of the shared resources

Databases: ``FNET_<APP>_DATABASE_URL`` when set, else SQLite files under ``--var``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

from fnet.apps import APPS, BY_NAME, GATEWAY, NETWORK, SERVICES
from kit.errors import Problem
from kit.identity import ALL_SCOPES, DEFAULT_SCOPES, Scope
from kit.migrations import upgrade


def _users_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = commands.add_parser("users", help="manage people who sign in").add_subparsers(
        dest="users_command", required=True
    )
    user = users.add_parser(
        "create",
        help="create a person (the first admin of a foundation, or the network's operator)",
    )
    user.add_argument("--email", required=True)
    user.add_argument("--name", default="", help="display name (default: the address)")
    who = user.add_mutually_exclusive_group(required=True)
    who.add_argument("--org", type=uuid.UUID, help="the organisation (foundation) they join")
    who.add_argument(
        "--operator", action="store_true", help="the network's operator (keeps the directory)"
    )
    user.add_argument(
        "--role",
        default="admin",
        choices=["admin", "staff", "volunteer", "viewer"],
        help="their role in --org (default admin; partner people are invited by an admin)",
    )
    user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (else it is asked for, twice)",
    )
    people_list = users.add_parser("list", help="list people and their roles")
    people_list.add_argument("--org", type=uuid.UUID)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fnet", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--var",
        type=Path,
        default=Path(os.environ.get("FNET_VAR_DIR", "var")),
        help="folder for the embedded SQLite files (default: $FNET_VAR_DIR or ./var)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run all four apps in one process")
    up.add_argument("--demo", action="store_true", help="load the Shekou story's demo data")
    up.add_argument("--host", default="127.0.0.1")
    for app in APPS:
        up.add_argument(
            f"--{app.name}-port",
            type=int,
            default=app.default_port,
            help=f"default {app.default_port}",
        )
    up.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    up.add_argument("--json-logs", action="store_true", help="log JSON lines")

    migrate = commands.add_parser("migrate", help="apply migrations")
    migrate.add_argument("app", nargs="?", choices=sorted(BY_NAME), help="default: all")

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(
        dest="keys_command", required=True
    )
    create = keys.add_parser("create", help="create a key; it is shown once")
    create.add_argument(
        "--org",
        type=uuid.UUID,
        required=True,
        help="the organisation (foundation) the key acts for",
    )
    create.add_argument(
        "--partner",
        type=uuid.UUID,
        help="a partner organisation of the foundation --org: the key is that partner's, "
        "seeing only its collaborations and grants (scopes partners:read, partners:write)",
    )
    create.add_argument("--name", default="api key")
    create.add_argument(
        "--scope",
        action="append",
        choices=sorted(ALL_SCOPES),
        help="repeat for several; default: every scope but directory:admin and donors:read",
    )
    create.add_argument(
        "--admin", action="store_true", help="also grant directory:admin (register foundations)"
    )
    create.add_argument(
        "--donors",
        action="store_true",
        help="also grant donors:read (donors' contact details: personal data)",
    )
    listing = keys.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--org", type=uuid.UUID)
    revoke = keys.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("key_id", type=uuid.UUID)

    _users_parser(commands)

    services = sorted(app.name for app in SERVICES)
    events = commands.add_parser("events", help="event contracts, outboxes, dead letters")
    events_commands = events.add_subparsers(dest="events_command", required=True)
    events_commands.add_parser("schemas", help="print every event contract as JSON Schema")
    events_commands.add_parser("status", help="outbox backlog and dead letters per service")
    letters = events_commands.add_parser("dead-letters", help="list dead letters not replayed")
    letters.add_argument("app", nargs="?", choices=services, help="default: every service")
    sync = commands.add_parser("sync", help="keep a local copy of the shared resources")
    sync_commands = sync.add_subparsers(dest="sync_command", required=True)
    pull = sync_commands.add_parser(
        "pull", help="pull the sync feed into a local SQLite file (resumes from its checkpoint)"
    )
    pull.add_argument(
        "--url",
        default=os.environ.get("FNET_URL", "http://127.0.0.1:8000"),
        help="the gateway (default: $FNET_URL or http://127.0.0.1:8000)",
    )
    pull.add_argument(
        "--key", default=os.environ.get("FNET_API_KEY"), help="API key (default: $FNET_API_KEY)"
    )
    pull.add_argument("--db", type=Path, default=Path("fnet-sync.sqlite"), help="the local copy")
    pull.add_argument("--follow", action="store_true", help="keep waiting for changes")
    pull.add_argument(
        "--wait", type=float, default=30.0, help="long-poll seconds with --follow (max 30)"
    )

    replay = events_commands.add_parser("replay", help="run a dead letter's handler again")
    replay.add_argument("dead_letter_id", type=uuid.UUID)
    replay.add_argument("--app", choices=services, help="default: whichever service has it")

    verify = commands.add_parser(
        "verify", help="check a foundation's transparency log without trusting the server"
    )
    verify.add_argument("--url", required=True, help="the gateway, e.g. http://127.0.0.1:8000")
    target = verify.add_mutually_exclusive_group(required=True)
    target.add_argument("--foundation", type=uuid.UUID, help="check the foundation's whole log")
    target.add_argument(
        "--receipt",
        type=Path,
        help="check one donor's receipt (its JSON) against the signed log",
    )
    verify.add_argument(
        "--heads-only",
        action="store_true",
        help="check the heads' signatures and consistency, not every entry",
    )
    log = commands.add_parser("log", help="the transparency log's signing key")
    log.add_subparsers(dest="log_command", required=True).add_parser(
        "keygen", help="print a new key for FNET_DONATIONS_LOG_SIGNING_KEY"
    )
    return parser


def _verify(args: argparse.Namespace) -> None:
    import httpx

    from fnet.verify import LogVerifier

    receipt = json.loads(args.receipt.read_text(encoding="utf-8")) if args.receipt else None
    foundation = uuid.UUID(receipt["foundation_id"]) if receipt else args.foundation

    async def run() -> bool:
        async with httpx.AsyncClient(base_url=args.url, timeout=30) as client:
            verifier = LogVerifier(client, foundation)
            if receipt is not None:
                report = await verifier.verify_receipt(receipt)
            else:
                report = await verifier.verify(entries=not args.heads_only)
        print(
            f"foundation {report.foundation_id}: {report.heads} signed heads, latest of "
            f"size {report.size} (root {report.root or '-'}), {report.entries} entries checked"
        )
        for problem in report.problems:
            print(f"BROKEN: {problem}")
        print("valid" if report.valid else f"NOT VALID: {len(report.problems)} problem(s)")
        return report.valid

    try:
        valid = asyncio.run(run())
    except httpx.HTTPError as exc:
        sys.exit(f"fnet: could not read the log at {args.url}: {exc}")
    if not valid:
        sys.exit(1)


def _up(args: argparse.Namespace) -> None:
    from fnet import embedded

    config = embedded.EmbeddedConfig(
        var_dir=args.var,
        host=args.host,
        ports={app.name: getattr(args, f"{app.name}_port") for app in APPS},
        secret=embedded.internal_secret(),
        json_logs=args.json_logs,
        log_level=args.log_level,
    )
    after_start = None
    if args.demo:

        async def load_demo() -> None:
            from fnet import demo
            from kit.db import Database

            gateway_db = Database.from_url(GATEWAY.database_url(config.var_dir), pool_size=2)
            try:
                loaded = await demo.load(
                    gateway_url=config.url(GATEWAY),
                    network_url=config.url(NETWORK),
                    gateway_db=gateway_db,
                    secret=config.secret,
                    var_dir=config.var_dir,
                )
            finally:
                await gateway_db.dispose()
            text = demo.describe(
                loaded.document, config.url(GATEWAY), config.var_dir, added=loaded.writes > 0
            )
            print(text, flush=True)

        after_start = load_demo
    embedded.run(config, after_start, loading="loading the demo data")


def _migrate(args: argparse.Namespace) -> None:
    targets = [BY_NAME[args.app]] if args.app else list(APPS)
    for app in targets:
        upgrade(app.migrations, app.database_url(args.var))
        print(f"{app.name}: migrated to head")


async def _keys(args: argparse.Namespace) -> None:
    from gateway.keys import service as keys
    from kit.db import Database, transaction

    url = GATEWAY.database_url(args.var)
    database = Database.from_url(url, pool_size=1)
    try:
        async with transaction(database, write=True) as session:
            if args.keys_command == "create":
                scopes = frozenset(args.scope) if args.scope else DEFAULT_SCOPES
                if args.partner is not None and (args.admin or args.donors):
                    raise SystemExit("a partner key takes neither --admin nor --donors")
                if args.admin:
                    scopes |= {Scope.DIRECTORY_ADMIN}
                if args.donors:
                    scopes |= {Scope.DONORS_READ}
                record, plaintext = await keys.create_key(
                    session,
                    organisation_id=args.org,
                    name=args.name,
                    scopes=scopes,
                    partner_id=args.partner,
                )
                partner = f"partner: {record.partner_id}\n" if record.partner_id else ""
                print(
                    f"id:     {record.id}\nprefix: {record.prefix}\n{partner}scopes: "
                    f"{' '.join(sorted(record.scopes))}\nkey:    {plaintext}\n"
                    "The key is shown only now; store it safely."
                )
            elif args.keys_command == "list":
                for record in await keys.list_keys(session, organisation_id=args.org):
                    state = "revoked" if record.revoked else "active"
                    print(
                        f"{record.id}  {record.prefix}  {state:<7}  org {record.organisation_id}"
                        f"  {record.name}"
                    )
            else:
                record = await keys.revoke_key(session, args.key_id)
                print(f"revoked {record.id} ({record.prefix})")
    finally:
        await database.dispose()
    if args.keys_command == "revoke":
        await _announce_revocation(record.prefix)


async def _announce_revocation(prefix: str) -> None:
    """Tell the running gateways, over NATS when ``FNET_GATEWAY_BUS_URL`` names it; else
    they stop accepting the key within their key_cache_seconds."""
    from gateway.revocations import Revocations

    bus_url = os.environ.get("FNET_GATEWAY_BUS_URL", "")
    if not bus_url.startswith(("nats://", "tls://")):
        print("gateways stop accepting it within their key_cache_seconds")
        return
    revocations = Revocations(lambda _kind, _ident: None)
    await revocations.start(
        bus=None,
        bus_url=bus_url,
        subject_prefix=os.environ.get("FNET_GATEWAY_BUS_SUBJECT_PREFIX", "fnet"),
        discover_seconds=0.5,
    )
    try:
        await revocations.key_changed(prefix)
    finally:
        await revocations.stop()
    print("every gateway has been told")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("Password (10 characters or more): ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("fnet: the passwords differ")
    return first


async def _users(args: argparse.Namespace) -> None:
    from gateway.people import service as people
    from gateway.people.roles import Role
    from kit.db import Database, transaction

    password = _password(args) if args.users_command == "create" else ""
    database = Database.from_url(GATEWAY.database_url(args.var), pool_size=1)
    try:
        async with transaction(database, write=True) as session:
            if args.users_command == "create":
                person = await people.create_person(
                    session,
                    email=args.email,
                    password=password,
                    display_name=args.name,
                    is_operator=args.operator,
                )
                joined = "the network's operator"
                if args.org is not None:
                    await people.add_membership(session, person, args.org, Role(args.role))
                    joined = f"{args.role} of {args.org}"
                print(f"id:    {person.id}\nemail: {person.email}\nrole:  {joined}")
                print("They sign in with POST /api/v1/auth/login.")
            else:
                for person, memberships in await people.people_with_memberships(
                    session, organisation_id=args.org
                ):
                    roles = ", ".join(f"{m.role.value} of {m.organisation_id}" for m in memberships)
                    if person.is_operator:
                        roles = ", ".join(filter(None, ["operator", roles]))
                    print(f"{person.id}  {person.email:<32}  {roles}")
    finally:
        await database.dispose()


def _events(args: argparse.Namespace) -> None:
    from fnet import events

    if args.events_command == "schemas":
        print(events.schemas())
        return
    targets = [BY_NAME[args.app]] if getattr(args, "app", None) else list(SERVICES)
    urls = {app.name: app.database_url(args.var) for app in targets}
    for app in targets:
        upgrade(app.migrations, urls[app.name])
    if args.events_command == "status":
        print(asyncio.run(events.status(targets, urls)))
    elif args.events_command == "dead-letters":
        print(asyncio.run(events.list_dead_letters(targets, urls)))
    else:
        # Dead-letter ids are unique across services, so the app can be found by trying.
        for app in targets:
            try:
                print(asyncio.run(events.replay(app, urls[app.name], args.dead_letter_id)))
                return
            except LookupError:
                continue
        if len(targets) == 1:
            sys.exit(f"fnet: {targets[0].name} has no dead letter {args.dead_letter_id}")
        sys.exit(f"fnet: no service has a dead letter {args.dead_letter_id}")


def _sync(args: argparse.Namespace) -> None:
    from fnet.sync import SyncError, pull_command

    if not args.key:
        sys.exit("fnet: give an API key with --key or $FNET_API_KEY")
    try:
        asyncio.run(pull_command(args.url, args.key, args.db, follow=args.follow, wait=args.wait))
    except SyncError as exc:
        sys.exit(f"fnet: the sync feed answered {exc}")
    except KeyboardInterrupt:
        pass


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "up":
        _up(args)
    elif args.command == "migrate":
        _migrate(args)
    elif args.command == "events":
        _events(args)
    elif args.command == "verify":
        _verify(args)
    elif args.command == "log":
        from services.donations.log.signing import new_seed

        print(new_seed())
    elif args.command == "sync":
        _sync(args)
    elif args.command == "users":
        upgrade(GATEWAY.migrations, GATEWAY.database_url(args.var))
        try:
            asyncio.run(_users(args))
        except Problem as exc:  # an address taken, a weak password
            sys.exit(f"fnet: {exc.detail or exc.title}")
    else:
        upgrade(GATEWAY.migrations, GATEWAY.database_url(args.var))
        try:
            asyncio.run(_keys(args))
        except Problem as exc:  # KeyNotFound and friends carry a readable message
            sys.exit(f"fnet: {exc.detail or exc.title}")


if __name__ == "__main__":
    main()
