"""The corpus of Confluent Cloud statements (tests/corpus/statements.yaml) and what the
emulator makes of each: the parsed statement, the Flink DDL, the rewritten query, or the
refusal with its message."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator import tables
from emulator.catalog import TableEntry
from emulator.config import Ports, Settings
from emulator.dialect.catalog_statements import parse_catalog_statement
from emulator.dialect.refusals import refusal
from emulator.dialect.rewrite import PredictCall, ResolvedPredict, rewrite_expressions
from emulator.dialect.statements import ColumnDef, CreateModel, CreateTable, SetOption, parse
from emulator.dialect.text import DialectError

CORPUS_PATH = Path(__file__).resolve().parents[1] / "corpus" / "statements.yaml"
CORPUS: list[dict[str, Any]] = yaml.safe_load(CORPUS_PATH.read_text())

STATEMENT_KINDS = {
    "CreateTable",
    "CreateModel",
    "SetOption",
    "Passthrough",
    "Show",
    "Describe",
    "ShowCreate",
    "Drop",
    "AlterOptions",
    "AlterWatermark",
    "AlterColumns",
    "CreateConnection",
}
KNOWN_KEYS = {
    "id",
    "sql",
    "kind",
    "refusal",
    "error",
    "table",
    "ddl_contains",
    "ddl_excludes",
    "topic_configs",
    "rewritten",
    "rewritten_contains",
    "rewritten_excludes",
    "predict_calls",
    "model",
    "set",
    "fields",
}
MODEL_OUTPUTS = {"fraud_detection": ["predicted_fraud", "fraud_probability"]}


class FakeResolver:
    """Stands in for the session's model registry: a function name per model version."""

    def __init__(self) -> None:
        self.calls: list[PredictCall] = []

    def __call__(self, call: PredictCall) -> ResolvedPredict:
        self.calls.append(call)
        function = f"__predict_{call.model}_{call.version or 'default'}"
        return ResolvedPredict(function, MODEL_OUTPUTS.get(call.model, ["prediction"]))


def classify(sql: str) -> tuple[str, Any]:
    """What the session's dispatch does first: refuse, answer from the catalog, or parse."""
    refused = refusal(sql)
    if refused is not None:
        return "refused", refused
    catalog_statement = parse_catalog_statement(sql.strip().rstrip(";").strip())
    if catalog_statement is not None:
        return type(catalog_statement).__name__, catalog_statement
    parsed = parse(sql)
    return type(parsed).__name__, parsed


def column_text(column: ColumnDef) -> str:
    return f"{column.name} {column.type}{'' if column.nullable else ' NOT NULL'}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path, jars_dir=tmp_path, ports=Ports())


