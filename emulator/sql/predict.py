"""ML_PREDICT calls bound to a model version: its endpoint, its formats, a Flink function.

The dialect's rewrite finds each call; `bind` registers the Python table function that speaks
the model's wire format to its endpoint, and says how many subtasks the statement needs for
Confluent's `max_parallelism`.
"""

from __future__ import annotations

import re

from emulator.catalog import Catalog, ModelVersion
from emulator.dialect.rewrite import PredictCall, ResolvedPredict, rewrite_expressions
from emulator.dialect.text import DialectError
from emulator.sql.context import Context
from pyflink_jobs.ml_formats import ModelCodec
from pyflink_jobs.ml_predict import (
    Endpoint,
    PredictSettings,
    batch_predict_function,
    predict_function,
)

# Users report Confluent Cloud failing ML_PREDICT calls above this many arguments (unconfirmed).
CONFLUENT_REPORTED_MAX_ARGUMENTS = 85

# The local batching extension: rows per ML_PREDICT request. 1 (the default) is Confluent's
# behaviour; more needs a model whose formats take several rows (see ModelCodec).
ML_BATCH_SIZE_OPTION = "ccflink.ml-predict.batch-size"
# The longest a row waits for its batch to fill before the batch is sent anyway.
BATCH_WAIT_MS = 200
BUNDLE_TIME_OPTION = "python.fn-execution.bundle.time"

# Concurrent ML_PREDICT requests per statement come from parallel subtasks of the scoring
# job (each sends one request at a time), capped so a statement cannot take every task slot.
MAX_PREDICT_PARALLELISM = 4


def parse_batch_size(value: str | int) -> int:
    """A batch size as given to SET or `--ml-batch-size`; refuses what is not a count."""
    try:
        size = int(value)
    except ValueError:
        size = 0
    if size < 1:
        raise DialectError(
            f"{ML_BATCH_SIZE_OPTION} must be a whole number of rows >= 1, not {value!r}"
        )
    return size


def predict_parallelism(config: dict[str, str]) -> int:
    """Confluent's max_parallelism (default 10) as subtasks; async_enabled false means 1."""
    if config.get("async_enabled", "true").lower() == "false":
        return 1
    wanted = config.get("max_parallelism", "10")
    if not str(wanted).strip().isdigit():
        raise DialectError(f"ML_PREDICT's max_parallelism must be a whole number, not {wanted!r}")
    return max(1, min(int(wanted), MAX_PREDICT_PARALLELISM))


def endpoint_for(catalog: Catalog, version: ModelVersion) -> Endpoint:
    """Where a model version's requests go, from its connection or its own options."""
    options = version.options
    connection_name = options.get("azureml.connection")
    if connection_name:
        connection = catalog.connections.get(connection_name)
        if connection is None:
            raise DialectError(
                f"connection {connection_name!r} does not exist; create it with "
                "CREATE CONNECTION or `ccflink flink connection create`"
            )
        url, key = connection.endpoint, connection.api_key
    elif "azureml.endpoint" in options and "azureml.api_key" in options:
        url, key = options["azureml.endpoint"], options["azureml.api_key"]
    else:
        raise DialectError(
            f"model `{version.name}` needs 'azureml.connection' "
            "(or 'azureml.endpoint' with 'azureml.api_key')"
        )
    return Endpoint(url=url, api_key=key, deployment=options.get("azureml.deployment_name"))


def call_settings(version: ModelVersion, config: dict[str, str]) -> PredictSettings:
    """One call's retries and timeout: the call's map over the model's `azureml.client_timeout`."""
    timeout = version.options.get("azureml.client_timeout", "30")
    try:
        model_timeout = float(timeout)
    except ValueError:
        raise DialectError(
            f"model `{version.name}`: 'azureml.client_timeout' must be seconds, not {timeout!r}"
        ) from None
    return PredictSettings.from_map(config, client_timeout=model_timeout)


