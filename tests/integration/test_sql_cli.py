"""`ccflink sql -f` runs a Confluent workspace script unchanged, as a user runs it.

The script has the pipeline's shapes: keyed append-only tables, a LEFT interval join CTAS on
`$rowtime` (qualified, unquoted), a time-feature CTAS from a seconds offset, and a
JSON_OBJECT CTAS. The command exits, its statements keep running on the cluster, and rows
produced afterwards come out of the last one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from emulator.catalog import Catalog
from emulator.config import PROJECT_ROOT, Settings
from emulator.flink.rest import FlinkRest
from emulator.sql.statements import refresh

from .conftest import read_until

pytestmark = pytest.mark.integration

SCRIPT = """\
-- pasted from a Confluent Cloud workspace
CREATE TABLE cli_payments (
  payment_id INT PRIMARY KEY NOT ENFORCED,
  account STRING,
  offset_seconds INT
) DISTRIBUTED BY HASH(payment_id) INTO 2 BUCKETS
WITH ('changelog.mode' = 'append');

CREATE TABLE cli_devices (
  payment_id INT PRIMARY KEY NOT ENFORCED,
  device STRING
) DISTRIBUTED BY HASH(payment_id) INTO 2 BUCKETS
WITH ('changelog.mode' = 'append');

CREATE TABLE cli_enriched AS
SELECT p.payment_id, p.account, p.offset_seconds, d.device
FROM cli_payments p
LEFT JOIN cli_devices d
  ON p.payment_id = d.payment_id
 AND d.$rowtime BETWEEN p.$rowtime - INTERVAL '60' SECOND AND p.$rowtime + INTERVAL '60' SECOND;

CREATE TABLE cli_features AS
SELECT payment_id, account, device,
  EXTRACT(DOY FROM TIMESTAMPADD(SECOND, offset_seconds, TIMESTAMP '2017-11-30 00:00:00')) AS dt_d,
  EXTRACT(DOW FROM TIMESTAMPADD(SECOND, offset_seconds, TIMESTAMP '2017-11-30 00:00:00')) AS dt_w,
  EXTRACT(MONTH FROM TIMESTAMPADD(SECOND, offset_seconds, TIMESTAMP '2017-11-30 00:00:00')) AS dt_m
FROM cli_enriched;

CREATE TABLE cli_documents AS
SELECT payment_id,
  JSON_OBJECT('account' VALUE account, 'device' VALUE device, 'day' VALUE dt_d) AS doc
FROM cli_features;
"""

# payment_id -> (account, seconds after 2017-11-30, device, expected (doy, dow, month))
PAYMENTS = {
    1: ("acc-1", 86_400, "phone", (335, 6, 12)),  # 2017-12-01, a Friday
    2: ("acc-2", 2_678_400, "tablet", (365, 1, 12)),  # 2017-12-31, a Sunday
    3: ("acc-3", 2_851_200, "laptop", (2, 3, 1)),  # 2018-01-02, a Tuesday
}


def _serializers(settings: Settings, table: str) -> tuple[AvroSerializer, AvroSerializer]:
    registry = SchemaRegistryClient({"url": settings.schema_registry_url})
    return tuple(  # type: ignore[return-value]
        AvroSerializer(registry, registry.get_latest_version(f"{table}-{part}").schema.schema_str)
        for part in ("key", "value")
    )


def _produce(settings: Settings) -> None:
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    pay_key, pay_value = _serializers(settings, "cli_payments")
    dev_key, dev_value = _serializers(settings, "cli_devices")
    for payment_id, (account, seconds, device, _) in PAYMENTS.items():
        key = {"payment_id": payment_id}
        producer.produce(
            "cli_devices",
            key=dev_key(key, SerializationContext("cli_devices", MessageField.KEY)),
            value=dev_value(
                {"device": device}, SerializationContext("cli_devices", MessageField.VALUE)
            ),
        )
        producer.produce(
            "cli_payments",
            key=pay_key(key, SerializationContext("cli_payments", MessageField.KEY)),
            value=pay_value(
                {"account": account, "offset_seconds": seconds},
                SerializationContext("cli_payments", MessageField.VALUE),
            ),
        )
    assert producer.flush(30) == 0


def test_a_workspace_script_runs_unchanged_from_the_command_line(
    local_stack: Settings, tmp_path: Path
) -> None:
    script = tmp_path / "workspace.sql"
    script.write_text(SCRIPT)
    ccflink = Path(sys.executable).with_name("ccflink")
    env = {**os.environ, "CCFLINK_HOME": str(local_stack.state_dir)}
    finished = subprocess.run(
        [str(ccflink), "sql", "-f", str(script)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr

    # The command has exited; its three continuous statements run on.
    catalog = Catalog.for_state(local_stack.state_dir)
    continuous = [
        r.status
        for r in refresh(catalog, FlinkRest(local_stack.flink_rest_url))
        if r.sql.startswith("CREATE TABLE cli_") and r.job_id
    ]
    assert continuous == ["RUNNING"] * 3

    _produce(local_stack)
    records = read_until(local_stack, "cli_documents", lambda got: len(got) >= len(PAYMENTS))
    documents = {r.value["payment_id"]: json.loads(r.value["doc"]) for r in records}
    assert documents == {
        payment_id: {"account": account, "device": device, "day": day}
        for payment_id, (account, _, device, (day, _, _)) in PAYMENTS.items()
    }
    features = read_until(local_stack, "cli_features", lambda got: len(got) >= len(PAYMENTS))
    assert {
        r.value["payment_id"]: (r.value["dt_d"], r.value["dt_w"], r.value["dt_m"]) for r in features
    } == {payment_id: expected for payment_id, (*_, expected) in PAYMENTS.items()}
