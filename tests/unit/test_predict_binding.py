"""How an ML_PREDICT call is bound to its model version: timeouts, retries, parallelism,
batch sizes and endpoints, as Confluent reads them from the model and from the call."""

from __future__ import annotations

import pytest

from emulator.catalog import Catalog, Connection, Model, ModelVersion
from emulator.config import Settings
from emulator.dialect.rewrite import PredictCall
from emulator.dialect.statements import ColumnDef
from emulator.dialect.text import DialectError
from emulator.sql.context import Context
from emulator.sql.predict import (
    BATCH_WAIT_MS,
    MAX_PREDICT_PARALLELISM,
    bind,
    call_settings,
    endpoint_for,
    parse_batch_size,
    predict_parallelism,
)


def version(**options: str) -> ModelVersion:
    return ModelVersion("fraud", 1, [], [], {"provider": "azureml", **options})


def test_the_models_client_timeout_is_used_and_the_call_may_override_it() -> None:
    model = version(**{"azureml.client_timeout": "2.5"})
    assert call_settings(model, {}).client_timeout == 2.5
    assert call_settings(model, {"client_timeout": "7"}).client_timeout == 7.0
    assert call_settings(version(), {}).client_timeout == 30.0  # Confluent's default
    assert call_settings(model, {"retry_count": "1"}).retry_count == 1


def test_a_timeout_that_is_not_seconds_is_refused_with_the_models_name() -> None:
    with pytest.raises(DialectError, match=r"model `fraud`: 'azureml\.client_timeout'"):
        call_settings(version(**{"azureml.client_timeout": "soon"}), {})


def test_max_parallelism_becomes_subtasks_capped_for_the_slots() -> None:
    assert predict_parallelism({}) == MAX_PREDICT_PARALLELISM
    assert predict_parallelism({"max_parallelism": "2"}) == 2
    assert predict_parallelism({"async_enabled": "false", "max_parallelism": "8"}) == 1
    with pytest.raises(DialectError, match="max_parallelism"):
        predict_parallelism({"max_parallelism": "many"})


@pytest.mark.parametrize("value", ["0", "-3", "ten", ""])
def test_a_batch_size_must_count_rows(value: str) -> None:
    with pytest.raises(DialectError, match=r"ccflink\.ml-predict\.batch-size"):
        parse_batch_size(value)


def test_the_endpoint_comes_from_the_connection_or_the_models_own_options(tmp_path) -> None:
    catalog = Catalog.for_state(tmp_path)
    catalog.connections["c"] = Connection("c", "azureml", "http://e/score", "k")
    assert endpoint_for(catalog, version(**{"azureml.connection": "c"})).url == "http://e/score"
    direct = version(**{"azureml.endpoint": "http://d/score", "azureml.api_key": "x"})
    assert endpoint_for(catalog, direct).api_key == "x"
    with pytest.raises(DialectError, match="connection 'nope' does not exist"):
        endpoint_for(catalog, version(**{"azureml.connection": "nope"}))
    with pytest.raises(DialectError, match=r"needs 'azureml\.connection'"):
        endpoint_for(catalog, version())


class RecordingFlink:
    """What `bind` asks of Flink: configuration keys set and functions registered."""

    def __init__(self) -> None:
        self.config: dict[str, str] = {}
        self.functions: list[str] = []

    def set(self, key: str, value: str) -> None:
        self.config[key] = value

    def register_function(self, name: str, _function: object) -> None:
        self.functions.append(name)


def batched_context(tmp_path, **session_options: str) -> Context:
    catalog = Catalog.for_state(tmp_path)
    catalog.connections["c"] = Connection("c", "azureml", "http://e/score", "k")
    inputs = [ColumnDef("amount", "DOUBLE")]
    outputs = [ColumnDef("fraud", "INT")]
    catalog.models["m"] = Model(
        "m",
        [ModelVersion("m", 1, inputs, outputs, {"provider": "azureml", "azureml.connection": "c"})],
    )
    return Context(
        Settings(tmp_path, jars_dir=tmp_path),
        catalog,
        RecordingFlink(),  # type: ignore[arg-type]
        say=lambda _message: None,
        ml_batch_size=500,
        options=dict(session_options),
    )


def test_a_batched_call_sends_a_batch_not_yet_full_after_the_batch_wait(tmp_path) -> None:
    context = batched_context(tmp_path)
    assert bind(context, PredictCall("m", None, ["amount"], {})).batched
    config = context.flink.config  # type: ignore[attr-defined]
    assert config["python.fn-execution.arrow.batch.size"] == "500"
    assert config["python.fn-execution.bundle.time"] == str(BATCH_WAIT_MS)


def test_the_sessions_own_bundle_time_wins_over_the_batch_wait(tmp_path) -> None:
    context = batched_context(tmp_path, **{"python.fn-execution.bundle.time": "50"})
    bind(context, PredictCall("m", None, ["amount"], {}))
    assert context.flink.config["python.fn-execution.bundle.time"] == "50"  # type: ignore[attr-defined]