def codec_for(version: ModelVersion) -> ModelCodec:
    """Formats and types of a model version; refuses what Confluent refuses."""
    options = version.options
    return ModelCodec.create(
        [(c.name, c.type) for c in version.inputs],
        [(c.name, c.type) for c in version.outputs],
        input_format=options.get("azureml.input_format"),
        output_format=options.get("azureml.output_format"),
        input_content_type=options.get("azureml.input_content_type"),
        output_content_type=options.get("azureml.output_content_type"),
        params={
            k.removeprefix("azureml.params."): v
            for k, v in options.items()
            if k.startswith("azureml.params.")
        },
    )


def rewrite(context: Context, sql: str) -> str:
    """Confluent's expressions as open-source Flink's, ML_PREDICT calls bound to functions."""
    return rewrite_expressions(sql, lambda call: bind(context, call))


def bind(context: Context, call: PredictCall) -> ResolvedPredict:
    """Register the function for one ML_PREDICT call and raise the statement's parallelism."""
    model = context.catalog.models.get(call.model)
    if model is None:
        raise DialectError(f"model `{call.model}` does not exist; CREATE MODEL it first")
    version = model.get(call.version)
    if len(call.arguments) != len(version.inputs):
        raise DialectError(
            f"ML_PREDICT('{call.model}') passes {len(call.arguments)} values but the model's "
            f"INPUT has {len(version.inputs)} columns"
        )
    if len(call.arguments) > CONFLUENT_REPORTED_MAX_ARGUMENTS:
        context.say(
            f"warning: ML_PREDICT('{call.model}') passes {len(call.arguments)} arguments; "
            f"Confluent Cloud is reported to fail calls with more than "
            f"{CONFLUENT_REPORTED_MAX_ARGUMENTS}. ccflink runs it."
        )
    safe_model = re.sub(r"\W", "_", call.model)
    name = f"ML_PREDICT_{safe_model}_V{version.version}_{len(context.predict_functions) + 1}"
    codec = codec_for(version)
    batched = _batches(context, call.model, codec)
    make_function = batch_predict_function if batched else predict_function
    function = make_function(
        call.model,
        codec,
        endpoint_for(context.catalog, version),
        call_settings(version, call.config),
    )
    context.flink.register_function(name, function)
    context.predict_functions[name] = version
    context.parallelism = max(context.parallelism, predict_parallelism(call.config))
    return ResolvedPredict(name, [c.name for c in version.outputs], batched)


def explain(context: Context, detail: str) -> str:
    """Say which model's INPUT an ML_PREDICT call did not match, not our function name."""
    match = re.search(r"Invalid function call:\s*(ML_PREDICT_\w+)\(([^)]*)\)", detail)
    if not match or match.group(1) not in context.predict_functions:
        return detail
    version = context.predict_functions[match.group(1)]
    expected = ", ".join(f"{c.name} {c.type}" for c in version.inputs)
    return (
        f"ML_PREDICT('{version.name}') arguments ({match.group(2)}) do not match the INPUT "
        f"of model `{version.name}` version {version.version}: ({expected}). Numbers widen "
        "implicitly; other types need a CAST."
    )


def _batches(context: Context, model: str, codec: ModelCodec) -> bool:
    """Whether this call uses the batching extension; says why not when it cannot."""
    if context.ml_batch_size == 1:
        return False
    if not codec.accepts_batches:
        context.say(
            f"model `{model}` sends one row per request: its formats "
            f"({codec.input_format} in, {codec.output_format} out) cannot carry several "
            "rows; batching needs a pandas input format and JSON-ARRAY output"
        )
        return False
    context.flink.set("python.fn-execution.arrow.batch.size", str(context.ml_batch_size))
    bundle = max(context.ml_batch_size, 100_000)  # a bundle must hold a whole batch
    context.flink.set("python.fn-execution.bundle.size", str(bundle))
    # A batch not yet full goes out when its bundle ends: at a load below one batch per
    # bundle time, that time is what a row waits (Flink's default: 1 s). A SET wins.
    wait = context.options.get(BUNDLE_TIME_OPTION, str(BATCH_WAIT_MS))
    context.flink.set(BUNDLE_TIME_OPTION, wait)
    return True
