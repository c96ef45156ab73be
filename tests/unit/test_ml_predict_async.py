"""The asynchronous ML_PREDICT function: Confluent's retry rule and a masked key, as the
table function has them (tests/unit/test_endpoint_client.py)."""

from __future__ import annotations

import asyncio
import functools
import json

import httpx2
import pytest
from pyflink.common import Row

from pyflink_jobs.ml_formats import ModelCodec, PredictionError
from pyflink_jobs.ml_predict import Endpoint, PredictSettings
from pyflink_jobs.ml_predict_async import AsyncAzureMLPredict

CODEC = ModelCodec.create([("amount", "DOUBLE")], [("label", "INT"), ("score", "DOUBLE")])
KEY = "secret-key-123"


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def inc(self, n: int = 1) -> None:
        self.count += n


class Group:
    """Stands in for Flink's metric group: counters by name."""

    def __init__(self) -> None:
        self.counters: dict[str, Counter] = {}

    def add_group(self, *_names: str) -> Group:
        return self

    def counter(self, name: str) -> Counter:
        return self.counters.setdefault(name, Counter())


class Context:
    def __init__(self) -> None:
        self.group = Group()

    def get_metrics_group(self) -> Group:
        return self.group


def scoring(
    monkeypatch: pytest.MonkeyPatch, answers: list[httpx2.Response]
) -> tuple[AsyncAzureMLPredict, Group, list[dict]]:
    """The function opened, its client answering `answers` in turn; the bodies it sent."""
    function = AsyncAzureMLPredict(
        "m", CODEC, Endpoint("http://model/score", KEY), PredictSettings(), kept=1, capacity=2
    )
    context = Context()
    function.open(context)  # type: ignore[arg-type]
    sent: list[dict] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        assert request.headers["Authorization"] == f"Bearer {KEY}"
        sent.append(json.loads(request.content))
        return answers[len(sent) - 1]

    transport = httpx2.MockTransport(answer)
    monkeypatch.setattr(
        httpx2, "AsyncClient", functools.partial(httpx2.AsyncClient, transport=transport)
    )
    return function, context.group, sent


def test_a_503_is_retried_after_retry_after_and_the_row_keeps_its_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    function, metrics, sent = scoring(
        monkeypatch,
        [
            httpx2.Response(503, headers={"Retry-After": "0"}),
            httpx2.Response(200, json=[1, 0.9]),
        ],
    )

    rows = asyncio.run(function.async_invoke(Row(7, 12.5)))

    assert rows == [Row(7, 1, 0.9)]
    assert [body["input_data"]["data"] for body in sent] == [[[12.5]], [[12.5]]]
    assert metrics.counters["requests"].count == 2
    assert metrics.counters["retries"].count == 1


def test_another_error_fails_the_row_without_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    function, _, _ = scoring(monkeypatch, [httpx2.Response(401, text=f"bad key {KEY}")])

    with pytest.raises(PredictionError) as raised:
        asyncio.run(function.async_invoke(Row(7, 12.5)))

    assert "401" in str(raised.value)
    assert KEY not in str(raised.value)
    assert "*****" in str(raised.value)
