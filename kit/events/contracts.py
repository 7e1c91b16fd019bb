"""The machinery of event contracts: the registry, :func:`contract`, :class:`Payload`.

The contracts themselves (each event type's versioned payload model) live in the top-level
``contracts`` package, one module per producing service; kit holds none and imports none.
A contract is a pydantic model registered under ``(type, version)``. Producers validate
against it before an event enters the outbox (:func:`kit.events.outbox.emit`); consumers
parse with it (:func:`parse_payload`); :func:`export_schemas` publishes all of them as JSON
Schema for anyone outside Python.

Changing a payload in a way an existing consumer cannot read (removing or renaming a field,
changing its meaning) is a new version; adding an optional field is not.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")

M = TypeVar("M", bound=BaseModel)


class UnknownEventType(LookupError):
    """No contract is registered for this (type, version)."""


@dataclass(frozen=True, slots=True)
class Contract:
    type: str
    version: int
    model: builtins.type[BaseModel]

    @property
    def key(self) -> str:
        return f"{self.type}.v{self.version}"


_by_key: dict[tuple[str, int], Contract] = {}
_by_model: dict[type[BaseModel], Contract] = {}


def contract(type_: str, version: int) -> Callable[[type[M]], type[M]]:
    """Register the decorated payload model as the contract of ``type_`` at ``version``."""
    if not TYPE_PATTERN.match(type_):
        raise ValueError(f"event type {type_!r} is not <service>.<entity>.<verb>")
    if version < 1:
        raise ValueError("event versions start at 1")

    def register(model: type[M]) -> type[M]:
        key = (type_, version)
        if key in _by_key and _by_key[key].model is not model:
            raise ValueError(f"{type_} v{version} already has a contract")
        found = Contract(type_, version, model)
        _by_key[key] = found
        _by_model[model] = found
        return model

    return register


def get(type_: str, version: int) -> Contract:
    try:
        return _by_key[(type_, version)]
    except KeyError:
        raise UnknownEventType(f"no contract for {type_} v{version}") from None


def of(model: type[BaseModel]) -> Contract:
    """The contract a payload model is registered as."""
    try:
        return _by_model[model]
    except KeyError:
        raise UnknownEventType(f"{model.__name__} is not a registered event payload") from None


def all_contracts() -> list[Contract]:
    return sorted(_by_key.values(), key=lambda c: (c.type, c.version))


def validate_payload(type_: str, version: int, payload: dict[str, Any]) -> BaseModel:
    """The payload parsed by its contract; raises pydantic's ValidationError if it does
    not conform, :class:`UnknownEventType` if there is no contract."""
    parsed: BaseModel = get(type_, version).model.model_validate(payload)
    return parsed


def export_schemas() -> dict[str, Any]:
    """Every registered contract as JSON Schema, keyed ``<type>.v<version>``. A contract is
    registered when its module is imported: ``import contracts`` registers them all."""
    schemas: dict[str, Any] = {}
    for found in all_contracts():
        schema = found.model.model_json_schema()
        schema["$id"] = f"urn:fnet:event:{found.key}"
        schema["title"] = found.type
        schema["x-fnet-event-type"] = found.type
        schema["x-fnet-event-version"] = found.version
        schemas[found.key] = schema
    return schemas


class Payload(BaseModel):
    """Base of every contract: immutable; fields a consumer does not know are ignored, so
    that adding an optional field does not break older consumers."""

    model_config = ConfigDict(frozen=True, extra="ignore")
