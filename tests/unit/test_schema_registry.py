"""The Schema Registry emulator: its store, its REST API, and confluent-kafka talking to it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from common import registry as calls
from emulator import config
from emulator.schema_registry.app import CONTENT_TYPE, create_app
from emulator.schema_registry.kafka_log import KafkaSchemaLog
from emulator.schema_registry.store import (
    MemoryLog,
    SchemaLogError,
    SchemaLogTimeout,
    SchemaStore,
    canonical_avro,
)

SCHEMA_A: dict[str, Any] = {
    "type": "record",
    "name": "orders_value",
    "namespace": "test",
    "fields": [{"name": "id", "type": "int"}],
}
SCHEMA_B: dict[str, Any] = {
    **SCHEMA_A,
    "fields": [
        {"name": "id", "type": "int"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}


def compact(schema: dict[str, Any]) -> str:
    return json.dumps(schema, separators=(",", ":"))


def spaced(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=4)


@pytest.fixture
def log() -> MemoryLog:
    return MemoryLog()


@pytest.fixture
def client(log: MemoryLog) -> FlaskClient:
    return create_app(SchemaStore(log)).test_client()


def register(client: FlaskClient, subject: str, schema: str) -> Any:
    return client.post(f"/subjects/{subject}/versions", json={"schema": schema})


def register_id(client: FlaskClient, subject: str, schema: str) -> int:
    response = register(client, subject, schema)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json(force=True)["id"]


def body(response: Any) -> Any:
    assert response.content_type == CONTENT_TYPE
    return json.loads(response.get_data(as_text=True))


def assert_error(response: Any, status: int, code: int) -> None:
    assert response.status_code == status
    assert response.content_type == CONTENT_TYPE
    data = body(response)
    assert data["error_code"] == code
    assert data["message"]


# --- registering ---------------------------------------------------------------------------


def test_register_returns_an_id_with_registry_content_type(client: FlaskClient) -> None:
    response = register(client, "orders-value", spaced(SCHEMA_A))
    assert response.status_code == 200
    assert body(response) == {"id": 1}


def test_same_schema_with_other_whitespace_keeps_id_and_version(client: FlaskClient) -> None:
    first = register_id(client, "orders-value", compact(SCHEMA_A))
    second = register_id(client, "orders-value", spaced(SCHEMA_A))
    assert first == second
    assert body(client.get("/subjects/orders-value/versions")) == [1]


def test_same_schema_under_another_subject_shares_the_global_id(client: FlaskClient) -> None:
    first = register_id(client, "orders-value", compact(SCHEMA_A))
    other = register_id(client, "archive-value", spaced(SCHEMA_A))
    assert other == first
    latest = body(client.get("/subjects/archive-value/versions/latest"))
    assert (latest["id"], latest["version"]) == (first, 1)


def test_new_schema_gets_new_version_and_id(client: FlaskClient) -> None:
    first = register_id(client, "orders-value", compact(SCHEMA_A))
    second = register_id(client, "orders-value", compact(SCHEMA_B))
    assert second != first
    assert body(client.get("/subjects/orders-value/versions")) == [1, 2]
    # Registering the older schema again answers with its existing id, no new version.
    assert register_id(client, "orders-value", spaced(SCHEMA_A)) == first
    assert body(client.get("/subjects/orders-value/versions")) == [1, 2]


def test_reads(client: FlaskClient) -> None:
    id_a = register_id(client, "orders-value", compact(SCHEMA_A))
    id_b = register_id(client, "orders-value", compact(SCHEMA_B))
    register_id(client, "other-key", json.dumps("string"))

    assert body(client.get("/subjects")) == ["orders-value", "other-key"]
    assert body(client.get("/subjects/orders-value/versions")) == [1, 2]

    latest = body(client.get("/subjects/orders-value/versions/latest"))
    assert latest["subject"] == "orders-value"
    assert (latest["version"], latest["id"]) == (2, id_b)
    assert json.loads(latest["schema"]) == SCHEMA_B

    first = body(client.get("/subjects/orders-value/versions/1"))
    assert (first["version"], first["id"]) == (1, id_a)
    assert json.loads(first["schema"]) == SCHEMA_A
    assert body(client.get("/subjects/orders-value/versions/1/schema")) == SCHEMA_A

    by_id = body(client.get(f"/schemas/ids/{id_a}"))
    assert set(by_id) == {"schema"}
    assert json.loads(by_id["schema"]) == SCHEMA_A
    assert body(client.get(f"/schemas/ids/{id_b}/schema")) == SCHEMA_B
    assert body(client.get(f"/schemas/ids/{id_a}/versions")) == [
        {"subject": "orders-value", "version": 1}
    ]


def test_lookup(client: FlaskClient) -> None:
    id_a = register_id(client, "orders-value", compact(SCHEMA_A))
    register_id(client, "orders-value", compact(SCHEMA_B))
    found = body(client.post("/subjects/orders-value", json={"schema": spaced(SCHEMA_A)}))
    assert (found["subject"], found["version"], found["id"]) == ("orders-value", 1, id_a)
    assert json.loads(found["schema"]) == SCHEMA_A

    other = {**SCHEMA_A, "name": "other"}
    assert_error(
        client.post("/subjects/orders-value", json={"schema": json.dumps(other)}), 404, 40403
    )
    assert_error(client.post("/subjects/nope", json={"schema": compact(SCHEMA_A)}), 404, 40401)


# --- errors --------------------------------------------------------------------------------


def test_unknown_subject_is_40401(client: FlaskClient) -> None:
    assert_error(client.get("/subjects/nope/versions"), 404, 40401)
    assert_error(client.get("/subjects/nope/versions/latest"), 404, 40401)


def test_unknown_version_is_40402(client: FlaskClient) -> None:
    register_id(client, "orders-value", compact(SCHEMA_A))
    assert_error(client.get("/subjects/orders-value/versions/7"), 404, 40402)


def test_unknown_schema_id_is_40403(client: FlaskClient) -> None:
    assert_error(client.get("/schemas/ids/99"), 404, 40403)


@pytest.mark.parametrize(
    "payload",
    [
        {"schema": "{not json"},
        {"schema": json.dumps({"type": "record", "name": "r", "fields": [{"name": "x"}]})},
        {"schema": json.dumps({**SCHEMA_A, "fields": [{"name": "x", "type": "nope"}]})},
        {"schema": json.dumps({"type": "no-such-type"})},
        {"schema": compact(SCHEMA_A), "schemaType": "PROTOBUF"},
        {"nothing": "here"},
    ],
)
def test_invalid_schema_is_42201(client: FlaskClient, payload: dict[str, Any]) -> None:
    assert_error(client.post("/subjects/s/versions", json=payload), 422, 42201)
    assert body(client.get("/subjects")) == []


# Each operation that reads a body, its body with one field of the wrong JSON type, and the
# error_code Confluent answers it with (422 each time): the store never sees the field.
WRONG_FIELD_TYPES = [
    ("POST", "/subjects/orders-value/versions", {"schema": 1}, 42201),
    ("POST", "/subjects/orders-value", {"schema": "{}", "schemaType": True}, 42201),
    ("POST", "/compatibility/subjects/orders-value/versions", {"schema": None}, 42201),
    (
        "POST",
        "/compatibility/subjects/orders-value/versions/latest",
        {"schema": compact(SCHEMA_B), "references": {}},
        42201,
    ),
    ("PUT", "/config", {"compatibility": None}, 42203),
    ("PUT", "/config/orders-value", {"compatibility": ["FULL"]}, 42203),
]


@pytest.mark.parametrize(
    ("method", "path", "payload", "code"),
    WRONG_FIELD_TYPES,
    ids=[f"{m} {p}" for m, p, *_ in WRONG_FIELD_TYPES],
)
def test_a_body_field_of_the_wrong_json_type_is_422_naming_it(
    client: FlaskClient, method: str, path: str, payload: dict[str, Any], code: int
) -> None:
    register_id(client, "orders-value", compact(SCHEMA_A))
    response = client.open(path, method=method, json=payload)
    assert_error(response, 422, code)
    [(field, wrong)] = [(k, v) for k, v in payload.items() if not isinstance(v, str)]
    kind = {
        int: "a number",
        bool: "a boolean",
        type(None): "null",
        dict: "an object",
        list: "an array",
    }
    assert f"'{field}' must be a" in body(response)["message"]
    assert body(response)["message"].endswith(f"not {kind[type(wrong)]}")
    assert body(client.get("/config")) == {"compatibilityLevel": "BACKWARD"}


def test_optional_schema_fields_sent_as_null_are_not_given(client: FlaskClient) -> None:
    payload = {"schema": compact(SCHEMA_A), "schemaType": None, "references": None}
    assert body(client.post("/subjects/orders-value/versions", json=payload)) == {"id": 1}


# --- deleting ------------------------------------------------------------------------------


def test_soft_then_permanent_delete(client: FlaskClient) -> None:
    id_a = register_id(client, "orders-value", compact(SCHEMA_A))
    register_id(client, "orders-value", compact(SCHEMA_B))
    register_id(client, "keep-value", compact(SCHEMA_A))

    # Permanent first is refused: Confluent wants a soft delete before.
    assert_error(client.delete("/subjects/orders-value?permanent=true"), 404, 40405)

    assert body(client.delete("/subjects/orders-value")) == [1, 2]
    assert body(client.get("/subjects")) == ["keep-value"]
    assert body(client.get("/subjects?deleted=true")) == ["keep-value", "orders-value"]
    assert_error(client.get("/subjects/orders-value/versions"), 404, 40401)
    assert body(client.get("/subjects/orders-value/versions?deleted=true")) == [1, 2]
    # The id stays readable (another subject uses it, and ids are never reused anyway).
    assert json.loads(body(client.get(f"/schemas/ids/{id_a}"))["schema"]) == SCHEMA_A

    assert body(client.delete("/subjects/orders-value?permanent=true")) == [1, 2]
    assert body(client.get("/subjects?deleted=true")) == ["keep-value"]
    assert_error(client.get("/subjects/orders-value/versions?deleted=true"), 404, 40401)
    assert_error(client.delete("/subjects/orders-value"), 404, 40401)


def test_register_after_soft_delete_continues_versions(client: FlaskClient) -> None:
    id_a = register_id(client, "orders-value", compact(SCHEMA_A))
    client.delete("/subjects/orders-value")
    assert register_id(client, "orders-value", compact(SCHEMA_A)) == id_a
    assert body(client.get("/subjects/orders-value/versions")) == [2]


# --- config --------------------------------------------------------------------------------


def test_config_get_and_put(client: FlaskClient) -> None:
    assert body(client.get("/config")) == {"compatibilityLevel": "BACKWARD"}
    assert body(client.put("/config", json={"compatibility": "full"})) == {"compatibility": "FULL"}
    assert body(client.get("/config")) == {"compatibilityLevel": "FULL"}
    # A subject without its own level inherits the global one.
    assert body(client.get("/config/orders-value")) == {"compatibilityLevel": "FULL"}
    assert body(client.put("/config/orders-value", json={"compatibility": "NONE"})) == {
        "compatibility": "NONE"
    }
    assert body(client.get("/config/orders-value")) == {"compatibilityLevel": "NONE"}
    assert body(client.get("/config")) == {"compatibilityLevel": "FULL"}
    assert_error(client.put("/config", json={"compatibility": "SOMETIMES"}), 422, 42203)


# --- compatibility -------------------------------------------------------------------------

SCHEMA_REQUIRED_NOTE: dict[str, Any] = {
    **SCHEMA_A,
    "fields": [{"name": "id", "type": "int"}, {"name": "note", "type": "string"}],
}
SCHEMA_NO_ID: dict[str, Any] = {
    **SCHEMA_A,
    "fields": [{"name": "note", "type": ["null", "string"], "default": None}],
}


def test_incompatible_schema_is_refused_with_409(client: FlaskClient) -> None:
    register_id(client, "orders-value", compact(SCHEMA_A))
    response = register(client, "orders-value", compact(SCHEMA_REQUIRED_NOTE))
    assert_error(response, 409, 409)
    message = body(response)["message"]
    assert message.startswith(
        "Schema being registered is incompatible with an earlier schema for subject "
        '"orders-value", details: ['
    )
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in message and "'note'" in message
    assert "{oldSchemaVersion: 1}" in message and "{compatibility: 'BACKWARD'}" in message
    assert message.endswith("]")
    # Nothing was registered.
    assert body(client.get("/subjects/orders-value/versions")) == [1]


def test_compatible_evolution_and_first_schema_are_accepted(client: FlaskClient) -> None:
    # The first version of a subject is never checked; adding an optional field is BACKWARD.
    register_id(client, "orders-value", compact(SCHEMA_REQUIRED_NOTE))
    register_id(client, "other-value", compact(SCHEMA_A))
    register_id(client, "other-value", compact(SCHEMA_B))
    assert body(client.get("/subjects/other-value/versions")) == [1, 2]


def test_confluent_kafka_client_sees_the_409(registry_url: str) -> None:

    registry = SchemaRegistryClient({"url": registry_url})
    registry.register_schema("orders-value", Schema(compact(SCHEMA_A), "AVRO"))
    with pytest.raises(SchemaRegistryError) as raised:
        registry.register_schema("orders-value", Schema(compact(SCHEMA_REQUIRED_NOTE), "AVRO"))
    assert raised.value.http_status_code == 409
    assert raised.value.error_code == 409
    assert registry.test_compatibility("orders-value", Schema(compact(SCHEMA_B), "AVRO"))


@pytest.mark.parametrize(
    ("level", "schema", "accepted"),
    [
        ("NONE", SCHEMA_REQUIRED_NOTE, True),
        ("NONE", {"type": "string"}, True),
        ("BACKWARD", SCHEMA_NO_ID, True),
        ("FORWARD", SCHEMA_NO_ID, False),
        ("FORWARD", SCHEMA_REQUIRED_NOTE, True),
        ("FULL", SCHEMA_REQUIRED_NOTE, False),
        ("FULL", SCHEMA_B, True),
    ],
)
def test_subject_level_decides(
    client: FlaskClient, level: str, schema: dict[str, Any], accepted: bool
) -> None:
    register_id(client, "orders-value", compact(SCHEMA_A))
    client.put("/config/orders-value", json={"compatibility": level})
    response = register(client, "orders-value", compact(schema))
    if accepted:
        assert response.status_code == 200, response.get_data(as_text=True)
        assert body(client.get("/subjects/orders-value/versions")) == [1, 2]
    else:
        assert_error(response, 409, 409)
        assert f"{{compatibility: '{level}'}}" in body(response)["message"]


def test_global_level_applies_to_subjects_without_their_own(client: FlaskClient) -> None:
    register_id(client, "orders-value", compact(SCHEMA_A))
    client.put("/config", json={"compatibility": "NONE"})
    register_id(client, "orders-value", compact(SCHEMA_REQUIRED_NOTE))
    client.put("/config", json={"compatibility": "BACKWARD"})
    client.put("/config/orders-value", json={"compatibility": "NONE"})
    register_id(client, "orders-value", compact(SCHEMA_NO_ID))
    client.put("/config/orders-value", json={"compatibility": "BACKWARD"})
    # v1 again is its existing id (no check); a new schema needing `id` is refused.
    assert register_id(client, "orders-value", compact(SCHEMA_A)) == 1
    long_id = {**SCHEMA_A, "fields": [{"name": "id", "type": "long"}]}
    assert_error(register(client, "orders-value", compact(long_id)), 409, 409)


def test_transitive_level_checks_every_version(client: FlaskClient) -> None:
    client.put("/config/orders-value", json={"compatibility": "NONE"})
    register_id(client, "orders-value", compact(SCHEMA_NO_ID))  # v1: no id
    register_id(client, "orders-value", compact(SCHEMA_B))  # v2: id, note
    client.put("/config/orders-value", json={"compatibility": "BACKWARD"})
    schema_c = {
        **SCHEMA_B,
        "fields": [*SCHEMA_B["fields"], {"name": "n", "type": "long", "default": 0}],
    }
    register_id(client, "orders-value", compact(schema_c))  # reads v2 (the latest)
    client.put("/config/orders-value", json={"compatibility": "BACKWARD_TRANSITIVE"})
    schema_d = {
        **schema_c,
        "fields": [*schema_c["fields"], {"name": "m", "type": "int", "default": 1}],
    }
    response = register(client, "orders-value", compact(schema_d))
    assert_error(response, 409, 409)
    assert "{oldSchemaVersion: 1}" in body(response)["message"]


def test_deleted_versions_are_not_checked(client: FlaskClient) -> None:
    register_id(client, "orders-value", compact(SCHEMA_A))
    client.delete("/subjects/orders-value")
    register_id(client, "orders-value", compact(SCHEMA_REQUIRED_NOTE))


def test_compatibility_route(client: FlaskClient) -> None:
    register_id(client, "orders-value", compact(SCHEMA_A))
    url = "/compatibility/subjects/orders-value/versions"
    assert body(client.post(f"{url}/latest", json={"schema": compact(SCHEMA_B)})) == {
        "is_compatible": True
    }
    assert body(client.post(f"{url}/1", json={"schema": compact(SCHEMA_REQUIRED_NOTE)})) == {
        "is_compatible": False
    }
    verbose = body(
        client.post(f"{url}/latest?verbose=true", json={"schema": compact(SCHEMA_REQUIRED_NOTE)})
    )
    assert verbose["is_compatible"] is False
    assert any("READER_FIELD_MISSING_DEFAULT_VALUE" in m for m in verbose["messages"])
    ok = body(client.post(f"{url}/latest?verbose=true", json={"schema": compact(SCHEMA_B)}))
    assert ok == {"is_compatible": True, "messages": []}
    # Nothing registers through this route.
    assert body(client.get("/subjects/orders-value/versions")) == [1]
    # The level's direction applies.
    client.put("/config/orders-value", json={"compatibility": "FORWARD"})
    assert body(client.post(f"{url}/1", json={"schema": compact(SCHEMA_REQUIRED_NOTE)})) == {
        "is_compatible": True
    }
    client.put("/config/orders-value", json={"compatibility": "NONE"})
    assert body(client.post(f"{url}/1", json={"schema": json.dumps("string")})) == {
        "is_compatible": True
    }
    assert_error(client.post(f"{url}/9", json={"schema": compact(SCHEMA_B)}), 404, 40402)
    assert_error(client.post(f"{url}/x", json={"schema": compact(SCHEMA_B)}), 422, 42202)
    assert_error(
        client.post(
            "/compatibility/subjects/nope/versions/latest", json={"schema": compact(SCHEMA_B)}
        ),
        404,
        40401,
    )
    assert_error(client.post(f"{url}/latest", json={"schema": "{bad"}), 422, 42201)


# --- restart -------------------------------------------------------------------------------


def _snapshot(store: SchemaStore) -> dict[str, Any]:
    subjects = store.subjects(include_deleted=True)
    return {
        "live": store.subjects(),
        "subjects": {
            s: [
                (v, store.get_version(s, v).schema_id, store.get_version(s, v).schema)
                if s in store.subjects()
                else v
                for v in store.versions(s, include_deleted=True)
            ]
            for s in subjects
        },
        "global": store.compatibility(),
        "orders": store.compatibility("orders-value"),
    }


def test_replaying_the_log_rebuilds_the_same_registry(log: MemoryLog) -> None:
    store = SchemaStore(log)
    id_a = store.register("orders-value", compact(SCHEMA_A))
    id_b = store.register("orders-value", spaced(SCHEMA_B))
    store.register("shared-value", spaced(SCHEMA_A))
    id_c = store.register("gone-value", json.dumps("string"))
    store.register("purged-value", json.dumps("long"))
    store.delete_subject("gone-value")
    store.delete_subject("purged-value")
    store.delete_subject("purged-value", permanent=True)
    store.set_compatibility("FULL")
    store.set_compatibility("NONE", "orders-value")

    restarted = SchemaStore(log)
    assert _snapshot(restarted) == _snapshot(store)
    assert restarted.subjects() == ["orders-value", "shared-value"]
    assert restarted.subjects(include_deleted=True) == [
        "gone-value",
        "orders-value",
        "shared-value",
    ]
    assert restarted.versions("orders-value") == [1, 2]
    assert restarted.get_version("orders-value", 1).schema_id == id_a
    assert restarted.get_version("orders-value", "latest").schema_id == id_b
    assert restarted.get_version("shared-value", 1).schema_id == id_a
    assert json.loads(restarted.schema_by_id(id_c)) == "string"
    assert (restarted.compatibility(), restarted.compatibility("orders-value")) == ("FULL", "NONE")

    # Same answers after the restart, and new schemas do not reuse old ids.
    assert restarted.register("orders-value", spaced(SCHEMA_A)) == id_a
    new_id = restarted.register("orders-value", json.dumps({**SCHEMA_A, "name": "v3"}))
    assert new_id > max(id_a, id_b, id_c)
    assert restarted.versions("orders-value") == [1, 2, 3]


def test_restarted_app_serves_the_same_ids(log: MemoryLog) -> None:
    first = create_app(SchemaStore(log)).test_client()
    id_a = register_id(first, "orders-value", compact(SCHEMA_A))
    id_b = register_id(first, "orders-value", compact(SCHEMA_B))

    second = create_app(SchemaStore(log)).test_client()
    assert body(second.get("/subjects")) == ["orders-value"]
    assert body(second.get("/subjects/orders-value/versions")) == [1, 2]
    assert body(second.get("/subjects/orders-value/versions/latest"))["id"] == id_b
    assert json.loads(body(second.get(f"/schemas/ids/{id_a}"))["schema"]) == SCHEMA_A


# --- confluent-kafka against the emulator over HTTP ----------------------------------------


@pytest.fixture
def registry_url() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(SchemaStore(MemoryLog())), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_confluent_kafka_client_against_the_emulator(registry_url: str) -> None:
    registry = SchemaRegistryClient({"url": registry_url})
    schema_id = registry.register_schema("orders-value", Schema(spaced(SCHEMA_A), "AVRO"))
    assert schema_id == 1

    fetched = registry.get_schema(schema_id)
    assert fetched.schema_type == "AVRO"
    assert json.loads(fetched.schema_str) == SCHEMA_A

    found = registry.lookup_schema("orders-value", Schema(compact(SCHEMA_A), "AVRO"))
    assert (found.schema_id, found.version, found.subject) == (1, 1, "orders-value")

    id_b = registry.register_schema("orders-value", Schema(compact(SCHEMA_B), "AVRO"))
    latest = registry.get_latest_version("orders-value")
    assert (latest.schema_id, latest.version) == (id_b, 2)
    assert json.loads(latest.schema.schema_str) == SCHEMA_B
    assert registry.get_subjects() == ["orders-value"]
    assert registry.get_versions("orders-value") == [1, 2]

    # Serializer and deserializer through the emulator, with a fresh client for the reader
    # so nothing comes from the writer's cache.
    context = SerializationContext("payments", MessageField.VALUE)
    serializer = AvroSerializer(registry, spaced(SCHEMA_B))
    message = serializer({"id": 5, "note": "x"}, context)
    payments = SchemaRegistryClient({"url": registry_url}).get_latest_version("payments-value")
    assert message[0] == 0
    assert int.from_bytes(message[1:5], "big") == payments.schema_id == id_b

    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    assert deserializer(message, context) == {"id": 5, "note": "x"}


def test_the_registry_calls_ccflink_makes_against_the_emulator(registry_url: str) -> None:
    registry = calls.registry_client(registry_url)
    assert calls.latest_version(registry, "orders-value") is None
    schema_id = calls.register(registry, "orders-value", SCHEMA_A)
    latest = calls.latest_version(registry, "orders-value")
    assert latest is not None
    assert (latest["id"], latest["version"]) == (schema_id, 1)
    assert json.loads(latest["schema"]) == SCHEMA_A

    incompatible = {**SCHEMA_A, "fields": [{"name": "id", "type": "string"}]}
    with pytest.raises(
        calls.RegistryRefusal, match="refused the schema for subject 'orders-value': HTTP 409"
    ):
        calls.register(registry, "orders-value", incompatible)

    calls.delete_subject(registry, "orders-value")
    calls.delete_subject(registry, "never-registered-key")  # DROP TABLE of a table without a key
    # Fresh clients from here: confluent-kafka's keeps the latest versions it has seen.
    assert calls.latest_version(calls.registry_client(registry_url), "orders-value") is None
    # Deleted for good (soft, then permanently): the subject starts again at version 1.
    calls.register(registry, "orders-value", incompatible)
    again = calls.latest_version(calls.registry_client(registry_url), "orders-value")
    assert again is not None
    assert again["version"] == 1


# --- bad input and a failing log (issue 15) --------------------------------------------------


class ExplodingInput:
    """A request body that must not be read: the size check answers from Content-Length."""

    def read(self, *_args: Any) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def test_a_body_over_the_limit_is_413_without_being_read(log: MemoryLog) -> None:
    client = create_app(SchemaStore(log), max_request_bytes=1000).test_client()
    response = client.post(
        "/subjects/orders-value/versions",
        content_type="application/json",
        environ_overrides={"wsgi.input": ExplodingInput(), "CONTENT_LENGTH": "1001"},
    )
    assert_error(response, 413, 413)
    assert "1001" in body(response)["message"] and "1000" in body(response)["message"]
    assert log.records == []


def test_a_body_within_the_limit_registers(log: MemoryLog) -> None:
    payload = json.dumps({"schema": compact(SCHEMA_A)})
    client = create_app(SchemaStore(log), max_request_bytes=len(payload)).test_client()
    response = client.post("/subjects/orders-value/versions", data=payload)
    assert response.status_code == 200
    assert_error(client.post("/subjects/orders-value/versions", data=payload + " "), 413, 413)


class FailingLog(MemoryLog):
    """A log whose appends fail with `error` once `failing` is set."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error
        self.failing = False

    def append(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        if self.failing:
            raise self.error
        super().append(key, value)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (SchemaLogError("_schemas: Local: Broker transport failure"), 50001),
        (SchemaLogTimeout("_schemas: the broker did not acknowledge the write in 30 s"), 50002),
    ],
)
def test_a_failed_append_is_json_500_with_confluents_code(error: Exception, code: int) -> None:
    log = FailingLog(error)
    client = create_app(SchemaStore(log)).test_client()
    register_id(client, "orders-value", compact(SCHEMA_A))
    log.failing = True
    writes = [
        lambda: register(client, "orders-value", compact(SCHEMA_B)),
        lambda: client.delete("/subjects/orders-value"),
        lambda: client.put("/config", json={"compatibility": "NONE"}),
        lambda: client.put("/config/orders-value", json={"compatibility": "NONE"}),
    ]
    for write in writes:
        response = write()
        assert_error(response, 500, code)
        assert str(error) in body(response)["message"]
    # Nothing changed, and reads answer as before.
    assert body(client.get("/subjects/orders-value/versions")) == [1]
    assert body(client.get("/config")) == {"compatibilityLevel": "BACKWARD"}


