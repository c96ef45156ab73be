"""The JVM `azureml` model provider prototype (emulator/flink/azureml-provider) on a real stack.

The same synthetic feature rows are scored twice against the real model server: by the
Confluent-dialect statement (the Python function, today's path) and by open-source Flink's
own ML_PREDICT through the JVM provider. Both must give every row the same prediction.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from benchmarks.ml_modes.jvm_job import submit_jvm
from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.testing.harness import Ccflink
from producers.synthetic import generate
from pyflink_jobs import PIPELINE_SQL_DIR

from .conftest import cancel_running_jobs

pytestmark = pytest.mark.integration

ROWS = 40
MODEL = "jvm_fraud"
CONNECTION = "jvm-provider-endpoint"


def feature_rows(folder: Path, inputs: list[str]) -> list[dict[str, object]]:
    """Synthetic transactions with the model's INPUT columns (those a transaction lacks, such
    as the identity's, left NULL), keyed by TransactionID."""
    data = generate(ROWS, folder, seed=23)
    with data.transaction_path.open(newline="") as file:
        return [
            {"TransactionID": int(row["TransactionID"])}
            | {name: row.get(name) or None for name in inputs}
            for row in csv.DictReader(file)
        ]


def test_flinks_ml_predict_through_the_jvm_provider_equals_the_python_function(
    local_stack: Settings, tmp_path: Path
) -> None:
    lab = Ccflink(local_stack)
    model_sql = (PIPELINE_SQL_DIR / "04_model.sql").read_text()
    model_sql = model_sql.replace("fraud_detection", MODEL).replace(
        "fraud-detection-endpoint", CONNECTION
    )
    lab.sql(
        f"CREATE CONNECTION `{CONNECTION}` WITH ('type' = 'azureml', "
        f"'endpoint' = '{local_stack.model_server_url}/score', "
        f"'api-key' = '{local_stack.model_api_key()}');\n{model_sql}"
    )
    version = Catalog.for_state(local_stack.state_dir).models[MODEL].get(None)
    inputs = [c.name for c in version.inputs]
    columns = ", ".join(f"`{c.name}` {c.type}" for c in version.inputs)
    lab.sql(
        f"CREATE TABLE jvm_features (TransactionID BIGINT NOT NULL, {columns});\n"
        "CREATE TABLE jvm_scores (TransactionID BIGINT, predicted_fraud INT, "
        "fraud_probability DOUBLE);"
    )
    lab.produce("jvm_features", feature_rows(tmp_path, inputs))
    arguments = ", ".join(f"f.`{name}`" for name in inputs)
    lab.sql(
        "CREATE TABLE python_scores AS SELECT f.TransactionID, p.predicted_fraud, "
        f"p.fraud_probability FROM jvm_features f, LATERAL TABLE(ML_PREDICT('{MODEL}', "
        f"{arguments})) AS p;"
    )
    submit_jvm(local_stack, "jvm_features", "jvm_scores", MODEL, ("TransactionID",), 1, 10)
    try:
        python = lab.read("python_scores", count=ROWS, timeout=120)
        jvm = lab.read("jvm_scores", count=ROWS, timeout=120)
    finally:
        cancel_running_jobs()

    def by_id(rows: list) -> dict[int, tuple[object, object]]:
        return {r["TransactionID"]: (r["predicted_fraud"], r["fraud_probability"]) for r in rows}

    assert len(by_id(python)) == ROWS
    assert by_id(jvm) == by_id(python)
    assert len({probability for _, probability in by_id(jvm).values()}) > 1  # really scored