def run(entry: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Every translation the emulator makes of the statement."""
    kind, statement = classify(entry["sql"])
    out: dict[str, Any] = {"kind": kind, "statement": statement}
    if kind == "refused":
        return out
    resolver = FakeResolver()
    out["resolver"] = resolver
    if isinstance(statement, CreateTable):
        if statement.columns:
            table = tables.table_entry(statement)
            out["ddl"] = tables.flink_ddl(settings, table)
            out["topic_configs"] = tables._topic_configs(table)
        else:  # CTAS: the columns come from the query, which only Flink can resolve
            table = TableEntry(statement.name, [], options=statement.options)
            out["topic_configs"] = tables._topic_configs(table)
        if statement.query is not None:
            out["rewritten"] = rewrite_expressions(statement.query, resolver)
    elif kind == "Passthrough":
        out["rewritten"] = rewrite_expressions(statement.text, resolver)
    return out


def test_corpus_is_well_formed() -> None:
    ids = [e["id"] for e in CORPUS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert len(CORPUS) >= 60
    for entry in CORPUS:
        assert set(entry) <= KNOWN_KEYS, (entry["id"], set(entry) - KNOWN_KEYS)
        assert entry["kind"] in STATEMENT_KINDS | {"refused", "error"}, entry["id"]
        if entry["kind"] == "refused":
            assert "refusal" in entry, entry["id"]
        if entry["kind"] == "error":
            assert "error" in entry, entry["id"]
    kinds = {e["kind"] for e in CORPUS}
    assert kinds == STATEMENT_KINDS | {"refused", "error"}


@pytest.mark.parametrize("entry", CORPUS, ids=[e["id"] for e in CORPUS])
def test_statement(entry: dict[str, Any], settings: Settings) -> None:
    if entry["kind"] == "error":
        with pytest.raises(DialectError) as raised:
            run(entry, settings)
        assert entry["error"] in str(raised.value)
        return

    out = run(entry, settings)
    statement = out["statement"]
    assert out["kind"] == entry["kind"], statement

    if entry["kind"] == "refused":
        assert entry["refusal"] in statement
        return

    if "table" in entry:
        check_table(statement, entry["table"])
    if "model" in entry:
        check_model(statement, entry["model"])
    if "set" in entry:
        assert isinstance(statement, SetOption)
        assert (statement.key, statement.value) == (entry["set"]["key"], entry["set"]["value"])
    if "fields" in entry:
        actual = dataclasses.asdict(statement)
        for name, expected in entry["fields"].items():
            value = actual[name]
            if isinstance(value, tuple):
                value = list(value)
            assert value == expected, name

    for fragment in entry.get("ddl_contains", []):
        assert fragment in out["ddl"], fragment
    for fragment in entry.get("ddl_excludes", []):
        assert fragment not in out["ddl"], fragment
    if "topic_configs" in entry:
        configs = {k: str(v) for k, v in entry["topic_configs"].items()}
        assert {k: out["topic_configs"].get(k) for k in configs} == configs

    if "rewritten" in entry:
        assert out["rewritten"] == entry["rewritten"].strip()
    for fragment in entry.get("rewritten_contains", []):
        assert fragment in out["rewritten"], fragment
    for fragment in entry.get("rewritten_excludes", []):
        assert fragment not in out["rewritten"], fragment
    if "predict_calls" in entry:
        calls = [
            {
                "model": c.model,
                "version": c.version,
                "arity": len(c.arguments),
                "config": c.config,
            }
            for c in out["resolver"].calls
        ]
        assert calls == entry["predict_calls"]
    elif "rewritten" in out:
        assert out["resolver"].calls == [] or "ML_PREDICT" in entry["sql"]


def check_table(statement: CreateTable, expected: dict[str, Any]) -> None:
    assert isinstance(statement, CreateTable)
    for name, value in expected.items():
        if name == "columns":
            assert [column_text(c) for c in statement.columns] == value
        elif name == "watermark":
            assert (list(statement.watermark) if statement.watermark else None) == value
        elif name == "query_contains":
            for fragment in value:
                assert fragment in (statement.query or ""), fragment
        elif name == "query":
            assert statement.query == (value.strip() if value else value)
        else:
            assert getattr(statement, name) == value, name


def check_model(statement: CreateModel, expected: dict[str, Any]) -> None:
    assert isinstance(statement, CreateModel)
    for name, value in expected.items():
        if name in ("inputs", "outputs"):
            assert [column_text(c) for c in getattr(statement, name)] == value
        else:
            assert getattr(statement, name) == value, name


def test_every_requested_area_is_covered() -> None:
    text = "\n".join(e["sql"] for e in CORPUS).upper()
    for construct in [
        "PRIMARY KEY NOT ENFORCED",
        "NOT NULL",
        "DISTRIBUTED BY HASH",
        "DISTRIBUTED INTO",
        "'CHANGELOG.MODE'",
        "'VALUE.FIELDS-INCLUDE'",
        "'KEY.FIELDS-PREFIX'",
        "'SCAN.STARTUP.MODE'",
        "'KAFKA.RETENTION.TIME'",
        "'KAFKA.CLEANUP-POLICY'",
        "LEFT JOIN",
        "EXTRACT(DOY FROM TIMESTAMPADD",
        "EXTRACT(DOW FROM TIMESTAMPADD",
        "EXTRACT(MONTH FROM TIMESTAMPADD",
        "JSON_OBJECT(",
        "TABLE(TUMBLE(",
        "TABLE(HOP(",
        "TABLE(CUMULATE(",
        "ML_PREDICT(",
        "SET 'SQL.",
        "METADATA FROM 'TIMESTAMP'",
        "METADATA VIRTUAL",
        "'KEY.FORMAT' = 'RAW'",
    ]:
        assert construct in text, construct
    json_entry = next(e for e in CORPUS if "JSON_OBJECT(" in e["sql"])
    assert json_entry["sql"].count(" VALUE ") >= 75
