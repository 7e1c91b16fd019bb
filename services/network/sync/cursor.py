"""The feed's cursor: opaque to clients; here, the feed's epoch and the position of the
last change delivered (its number, and the resource id that breaks ties within it, since
one change, a foundation joining a network, can bring many resources at one number), and,
while a full resync pages, the head it began at."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass

from services.network.sync.exceptions import ResyncRequired

_PREFIX = b"s2"
# "Everything at this number was delivered": sorts after every resource id.
ALL = uuid.UUID(int=(1 << 128) - 1)


@dataclass(frozen=True, slots=True)
class Position:
    seq: int
    after: uuid.UUID = ALL
    # While a full resync pages: the feed's head when it began. Tombstones and losses up to
    # it concern nothing the resync delivers, so it leaves them out.
    floor: int = 0


_MAX_SEQ = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Cursor:
    epoch: str
    position: Position

    def encode(self) -> str:
        raw = (
            _PREFIX
            + bytes.fromhex(self.epoch)
            + self.position.seq.to_bytes(8, "big")
            + self.position.after.bytes
            + self.position.floor.to_bytes(8, "big")
        )
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != len(_PREFIX) + 16 + 8 + 16 + 8 or not raw.startswith(_PREFIX):
            raise ResyncRequired(
                "this cursor was not given out by this feed; start a full resync by calling "
                "without since"
            )
        body = raw[len(_PREFIX) :]
        seq, floor = int.from_bytes(body[16:24], "big"), int.from_bytes(body[40:48], "big")
        if max(seq, floor) > _MAX_SEQ:  # never given out: sequence numbers are bigints
            raise ResyncRequired(
                "this cursor was not given out by this feed; start a full resync by calling "
                "without since"
            )
        return cls(
            epoch=body[:16].hex(),
            position=Position(seq=seq, after=uuid.UUID(bytes=body[24:40]), floor=floor),
        )
