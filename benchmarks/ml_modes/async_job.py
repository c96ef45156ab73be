"""The asynchronous mode's job, built by hand: PyFlink 2.2 has asynchronous Python functions
only in the DataStream API, so a statement cannot use one. The features table is read as a
Table, turned into a DataStream, scored by `AsyncAzureMLPredict` with `capacity` requests in
flight per subtask (answers unordered, as Confluent's async mode gives them), and written to a
table declared as a statement would declare it."""

from __future__ import annotations

from pyflink.common import Time, Types
from pyflink.datastream import AsyncDataStream, StreamExecutionEnvironment
from pyflink.java_gateway import get_gateway
from pyflink.table import StreamTableEnvironment

from emulator import tables
from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.sql.environment import FlinkEnvironment
from emulator.sql.predict import call_settings, codec_for, endpoint_for
from pyflink_jobs.ml_predict_async import AsyncAzureMLPredict

KEPT = ("TransactionID", "isFraud")  # the columns the scoring statement carries over
_TYPES = {"INT": Types.INT, "BIGINT": Types.LONG, "DOUBLE": Types.DOUBLE, "STRING": Types.STRING}


def submit_async(
    settings: Settings, source: str, sink: str, model: str, parallelism: int, capacity: int
) -> str:
    """Start the job scoring `source` into `sink` (both catalog tables); its job id."""
    catalog = Catalog.for_state(settings.state_dir)
    version = catalog.models[model].get(None)
    # The statements' own configuration: cluster, jars, checkpoints, Confluent's defaults.
    configuration = FlinkEnvironment(settings).t_env.get_config().get_configuration()
    # Java's constructor takes `execution.target: remote` from it; PyFlink's
    # get_execution_environment would start a local mini cluster instead.
    java = get_gateway().jvm.org.apache.flink.streaming.api.environment
    environment = StreamExecutionEnvironment(
        java.StreamExecutionEnvironment(configuration._j_configuration)
    )
    environment.set_parallelism(parallelism)
    t_env = StreamTableEnvironment.create(environment)
    t_env.execute_sql(tables.flink_ddl(settings, catalog.tables[source]))
    t_env.execute_sql(tables.flink_ddl(settings, catalog.tables[sink], writer=f"async-{sink}"))
    inputs = ", ".join(f"`{c}`" for c in (*KEPT, *(i.name for i in version.inputs)))
    rows = t_env.to_data_stream(t_env.sql_query(f"SELECT {inputs} FROM `{source}`"))
    sink_columns = [c for c in catalog.tables[sink].columns if c.physical]
    output_type = Types.ROW_NAMED(
        [c.name for c in sink_columns], [_TYPES[c.type.split()[0]]() for c in sink_columns]
    )
    function = AsyncAzureMLPredict(
        model,
        codec_for(version),
        endpoint_for(catalog, version),
        call_settings(version, {}),
        kept=len(KEPT),
        capacity=capacity,
    )
    scored = AsyncDataStream.unordered_wait(
        rows, function, Time.seconds(30), capacity=capacity, output_type=output_type
    )
    t_env.get_config().set("pipeline.name", f"async-{sink}")
    result = t_env.from_data_stream(scored).execute_insert(sink)
    return str(result.get_job_client().get_job_id())