def test_an_unexpected_error_in_any_route_is_json_500(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(SchemaStore, "subjects", broken)
    response = client.get("/subjects")
    assert_error(response, 500, 50001)
    assert "a bug" not in body(response)["message"]  # internals stay in the registry's log


class BlockingLog(MemoryLog):
    """A log whose appends wait for `release`, as during a broker outage."""

    def __init__(self) -> None:
        super().__init__()
        self.blocking = False
        self.appending = threading.Event()
        self.release = threading.Event()

    def append(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        if self.blocking:
            self.appending.set()
            assert self.release.wait(timeout=30)
        super().append(key, value)


def test_reads_answer_while_a_registration_waits_for_the_log() -> None:
    log = BlockingLog()
    store = SchemaStore(log)
    id_a = store.register("orders-value", compact(SCHEMA_A))
    log.blocking = True
    registered: list[int] = []
    writer = threading.Thread(
        target=lambda: registered.append(store.register("orders-value", compact(SCHEMA_B)))
    )
    writer.start()
    try:
        assert log.appending.wait(timeout=10)
        reads: list[Any] = []
        reader = threading.Thread(
            target=lambda: reads.extend(
                [
                    store.subjects(),
                    store.versions("orders-value"),
                    store.schema_by_id(id_a),
                    store.get_version("orders-value", "latest").version,
                    store.register("orders-value", compact(SCHEMA_A)),  # already there
                ]
            )
        )
        reader.start()
        reader.join(timeout=5)
        assert not reader.is_alive(), "a read waited for the append"
        assert reads == [["orders-value"], [1], canonical_avro(compact(SCHEMA_A)), 1, id_a]
    finally:
        log.release.set()
        writer.join(timeout=10)
    assert registered and registered[0] > id_a
    assert store.versions("orders-value") == [1, 2]


def test_concurrent_registrations_get_distinct_ids_in_log_order() -> None:
    log = MemoryLog()
    store = SchemaStore(log)
    schemas = [json.dumps({**SCHEMA_A, "name": f"r{i}"}) for i in range(20)]
    ids: dict[str, int] = {}
    threads = [
        threading.Thread(target=lambda s=s, i=i: ids.update({s: store.register(f"s{i}", s)}))
        for i, s in enumerate(schemas)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(ids.values()) == list(range(1, 21))
    logged = [value["id"] for key, value in log.records if value and key["keytype"] == "SCHEMA"]
    assert logged == list(range(1, 21))


def compacted(records: list[tuple[dict[str, Any], dict[str, Any] | None]]) -> MemoryLog:
    """What Kafka's log compaction leaves: the last record of each key, tombstones dropped."""
    last: dict[str, tuple[int, tuple[dict[str, Any], dict[str, Any] | None]]] = {}
    for offset, (key, value) in enumerate(records):
        last[json.dumps(key, sort_keys=True)] = (offset, (key, value))
    log = MemoryLog()
    log.records = [record for _, record in sorted(last.values()) if record[1] is not None]
    return log


def test_ids_are_never_reused_after_a_hard_delete_compaction_and_restart(
    log: MemoryLog,
) -> None:
    store = SchemaStore(log)
    id_a = store.register("orders-value", compact(SCHEMA_A))
    id_gone = store.register("purged-value", json.dumps("long"))
    store.delete_subject("purged-value")
    store.delete_subject("purged-value", permanent=True)

    restarted = SchemaStore(compacted(log.records))
    assert restarted.subjects(include_deleted=True) == ["orders-value"]
    new_id = restarted.register("other-value", json.dumps("double"))
    assert new_id > max(id_a, id_gone)


@pytest.fixture
def unreachable_broker() -> str:
    """host:port where nothing listens (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def test_kafka_log_append_to_an_unreachable_broker_times_out(unreachable_broker: str) -> None:
    schema_log = KafkaSchemaLog(unreachable_broker, append_timeout_s=0.5)
    with pytest.raises(SchemaLogTimeout, match=r"did not acknowledge the write within 0\.5 s"):
        schema_log.append({"keytype": "NOOP"}, {})


def test_kafka_log_refuses_a_record_too_large(unreachable_broker: str) -> None:
    schema_log = KafkaSchemaLog(unreachable_broker, append_timeout_s=0.5)
    with pytest.raises(SchemaLogError, match=r"_schemas: .*too large") as raised:
        schema_log.append({"keytype": "SCHEMA"}, {"schema": "x" * 2_000_000})
    assert not isinstance(raised.value, SchemaLogTimeout)


def test_the_size_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.registry_max_request_bytes() == config.DEFAULT_REGISTRY_MAX_REQUEST_BYTES
    monkeypatch.setenv(config.REGISTRY_MAX_REQUEST_BYTES_ENV, "65536")
    assert config.registry_max_request_bytes() == 65536
    monkeypatch.setenv(config.REGISTRY_MAX_REQUEST_BYTES_ENV, "1MB")
    with pytest.raises(config.ConfigError, match="CCFLINK_SCHEMA_REGISTRY_MAX_REQUEST_BYTES='1MB'"):
        config.registry_max_request_bytes()
