from __future__ import annotations

import datetime as dt
import uuid

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from contracts.network import FoundationCreatedV1, FoundationUpdatedV1
from kit.context import continue_trace, request_id_var, trace_var
from kit.events import Event, export_schemas, new_event
from kit.events.contracts import Payload, UnknownEventType


class TestExportSchemas:
    def test_every_contract_is_a_valid_json_schema(self) -> None:
        schemas = export_schemas()

        assert {"network.foundation.created.v1", "network.foundation.updated.v1"} <= set(schemas)
        for schema in schemas.values():
            Draft202012Validator.check_schema(schema)

    def test_a_schema_accepts_a_real_payload_and_rejects_a_broken_one(self) -> None:
        validator = Draft202012Validator(export_schemas()["network.foundation.updated.v1"])
        payload = FoundationUpdatedV1(
            foundation_id=uuid.uuid4(),
            slug="shekou",
            name="蛇口社区基金会",
            updated_at=dt.datetime.now(dt.UTC),
        ).model_dump(mode="json")

        assert list(validator.iter_errors(payload)) == []
        assert list(validator.iter_errors({**payload, "slug": None}))


class TestNewEvent:
    def test_type_and_version_come_from_the_contract_and_context_from_the_request(
        self,
    ) -> None:
        trace = continue_trace(None)
        rid_token, trace_token = request_id_var.set("req-1"), trace_var.set(trace)
        try:
            foundation_id = uuid.uuid4()
            event = new_event(
                FoundationCreatedV1(
                    foundation_id=foundation_id,
                    slug="shekou",
                    name="蛇口社区基金会",
                    created_at=dt.datetime.now(dt.UTC),
                ),
                producer="network",
                foundation_id=foundation_id,
            )
        finally:
            request_id_var.reset(rid_token)
            trace_var.reset(trace_token)

        assert (event.type, event.version, event.producer) == (
            "network.foundation.created",
            1,
            "network",
        )
        assert event.id.version == 7
        assert event.occurred_at.tzinfo is dt.UTC
        assert (event.request_id, event.traceparent) == ("req-1", trace.traceparent)
        assert Event.from_json(event.to_json()) == event
        assert isinstance(event.parse(), FoundationCreatedV1)

    def test_a_type_that_is_not_service_entity_verb_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            Event(type="foundation_created", version=1, producer="network", payload={})

    def test_an_unregistered_payload_is_refused(self) -> None:
        class NotAContract(Payload):
            note: str = "never registered"

        with pytest.raises(UnknownEventType):
            new_event(NotAContract(), producer="network")
