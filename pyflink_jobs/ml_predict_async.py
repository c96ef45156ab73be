"""ML_PREDICT as PyFlink's asynchronous function: several one-row requests in flight.

PyFlink 2.2 has asynchronous functions only in the DataStream API
(`AsyncDataStream.unordered_wait`), not as SQL table functions, so this runs where a job is
built from a Table -> DataStream -> Table program (`benchmarks/ml_predict_modes.py`), not in
a statement. It speaks the same formats as `AzureMLPredict` and keeps Confluent's async
mode: up to `capacity` requests in flight per subtask on kept-alive connections, answers in
the order they come.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
from pyflink.common import Row
from pyflink.datastream import AsyncFunction, RuntimeContext

from pyflink_jobs.ml_formats import ModelCodec, PredictionError
from pyflink_jobs.ml_predict import (
    METRIC_GROUP,
    RETRYABLE,
    Endpoint,
    PredictSettings,
    retry_delay,
)


class AsyncAzureMLPredict(AsyncFunction):
    """One request per row, `capacity` at once; a row is (kept columns..., model inputs...)."""

    def __init__(
        self,
        model: str,
        codec: ModelCodec,
        endpoint: Endpoint,
        settings: PredictSettings,
        kept: int,
        capacity: int,
    ) -> None:
        self.model = model
        self.codec = codec
        self.endpoint = endpoint
        self.settings = settings
        self.kept = kept
        self.capacity = capacity
        self._client: httpx2.AsyncClient | None = None

    def open(self, runtime_context: RuntimeContext) -> None:
        group = runtime_context.get_metrics_group().add_group(METRIC_GROUP, self.model)
        self._requests = group.counter("requests")
        self._retries = group.counter("retries")

    def _client_of_this_loop(self) -> httpx2.AsyncClient:
        """Made on first use: its connections belong to the event loop PyFlink runs."""
        if self._client is None:
            headers = {"Authorization": f"Bearer {self.endpoint.api_key}", **self.codec.headers()}
            if self.endpoint.deployment:
                headers["azureml-model-deployment"] = self.endpoint.deployment
            self._client = httpx2.AsyncClient(
                headers=headers,
                timeout=self.settings.client_timeout,
                limits=httpx2.Limits(max_connections=self.capacity),
            )
        return self._client

    async def async_invoke(self, value: Row) -> list[Row]:
        client = self._client_of_this_loop()
        body = self.codec.encode(tuple(value[self.kept :]))
        for attempt in range(self.settings.retry_count + 1):
            self._requests.inc()
            response = await client.post(self.endpoint.url, content=body)
            if response.status_code == 200:
                answer: Any = self.codec.decode(response.content)
                return [Row(*value[: self.kept], *answer)]
            if response.status_code in RETRYABLE and attempt < self.settings.retry_count:
                self._retries.inc()
                await asyncio.sleep(retry_delay(response.headers, attempt))
                continue
            text = response.text[:1024].replace(self.endpoint.api_key, "*****")
            raise PredictionError(
                "ML model runtime error: Received bad response code "
                f"{response.status_code}, response: {text}"
            )
        raise AssertionError("unreachable: the loop returns or raises")
