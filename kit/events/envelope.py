"""The event envelope: what every event carries besides its payload."""

from __future__ import annotations

import builtins
import datetime as dt
import uuid
from typing import Annotated, Any, TypeVar

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from kit.context import request_id_var, trace_var
from kit.events import contracts
from kit.ids import new_id

P = TypeVar("P", bound=BaseModel)

EventType = Annotated[str, Field(pattern=contracts.TYPE_PATTERN.pattern, max_length=200)]


class Event(BaseModel):
    """One event. ``id`` is a UUIDv7 and the deduplication key everywhere (the bus's
    ``Nats-Msg-Id``, consumers' inbox); ``type`` is ``<service>.<entity>.<verb>``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID = Field(default_factory=new_id)
    type: EventType
    version: int = Field(ge=1)
    occurred_at: AwareDatetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    producer: str = Field(min_length=1, max_length=63)
    foundation_id: uuid.UUID | None = None
    request_id: str | None = Field(default=None, max_length=128)
    traceparent: str | None = Field(default=None, max_length=55)
    payload: dict[str, Any]

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: dt.datetime) -> dt.datetime:
        return value.astimezone(dt.UTC)

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_json(cls, data: bytes) -> Event:
        return cls.model_validate_json(data)

    def parse(self) -> BaseModel:
        """The payload, parsed by its contract."""
        return contracts.validate_payload(self.type, self.version, self.payload)

    def parse_as(self, model: builtins.type[P]) -> P:
        """The payload, parsed by its contract, which must be ``model``: a version the
        consumer does not know is an error (the event is retried, then dead-lettered, and
        replayed once the consumer knows it)."""
        payload = self.parse()
        if not isinstance(payload, model):
            raise TypeError(f"{self.type} v{self.version} is not {model.__name__}")
        return payload


def new_event(
    payload: BaseModel,
    *,
    producer: str,
    foundation_id: uuid.UUID | None = None,
    occurred_at: dt.datetime | None = None,
) -> Event:
    """An event whose type and version are those of ``payload``'s contract, carrying the
    current request's id and trace context (when there is a request)."""
    found = contracts.of(type(payload))
    trace = trace_var.get()
    return Event(
        type=found.type,
        version=found.version,
        occurred_at=occurred_at or dt.datetime.now(dt.UTC),
        producer=producer,
        foundation_id=foundation_id,
        request_id=request_id_var.get(),
        traceparent=trace.traceparent if trace else None,
        payload=payload.model_dump(mode="json"),
    )
