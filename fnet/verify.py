"""``fnet verify``: check a foundation's transparency log without trusting the server.

It fetches the public keys, every signed tree head, the consistency proofs between
consecutive heads and, for each entry, the entry and its inclusion proof in the latest
head. It checks each signature, each proof and each entry's hash itself
(:mod:`fnet.merkle_proofs`, written apart from the server's tree code), and names what
broke: a head whose signature fails, two heads that do not extend one another (a forked
log), an entry whose content does not hash to its leaf, a leaf the head does not include.

It talks to the gateway's public paths only (``/api/v1/log/keys`` and
``/api/v1/foundations/{id}/log/...``), so anyone can run it.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import itertools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fnet.merkle_proofs import hash_leaf, verify_consistency, verify_inclusion

# How often one read is tried again after a 429 before verification gives up.
RATE_LIMITED_TRIES = 10


@dataclass(frozen=True, slots=True)
class Head:
    size: int
    root: bytes
    issued_at: dt.datetime
    key_id: str
    signature: bytes

    @classmethod
    def of(cls, body: dict[str, Any]) -> Head:
        return cls(
            size=int(body["size"]),
            root=bytes.fromhex(body["root_hash"]),
            issued_at=dt.datetime.fromisoformat(body["issued_at"]),
            key_id=str(body["key_id"]),
            signature=base64.b64decode(body["signature"]),
        )


@dataclass
class Report:
    foundation_id: uuid.UUID
    heads: int = 0
    entries: int = 0
    size: int = 0
    root: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def head_message(foundation_id: uuid.UUID, head: Head) -> bytes:
    """What a head's signature covers (``docs/ledger.md``)."""
    issued = head.issued_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return (
        f"fnet-log-head v1\nfoundation {foundation_id}\nsize {head.size}\n"
        f"root {head.root.hex()}\nissued_at {issued}"
    ).encode()


def leaf_of(entry: dict[str, Any]) -> bytes:
    """An entry's leaf: its canonical JSON (``docs/ledger.md``)."""
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class LogVerifier:
    def __init__(self, client: httpx.AsyncClient, foundation_id: uuid.UUID) -> None:
        self.client = client
        self.foundation_id = foundation_id
        self.base = f"/api/v1/foundations/{foundation_id}/log"

    async def _get(self, path: str, **params: Any) -> Any:
        # A log is read one entry at a time: past the gateway's rate limit for public reads
        # (429), wait as long as its Retry-After says, then go on.
        for _ in range(RATE_LIMITED_TRIES):
            response = await self.client.get(path, params=params or None)
            if response.status_code != 429:
                break
            await asyncio.sleep(min(float(response.headers.get("Retry-After", "1")), 60.0))
        response.raise_for_status()
        return response.json()

    async def keys(self) -> dict[str, Ed25519PublicKey]:
        keys = await self._get("/api/v1/log/keys")
        return {
            k["key_id"]: Ed25519PublicKey.from_public_bytes(base64.b64decode(k["public_key"]))
            for k in keys
        }

    async def heads(self) -> list[Head]:
        """Every signed head, oldest first."""
        heads: list[Head] = []
        cursor: str | None = None
        while True:
            page = await self._get(
                f"{self.base}/heads", limit=200, **({"cursor": cursor} if cursor else {})
            )
            heads += [Head.of(item) for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return heads[::-1]

    def check_signatures(
        self, heads: Sequence[Head], keys: dict[str, Ed25519PublicKey], report: Report
    ) -> None:
        for head in heads:
            key = keys.get(head.key_id)
            if key is None:
                report.problems.append(f"head {head.size}: signed by unknown key {head.key_id}")
                continue
            try:
                key.verify(head.signature, head_message(self.foundation_id, head))
            except InvalidSignature:
                report.problems.append(f"head {head.size}: signature does not verify")

    async def check_consistency(self, heads: Sequence[Head], report: Report) -> None:
        for old, new in itertools.pairwise(heads):
            if old.size == new.size:
                if old.root != new.root:
                    report.problems.append(f"heads {old.size}: two roots for one size")
                continue
            proof = await self._get(
                f"{self.base}/proofs/consistency", **{"from": old.size, "to": new.size}
            )
            path = [bytes.fromhex(h) for h in proof["path"]]
            if not verify_consistency(old.size, new.size, old.root, new.root, path):
                report.problems.append(
                    f"heads {old.size} and {new.size}: the later does not extend the earlier "
                    "(a forked or rewritten log)"
                )

    async def check_entry(self, index: int, head: Head, report: Report) -> dict[str, Any]:
        """Check entry ``index`` against its leaf and ``head``; answers its document."""
        found = await self._get(f"{self.base}/entries/{index}")
        leaf_hash = hash_leaf(leaf_of(found["entry"]))
        if leaf_hash.hex() != found["leaf_hash"]:
            report.problems.append(f"entry {index}: its content does not hash to its leaf")
        proof = await self._get(f"{self.base}/proofs/inclusion", seq=index, size=head.size)
        path = [bytes.fromhex(h) for h in proof["path"]]
        if not verify_inclusion(leaf_hash, index, head.size, path, head.root):
            report.problems.append(f"entry {index}: not included in head {head.size}")
        entry: dict[str, Any] = found["entry"]
        return entry

    async def latest_checked_head(self, report: Report) -> Head | None:
        """The latest head, its signature and its consistency with every earlier one
        checked; None if the log has none (a problem then says so)."""
        heads = await self.heads()
        report.heads = len(heads)
        if not heads:
            report.problems.append("the log has no signed head")
            return None
        self.check_signatures(heads, await self.keys(), report)
        await self.check_consistency(heads, report)
        latest = heads[-1]
        report.size, report.root = latest.size, latest.root.hex()
        return latest

    async def verify_receipt(self, receipt: dict[str, Any]) -> Report:
        """Check that a donor's receipt (the JSON ``GET .../receipt`` answers) names an
        entry of the signed log that records that gift."""
        report = Report(self.foundation_id)
        latest = await self.latest_checked_head(report)
        seq = receipt["log"]["seq"]
        if latest is None:
            return report
        if seq is None:
            report.problems.append(
                "the receipt was issued before its entry reached the log; fetch it again"
            )
            return report
        if seq >= latest.size:
            report.problems.append(f"entry {seq}: beyond the latest signed head {latest.size}")
            return report
        entry = await self.check_entry(seq, latest, report)
        report.entries = 1
        if entry["id"] != str(receipt["entry_id"]):
            report.problems.append(f"entry {seq}: is not the receipt's entry {receipt['entry_id']}")
        amount = receipt["amount"]
        # The API writes amounts with the currency's own decimals: "88.88" is 8888 minor units.
        digits = len(amount["amount"].partition(".")[2])
        minor = int(Decimal(amount["amount"]).scaleb(digits))
        if not any(
            currency == amount["currency"] and value == minor
            for _account, _fund, currency, value in entry["lines"]
        ):
            report.problems.append(
                f"entry {seq}: records no {amount['amount']} {amount['currency']}, "
                "the receipt's amount"
            )
        return report

    async def verify(self, *, entries: bool = True) -> Report:
        report = Report(self.foundation_id)
        latest = await self.latest_checked_head(report)
        if latest is not None and entries:
            for index in range(latest.size):
                await self.check_entry(index, latest, report)
            report.entries = latest.size
        return report
