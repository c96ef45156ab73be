"""ML_PREDICT as a Python table function calling an Azure ML online endpoint.

One instance per model version and statement; it is pickled into the job and runs in the
TaskManager's Python workers. Like Confluent's provider it sends one row per request, retries
only on 429 and 503 (exponential backoff, honouring Retry-After), and fails the statement on
any other error, with the API key never in the message. The local batching extension sends
a whole Arrow batch per request instead, through a vectorized function.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import requests
from pyflink.table import DataTypes
from pyflink.table.types import BigIntType, DataType, IntType, SmallIntType, TinyIntType
from pyflink.table.udf import ScalarFunction, TableFunction, udf, udtf

from pyflink_jobs.ml_formats import ModelCodec, ModelFormatError, PredictionError

RETRYABLE = {429, 503}
# Failure counters are registered up front (PyFlink metrics exist only once `open` returns).
COUNTED_STATUSES = (400, 401, 403, 404, 408, 413, 424, 429, 500, 502, 503, 504)
METRIC_GROUP = "ml_predict"

_SCALAR_TYPES = {
    "BOOLEAN": DataTypes.BOOLEAN,
    "TINYINT": DataTypes.TINYINT,
    "SMALLINT": DataTypes.SMALLINT,
    "INT": DataTypes.INT,
    "INTEGER": DataTypes.INT,
    "BIGINT": DataTypes.BIGINT,
    "FLOAT": DataTypes.FLOAT,
    "DOUBLE": DataTypes.DOUBLE,
    "STRING": DataTypes.STRING,
}


_INTEGER_TYPES = (TinyIntType, SmallIntType, IntType, BigIntType)


def flink_type(sql_type: str) -> DataType:
    normalized = sql_type.strip().upper()
    if normalized.startswith(("VARCHAR", "CHAR")):
        return DataTypes.STRING()
    if normalized not in _SCALAR_TYPES:
        raise ModelFormatError(f"model column type {sql_type} is not supported by the emulator")
    return _SCALAR_TYPES[normalized]()


@dataclass(frozen=True)
class Endpoint:
    url: str
    api_key: str
    deployment: str | None = None


@dataclass(frozen=True)
class PredictSettings:
    """Confluent's per-call config map, with its defaults."""

    retry_count: int = 3
    client_timeout: float = 30.0

    @classmethod
    def from_map(cls, config: dict[str, str], client_timeout: float = 30.0) -> PredictSettings:
        """The call's map; `client_timeout` is the model's, which the map may override."""
        try:
            return cls(
                retry_count=int(config.get("retry_count", cls.retry_count)),
                client_timeout=float(config.get("client_timeout", client_timeout)),
            )
        except ValueError:
            raise ModelFormatError(
                "ML_PREDICT's retry_count must be a whole number and client_timeout seconds, "
                f"not {config.get('retry_count')!r} and {config.get('client_timeout')!r}"
            ) from None


def retry_delay(headers: Mapping[str, str], attempt: int) -> float:
    """Seconds before retry `attempt`: the answer's Retry-After (2-60 s), else 2, 4, 8..."""
    header = headers.get("Retry-After", "")
    if header.isdigit():
        return min(max(float(header), 2.0), 60.0)
    return 2.0 * 2**attempt


