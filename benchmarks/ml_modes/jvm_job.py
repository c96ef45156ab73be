"""The `jvm` mode's job: the same feature rows through open-source Flink's own ML_PREDICT with
the JVM `azureml` model provider (emulator/flink/azureml-provider), submitted as plain Flink
SQL beside the dialect (the prototype is not a statement's path): a temporary model on the
catalog model's endpoint, a view casting its INPUT columns to the model's types (as the
Python function's declared input types cast them), and one INSERT into a table declared as a
statement would declare it."""

from __future__ import annotations

from emulator import tables
from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.sql.environment import FlinkEnvironment
from emulator.sql.predict import endpoint_for

PROVIDER = "azureml"  # the provider's factory identifier


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def model_ddl(catalog: Catalog, model: str) -> str:
    """CREATE TEMPORARY MODEL for the catalog model's latest version, on its endpoint."""
    version = catalog.models[model].get(None)
    endpoint = endpoint_for(catalog, version)
    options = {"provider": PROVIDER, "azureml.endpoint": endpoint.url}
    options["azureml.api_key"] = endpoint.api_key
    options.update(
        (key, value)
        for key, value in version.options.items()
        if key in {"azureml.input_format", "azureml.output_format", "azureml.deployment_name"}
    )
    inputs = ", ".join(f"`{c.name}` {c.type}" for c in version.inputs)
    outputs = ", ".join(f"`{c.name}` {c.type}" for c in version.outputs)
    with_ = ", ".join(f"{_quoted(k)} = {_quoted(v)}" for k, v in options.items())
    return f"CREATE TEMPORARY MODEL `{model}` INPUT ({inputs}) OUTPUT ({outputs}) WITH ({with_})"


def input_view(catalog: Catalog, source: str, view: str, model: str, kept: tuple[str, ...]) -> str:
    """A view of `source` with the kept columns and the model's INPUT columns in its types
    (Flink's ML_PREDICT takes a table by name, not a query)."""
    version = catalog.models[model].get(None)
    casts = ", ".join(f"CAST(`{c.name}` AS {c.type}) AS `{c.name}`" for c in version.inputs)
    carried = ", ".join(f"`{name}`" for name in kept)
    return f"CREATE TEMPORARY VIEW `{view}` AS SELECT {carried}, {casts} FROM `{source}`"


def scoring_sql(
    catalog: Catalog, view: str, sink: str, model: str, kept: tuple[str, ...], in_flight: int
) -> str:
    """INSERT INTO sink the kept columns and the model's OUTPUT, via Flink's ML_PREDICT."""
    version = catalog.models[model].get(None)
    carried = ", ".join(f"`{name}`" for name in kept)
    features = ", ".join(f"`{c.name}`" for c in version.inputs)
    outputs = ", ".join(f"`{c.name}`" for c in version.outputs)
    return (
        f"INSERT INTO `{sink}` SELECT {carried}, {outputs} FROM ML_PREDICT("
        f"TABLE `{view}`, MODEL `{model}`, DESCRIPTOR({features}), "
        f"MAP['max-concurrent-operations', '{in_flight}'])"
    )


def submit_jvm(
    settings: Settings,
    source: str,
    sink: str,
    model: str,
    kept: tuple[str, ...],
    parallelism: int,
    in_flight: int,
) -> str:
    """Start the job scoring `source` into `sink` (both catalog tables); its job id."""
    catalog = Catalog.for_state(settings.state_dir)
    t_env = FlinkEnvironment(settings).t_env
    t_env.get_config().set("parallelism.default", str(parallelism))
    t_env.get_config().set("pipeline.name", f"jvm-{sink}")
    t_env.execute_sql(tables.flink_ddl(settings, catalog.tables[source]))
    t_env.execute_sql(tables.flink_ddl(settings, catalog.tables[sink], writer=f"jvm-{sink}"))
    t_env.execute_sql(model_ddl(catalog, model))
    view = f"{sink}_input"
    t_env.execute_sql(input_view(catalog, source, view, model, kept))
    result = t_env.execute_sql(scoring_sql(catalog, view, sink, model, kept, in_flight))
    return str(result.get_job_client().get_job_id())