class EndpointClient:
    """HTTP calls to one model endpoint with Confluent's retry rule and per-model counters.

    Shared by the one-row table function and the batched scalar function, so both count,
    retry and report errors the same way.
    """

    def __init__(self, model: str, endpoint: Endpoint, settings: PredictSettings) -> None:
        self.model = model
        self.endpoint = endpoint
        self.settings = settings
        self._session: requests.Session | None = None

    def open(self, function_context: Any, headers: dict[str, str]) -> None:
        """Registers the counters Flink reports (see `ccflink flink statement describe`)."""
        group = function_context.get_metric_group().add_group(METRIC_GROUP, self.model)
        self._requests = group.counter("requests")
        self._retries = group.counter("retries")
        self._unreachable = group.counter("failures_unreachable")
        self._failures = {code: group.counter(f"failures_{code}") for code in COUNTED_STATUSES}
        self._other_failures = group.counter("failures_other")
        self._latency = group.distribution("latency_ms")
        self._session = requests.Session()
        self._session.headers.update(
            {"Authorization": f"Bearer {self.endpoint.api_key}", **headers}
        )
        if self.endpoint.deployment:
            self._session.headers["azureml-model-deployment"] = self.endpoint.deployment
        self._resolve_environment()

    def _resolve_environment(self) -> None:
        """Take the proxy and CA bundle settings from the environment once, for the one URL.

        requests would otherwise scan the whole environment (and look for a ~/.netrc) on every
        request: 0.1-0.15 CPU ms per one-row request, more with a larger environment.
        """
        assert self._session is not None
        found = self._session.merge_environment_settings(self.endpoint.url, {}, None, None, None)
        self._session.proxies = found["proxies"]
        self._session.verify = found["verify"]
        self._session.trust_env = False

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def _send(self, body: bytes) -> requests.Response:
        """POST once, and once more on a new connection if the first could not be used.

        A kept-alive connection the server closed while it sat in the pool fails on reuse;
        that is the client's transport, not an answer from the endpoint.
        """
        assert self._session is not None, "open() first"
        post = functools.partial(
            self._session.post, self.endpoint.url, data=body, timeout=self.settings.client_timeout
        )
        try:
            return post()
        except requests.ConnectionError:
            return post()

    def post(self, body: bytes) -> bytes:
        assert self._session is not None, "open() first"
        for attempt in range(self.settings.retry_count + 1):
            self._requests.inc()
            started = time.perf_counter()
            try:
                response = self._send(body)
            except requests.RequestException as error:
                self._unreachable.inc()
                raise PredictionError(
                    f"ML model runtime error: model `{self.model}` endpoint "
                    f"{self.endpoint.url} unreachable: {type(error).__name__}"
                ) from None
            self._latency.update(int((time.perf_counter() - started) * 1000))
            if response.status_code == 200:
                return response.content
            self._failures.get(response.status_code, self._other_failures).inc()
            if response.status_code in RETRYABLE and attempt < self.settings.retry_count:
                self._retries.inc()
                time.sleep(retry_delay(response.headers, attempt))
                continue
            text = response.text[:1024].replace(self.endpoint.api_key, "*****")
            raise PredictionError(
                "ML model runtime error: Received bad response code "
                f"{response.status_code} message {response.reason}, response: {text}"
            )
        raise AssertionError("unreachable: the loop returns or raises")


class _CallsEndpoint:
    """What both ML_PREDICT functions share: a model's codec and its endpoint's client."""

    def __init__(self, codec: ModelCodec, client: EndpointClient) -> None:
        self.codec = codec
        self.client = client

    def open(self, function_context: Any) -> None:
        self.client.open(function_context, self.codec.headers())

    def close(self) -> None:
        self.client.close()


class AzureMLPredict(_CallsEndpoint, TableFunction):
    """Confluent's behaviour: one request per row."""

    def eval(self, *arguments: Any):
        yield self.codec.decode(self.client.post(self.codec.encode(arguments)))


def _python_values(column: pd.Series, sql_type: str) -> list[Any]:
    """A pandas column as the Python values the one-row path would see (NULL is None).

    Arrow hands a nullable integer column over as floats with NaN; give back ints.
    """
    values = column.tolist()
    for position in np.flatnonzero(column.isna().to_numpy()):
        values[position] = None
    if isinstance(flink_type(sql_type), _INTEGER_TYPES):
        return [None if v is None else int(v) for v in values]
    return values


class AzureMLBatchPredict(_CallsEndpoint, ScalarFunction):
    """The local extension: one request for a whole Arrow batch of rows.

    A vectorized (pandas) function returning one ROW per input row; the statement unnests it
    (see `rewrite_ml_predict`), so the columns are the same as with the one-row function.
    """

    def eval(self, *columns: pd.Series) -> pd.DataFrame:
        inputs = [
            _python_values(column, sql_type)
            for column, (_, sql_type) in zip(columns, self.codec.input_columns, strict=True)
        ]
        # Encoded column by column: each column's type is checked once, not once per row.
        body = self.codec.encode_columns(inputs)
        answers = self.codec.decode_batch(self.client.post(body), len(columns[0]))
        names = [name for name, _ in self.codec.output_columns]
        return pd.DataFrame(answers, columns=names)


def predict_function(
    model: str,
    codec: ModelCodec,
    endpoint: Endpoint,
    settings: PredictSettings,
):
    """The user-defined table function for one model version, typed by its INPUT and OUTPUT.

    Declaring the INPUT types lets Flink's planner check the arguments as Confluent does:
    implicit numeric widening (an INT or a BIGINT into a DOUBLE input) passes, a STRING into
    a DOUBLE input is refused when the statement is planned.
    """
    return udtf(
        AzureMLPredict(codec, EndpointClient(model, endpoint, settings)),
        input_types=[flink_type(t) for _, t in codec.input_columns],
        result_types=[flink_type(t) for _, t in codec.output_columns],
    )


def batch_predict_function(
    model: str,
    codec: ModelCodec,
    endpoint: Endpoint,
    settings: PredictSettings,
):
    """The batched counterpart: a pandas scalar function returning ROW<OUTPUT columns>."""
    return udf(
        AzureMLBatchPredict(codec, EndpointClient(model, endpoint, settings)),
        input_types=[flink_type(t) for _, t in codec.input_columns],
        result_type=DataTypes.ROW(
            [DataTypes.FIELD(name, flink_type(t)) for name, t in codec.output_columns]
        ),
        func_type="pandas",
    )
