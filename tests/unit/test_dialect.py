"""The Confluent SQL dialect: statement parsing and the expression rewrites, on toy SQL and
on the pipeline's own scripts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from common.errors import CcflinkError
from common.ieee_cis import PIPELINE_IDENTITY_COLUMNS, PIPELINE_TRANSACTION_COLUMNS
from emulator.dialect.parse import row_limit
from emulator.dialect.rewrite import (
    PredictCall,
    ResolvedPredict,
    quote_qualified_rowtime,
    rewrite_expressions,
    rewrite_ml_predict,
)
from emulator.dialect.splitter import split_statements
from emulator.dialect.statements import (
    ColumnDef,
    CreateModel,
    CreateTable,
    Passthrough,
    SetOption,
    parse,
)
from emulator.dialect.text import DialectError
from model_server.features import FEATURES, OUTPUTS

SQL_DIR = Path(__file__).resolve().parents[2] / "pyflink_jobs" / "sql"
SQL_FILES = sorted(SQL_DIR.glob("*.sql"))


def _table(sql: str) -> CreateTable:
    parsed = parse(sql)
    assert isinstance(parsed, CreateTable)
    return parsed


# --- CREATE TABLE ---------------------------------------------------------------------------


def test_create_table_columns_distribution_and_options() -> None:
    table = _table(
        """CREATE TABLE orders (
             id INT NOT NULL,
             amount DOUBLE,
             note STRING
           ) DISTRIBUTED BY HASH(id) INTO 3 BUCKETS
           WITH ('changelog.mode' = 'append', 'kafka.retention.time' = '1 d');"""
    )
    assert table.name == "orders"
    assert table.columns == [
        ColumnDef("id", "INT", False),
        ColumnDef("amount", "DOUBLE", True),
        ColumnDef("note", "STRING", True),
    ]
    assert table.key_columns == ["id"]
    assert table.primary_key == []
    assert table.buckets == 3
    assert table.options == {"changelog.mode": "append", "kafka.retention.time": "1 d"}
    assert table.if_not_exists is False
    assert table.query is None
    assert table.watermark is None


@pytest.mark.parametrize(
    "name", ["`a b`", "`orders;v2`", "`café`", "`..`", "`.`", "`" + "t" * 250 + "`"]
)
@pytest.mark.parametrize("form", ["CREATE TABLE {} (a INT)", "CREATE TABLE {} AS SELECT 1 AS a"])
def test_a_table_name_kafka_cannot_take_as_a_topic_is_refused(name: str, form: str) -> None:
    with pytest.raises(DialectError, match="not a Kafka topic name") as refused:
        parse(form.format(name))
    assert name.strip("`")[:40] in str(refused.value)


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("orders", "orders"),
        ("`orders-v2`", "orders-v2"),
        ("`orders.v2`", "orders.v2"),
        ("`select`", "select"),
        ("db.`t_1`", "t_1"),
    ],
)
def test_a_table_name_that_is_a_topic_name_is_taken(name: str, table: str) -> None:
    assert _table(f"CREATE TABLE {name} (a INT)").name == table


def test_a_backquoted_name_may_hold_a_doubled_backquote() -> None:
    model = parse(
        "CREATE MODEL `fraud``s` INPUT (`a``b` INT) OUTPUT (y INT) "
        "WITH ('provider' = 'azureml', 'task' = 'classification')"
    )
    assert isinstance(model, CreateModel)
    assert model.name == "fraud`s"
    assert model.inputs == [ColumnDef("a`b", "INT", True)]


def test_distributed_by_without_buckets() -> None:
    table = _table("CREATE TABLE t (a INT, b STRING) DISTRIBUTED BY (a, `b`)")
    assert table.key_columns == ["a", "b"]
    assert table.buckets is None


def test_distributed_into_buckets_only() -> None:
    table = _table("CREATE TABLE t (a INT) DISTRIBUTED INTO 4 BUCKETS")
    assert table.key_columns == []
    assert table.buckets == 4


def test_inline_primary_key_makes_column_not_null() -> None:
    table = _table("CREATE TABLE t (id INT PRIMARY KEY NOT ENFORCED, v STRING)")
    assert table.primary_key == ["id"]
    assert table.key_columns == ["id"]
    assert table.columns == [ColumnDef("id", "INT", False), ColumnDef("v", "STRING", True)]


def test_primary_key_constraint_makes_columns_not_null() -> None:
    table = _table(
        "CREATE TABLE t (a INT, b STRING, c DOUBLE, "
        "CONSTRAINT pk PRIMARY KEY (a, `b`) NOT ENFORCED)"
    )
    assert table.primary_key == ["a", "b"]
    assert table.key_columns == ["a", "b"]
    assert [(c.name, c.nullable) for c in table.columns] == [
        ("a", False),
        ("b", False),
        ("c", True),
    ]
    assert [c.type for c in table.columns] == ["INT", "STRING", "DOUBLE"]


def test_primary_key_without_constraint_name() -> None:
    table = _table("CREATE TABLE t (a INT, PRIMARY KEY (a) NOT ENFORCED)")
    assert table.primary_key == ["a"]
    assert table.columns == [ColumnDef("a", "INT", False)]


def test_distributed_by_wins_over_primary_key_for_the_kafka_key() -> None:
    table = _table(
        "CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b) NOT ENFORCED) DISTRIBUTED BY (b)"
    )
    assert table.primary_key == ["a", "b"]
    assert table.key_columns == ["b"]


def test_column_comments_are_dropped_from_the_type() -> None:
    table = _table(
        "CREATE TABLE t (a INT NOT NULL COMMENT 'the id, not null; really', "
        "b DECIMAL(10, 2) COMMENT 'it''s money', c STRING NULL)"
    )
    assert table.columns == [
        ColumnDef("a", "INT", False),
        ColumnDef("b", "DECIMAL(10, 2)", True),
        ColumnDef("c", "STRING", True),
    ]


def test_table_comment_is_accepted() -> None:
    table = _table("CREATE TABLE t (a INT) COMMENT 'a table' DISTRIBUTED INTO 2 BUCKETS")
    assert table.buckets == 2


def test_watermark_definition() -> None:
    table = _table(
        "CREATE TABLE t (ts TIMESTAMP(3), v INT, WATERMARK FOR `ts` AS ts - INTERVAL '5' SECOND)"
    )
    assert table.watermark == ("ts", "ts - INTERVAL '5' SECOND")
    assert table.columns == [ColumnDef("ts", "TIMESTAMP(3)", True), ColumnDef("v", "INT", True)]


def test_column_whose_name_starts_with_watermark_is_a_column() -> None:
    table = _table("CREATE TABLE t (watermark_lag INT NOT NULL, ts TIMESTAMP_LTZ(3))")
    assert table.columns == [
        ColumnDef("watermark_lag", "INT", False),
        ColumnDef("ts", "TIMESTAMP_LTZ(3)", True),
    ]
    assert table.watermark is None


def test_if_not_exists_and_qualified_name() -> None:
    table = _table("create table if not exists `cat`.`db`.`my-table` (a int)")
    assert table.if_not_exists is True
    assert table.name == "my-table"
    assert table.columns == [ColumnDef("a", "int", True)]


def test_ctas() -> None:
    table = _table("CREATE TABLE t2 AS SELECT a, b FROM t1 WHERE a > 1;")
    assert table.name == "t2"
    assert table.columns == []
    assert table.query == "SELECT a, b FROM t1 WHERE a > 1"
    assert table.options == {}


def test_ctas_with_options() -> None:
    table = _table("CREATE TABLE t2 WITH ('changelog.mode' = 'append') AS\nSELECT * FROM t1 AS x")
    assert table.options == {"changelog.mode": "append"}
    assert table.query == "SELECT * FROM t1 AS x"


def test_ctas_with_distribution_and_cte() -> None:
    table = _table(
        "CREATE TABLE t2 DISTRIBUTED BY HASH(k) INTO 2 BUCKETS "
        "AS WITH s AS (SELECT 1 AS k) SELECT * FROM s"
    )
    assert table.key_columns == ["k"]
    assert table.buckets == 2
    assert table.query == "WITH s AS (SELECT 1 AS k) SELECT * FROM s"


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE",
        "CREATE TABLE (a INT)",
        "CREATE TABLE t",
        "CREATE TABLE t (a INT",
        "CREATE TABLE t (a INT) PARTITIONED BY (a)",
        "CREATE TABLE t (a INT) WITH ('k' 'v')",
        "CREATE TABLE t (a INT) WITH (k = 'v')",
        "CREATE TABLE t (123 INT)",
        "CREATE TABLE t (a INT, WATERMARK FOR a)",
        "CREATE TABLE t (a INT, o BIGINT METADATA FROM 'offset')",
    ],
)
def test_garbage_create_table_raises_dialect_error(sql: str) -> None:
    with pytest.raises(DialectError):
        parse(sql)


def test_metadata_and_computed_columns() -> None:
    table = _table(
        """CREATE TABLE t (
             id INT PRIMARY KEY NOT ENFORCED,
             `offset` BIGINT METADATA VIRTUAL,
             ts TIMESTAMP_LTZ(3) NOT NULL METADATA FROM 'timestamp' COMMENT 'when',
             headers MAP<STRING, BYTES> METADATA,
             later AS ts + INTERVAL '1' SECOND COMMENT 'a, b'
           )"""
    )
    assert table.columns == [
        ColumnDef("id", "INT", False),
        ColumnDef("offset", "BIGINT", True, metadata="offset", virtual=True),
        ColumnDef("ts", "TIMESTAMP_LTZ(3)", False, metadata="timestamp"),
        ColumnDef("headers", "MAP<STRING, BYTES>", True, metadata="headers"),
        ColumnDef("later", "", expression="ts + INTERVAL '1' SECOND"),
    ]
    assert [c.physical for c in table.columns] == [True, False, False, False, False]
    assert table.primary_key == ["id"]
    assert table.columns[1].sql() == "`offset` BIGINT METADATA FROM 'offset' VIRTUAL"
    assert table.columns[4].sql() == "`later` AS ts + INTERVAL '1' SECOND"


def test_type_parameters_are_not_split_but_comparisons_are_not_types() -> None:
    table = _table("CREATE TABLE t (r ROW<a INT, b MAP<STRING, ARRAY<INT>>>, c AS 1 < 2, d INT)")
    assert [(c.name, c.type or c.expression) for c in table.columns] == [
        ("r", "ROW<a INT, b MAP<STRING, ARRAY<INT>>>"),
        ("c", "1 < 2"),
        ("d", "INT"),
    ]


def test_dialect_error_is_reported_as_a_user_error() -> None:
    assert issubclass(DialectError, CcflinkError)  # the CLI prints it, no traceback


# --- CREATE MODEL, SET, passthrough ---------------------------------------------------------


def test_create_model() -> None:
    model = parse(
        """CREATE MODEL IF NOT EXISTS db.m
           INPUT (x DOUBLE, `s` STRING)
           OUTPUT (label INT, p DOUBLE NOT NULL)
           COMMENT 'it''s a model'
           WITH ('PROVIDER' = 'azureml', 'Task' = 'classification',
                 'azureml.connection' = 'Conn-A')"""
    )
    assert isinstance(model, CreateModel)
    assert model.name == "m"
    assert model.if_not_exists is True
    assert model.inputs == [ColumnDef("x", "DOUBLE"), ColumnDef("s", "STRING")]
    assert model.outputs == [ColumnDef("label", "INT"), ColumnDef("p", "DOUBLE", False)]
    assert model.comment == "it's a model"
    # Keys are case-insensitive; values are kept as written.
    assert model.options == {
        "provider": "azureml",
        "task": "classification",
        "azureml.connection": "Conn-A",
    }


def test_create_model_without_optional_parts() -> None:
    model = parse("CREATE MODEL m WITH ('provider' = 'x')")
    assert isinstance(model, CreateModel)
    assert (model.inputs, model.outputs, model.comment, model.if_not_exists) == (
        [],
        [],
        None,
        False,
    )


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE MODEL m INPUT (x DOUBLE) OUTPUT (y INT)",
        "CREATE MODEL m INPUT (x DOUBLE) WITH ('provider' = 'x') extra",
        "CREATE MODEL",
    ],
)
def test_garbage_create_model_raises_dialect_error(sql: str) -> None:
    with pytest.raises(DialectError):
        parse(sql)


def test_set_option() -> None:
    assert parse("SET 'sql.state-ttl' = '1 h';") == SetOption("sql.state-ttl", "1 h")
    assert parse("set  'client.statement-name'='my-stmt'") == SetOption(
        "client.statement-name", "my-stmt"
    )


def test_passthrough_is_stripped_of_semicolon() -> None:
    assert parse("  INSERT INTO t SELECT * FROM s ;  ") == Passthrough(
        "INSERT INTO t SELECT * FROM s"
    )
    assert parse("SHOW TABLES") == Passthrough("SHOW TABLES")
    assert isinstance(parse("SET 'x'"), Passthrough)


# --- $rowtime ------------------------------------------------------------------------------


def test_qualified_rowtime_is_quoted() -> None:
    assert quote_qualified_rowtime("SELECT t.$rowtime FROM t") == "SELECT t.`$rowtime` FROM t"
    assert (
        quote_qualified_rowtime("a.$rowtime BETWEEN `b`.$rowtime AND b.$rowtime")
        == "a.`$rowtime` BETWEEN `b`.`$rowtime` AND b.`$rowtime`"
    )


def test_rowtime_in_strings_and_unqualified_is_left_alone() -> None:
    sql = "SELECT $rowtime, 't.$rowtime' AS s, `x.$rowtime` FROM t"
    assert quote_qualified_rowtime(sql) == sql


@pytest.mark.parametrize(
    "before",
    [
        "SELECT /* it's */ t.$rowtime FROM t",
        "SELECT -- it's\n t.$rowtime FROM t",
        "SELECT 'it''s', t.$rowtime FROM t",
        "SELECT `a``b`, t.$rowtime FROM t",
    ],
)
def test_comments_and_doubled_quotes_do_not_hide_what_follows(before: str) -> None:
    assert quote_qualified_rowtime(before) == before.replace("t.$rowtime", "t.`$rowtime`")


def test_rowtime_in_comments_and_doubled_quotes_is_left_alone() -> None:
    sql = "SELECT /* t.$rowtime */ 'it''s t.$rowtime', `a``t.$rowtime` FROM t -- t.$rowtime"
    assert quote_qualified_rowtime(sql) == sql


@pytest.mark.parametrize(
    ("sql", "limit"),
    [
        ("SELECT * FROM t LIMIT 5", 5),
        ("SELECT * FROM t ORDER BY k FETCH FIRST 3 ROWS ONLY", 3),
        ("SELECT * FROM (SELECT * FROM t LIMIT 2) AS s", None),
        ("SELECT 'LIMIT 4' FROM t", None),
        ("SELECT * FROM t /* LIMIT 4 */", None),
        ("SELECT * FROM (SELECT * FROM t LIMIT 2) AS s LIMIT 7", 7),
        ("SELECT limited FROM t", None),
    ],
)
def test_a_querys_own_row_limit_is_read_from_its_outermost_level(sql: str, limit) -> None:
    assert row_limit(sql) == limit


def test_rowtime_quoting_is_idempotent() -> None:
    once = quote_qualified_rowtime("SELECT t.$rowtime FROM t")
    assert quote_qualified_rowtime(once) == once


# --- ML_PREDICT ----------------------------------------------------------------------------


class FakeResolver:
    def __init__(self, outputs: list[str] | None = None) -> None:
        self.calls: list[PredictCall] = []
        self.outputs = outputs if outputs is not None else ["label", "score"]

    def __call__(self, call: PredictCall) -> ResolvedPredict:
        self.calls.append(call)
        suffix = f"_v{call.version}" if call.version else ""
        return ResolvedPredict(f"ml_{call.model}{suffix}", self.outputs)


def test_ml_predict_with_alias_gets_output_columns() -> None:
    resolver = FakeResolver()
    sql = "SELECT p.label FROM t, LATERAL TABLE(ML_PREDICT('m', t.a, t.b + 1)) AS p WHERE x"
    out = rewrite_ml_predict(sql, resolver)
    assert out == (
        "SELECT p.label FROM t, LATERAL TABLE(ml_m(t.a, t.b + 1)) AS p(`label`, `score`) WHERE x"
    )
    assert resolver.calls == [PredictCall("m", None, ["t.a", "t.b + 1"], {})]


def test_batched_ml_predict_unnests_a_row_valued_call() -> None:
    def batched(call: PredictCall) -> ResolvedPredict:
        return ResolvedPredict("ml_batch_m", ["label", "score"], batched=True)

    sql = "SELECT p.label FROM t LEFT JOIN LATERAL TABLE(ML_PREDICT('m', a, b)) AS p ON TRUE"
    assert rewrite_ml_predict(sql, batched) == (
        "SELECT p.label FROM t LEFT JOIN UNNEST(ARRAY[ml_batch_m(a, b)]) AS p(`label`, `score`) "
        "ON TRUE"
    )


def test_ml_predict_version_suffix() -> None:
    resolver = FakeResolver()
    out = rewrite_ml_predict("FROM t, LATERAL TABLE(ML_PREDICT('m$2', a)) AS p", resolver)
    assert resolver.calls[0].model == "m"
    assert resolver.calls[0].version == "2"
    assert "ml_m_v2(a)" in out
    rewrite_ml_predict("FROM t, LATERAL TABLE(ML_PREDICT('m$all', a)) AS p", resolver)
    assert (resolver.calls[1].model, resolver.calls[1].version) == ("m", "all")


def test_ml_predict_config_map_is_parsed_and_removed() -> None:
    resolver = FakeResolver()
    sql = (
        "FROM t, LATERAL TABLE(ML_PREDICT('m', a, MAP[b, 1], "
        "MAP['async_enabled', true, 'max_parallelism', 10, 'mode', 'x, y'])) AS p"
    )
    out = rewrite_ml_predict(sql, resolver)
    call = resolver.calls[0]
    assert call.arguments == ["a", "MAP[b, 1]"]
    assert call.config == {"async_enabled": "true", "max_parallelism": "10", "mode": "x, y"}
    assert out == "FROM t, LATERAL TABLE(ml_m(a, MAP[b, 1])) AS p(`label`, `score`)"
    assert "async_enabled" not in out


def test_ml_predict_explicit_column_aliases_are_kept() -> None:
    resolver = FakeResolver()
    out = rewrite_ml_predict(
        "FROM t, LATERAL TABLE(ML_PREDICT('m', a)) AS p(x, y) ON TRUE", resolver
    )
    assert out == "FROM t, LATERAL TABLE(ml_m(a)) AS p(x, y) ON TRUE"


def test_ml_predict_alias_without_as() -> None:
    out = rewrite_ml_predict("FROM t, LATERAL TABLE(ML_PREDICT('m', a)) p", FakeResolver(["o"]))
    assert out == "FROM t, LATERAL TABLE(ml_m(a)) AS p(`o`)"


def test_ml_predict_without_alias_gets_a_generated_one() -> None:
    out = rewrite_ml_predict(
        "SELECT * FROM t, LATERAL TABLE(ML_PREDICT('m', a)) WHERE a > 0", FakeResolver(["o"])
    )
    match = re.fullmatch(
        r"SELECT \* FROM t, LATERAL TABLE\(ml_m\(a\)\) AS (\w+)\(`o`\) WHERE a > 0", out
    )
    assert match, out
    assert match.group(1).upper() not in {"WHERE", "AS"}


@pytest.mark.parametrize(
    "clause",
    [
        "LIMIT 10",
        "FETCH FIRST 3 ROWS ONLY",
        "OFFSET 2 ROWS",
        "HAVING COUNT(*) > 1",
        "WINDOW w AS (ORDER BY a)",
        "CROSS JOIN u",
        "INNER JOIN u ON TRUE",
        "RIGHT JOIN u ON TRUE",
        "FULL JOIN u ON TRUE",
        "NATURAL JOIN u",
        "EXCEPT SELECT 1",
        "INTERSECT SELECT 1",
    ],
)
def test_a_clause_after_an_unaliased_ml_predict_is_not_taken_for_its_alias(clause: str) -> None:
    sql = f"SELECT * FROM t, LATERAL TABLE(ML_PREDICT('m', a)) {clause}"
    out = rewrite_ml_predict(sql, FakeResolver(["o"]))
    expected = r"SELECT \* FROM t, LATERAL TABLE\(ml_m\(a\)\) AS \w+\(`o`\) " + re.escape(clause)
    assert re.fullmatch(expected, out), out


def test_ml_predict_two_calls_both_rewritten() -> None:
    resolver = FakeResolver(["o"])
    out = rewrite_ml_predict(
        "FROM t, LATERAL TABLE(ML_PREDICT('a', x)) AS p, LATERAL TABLE(ML_PREDICT('b$1', y)) AS q",
        resolver,
    )
    assert out == "FROM t, LATERAL TABLE(ml_a(x)) AS p(`o`), LATERAL TABLE(ml_b_v1(y)) AS q(`o`)"
    assert [c.model for c in resolver.calls] == ["a", "b"]


def test_ml_predict_inside_string_is_left_alone() -> None:
    sql = "SELECT 'LATERAL TABLE(ML_PREDICT(''m'', a)) AS p' FROM t"
    resolver = FakeResolver()
    assert rewrite_ml_predict(sql, resolver) == sql
    assert resolver.calls == []


@pytest.mark.parametrize("args", ["m, a", "f(x), a", "'m, a", ""])
def test_ml_predict_model_must_be_a_string(args: str) -> None:
    with pytest.raises(DialectError):
        rewrite_ml_predict(f"FROM t, LATERAL TABLE(ML_PREDICT({args})) AS p", FakeResolver())


def test_rewrite_expressions_applies_both() -> None:
    out = rewrite_expressions(
        "SELECT t.$rowtime FROM t, LATERAL TABLE(ML_PREDICT('m', t.a)) AS p", FakeResolver(["o"])
    )
    assert out == "SELECT t.`$rowtime` FROM t, LATERAL TABLE(ml_m(t.a)) AS p(`o`)"
    assert rewrite_expressions("SELECT t.$rowtime FROM t") == "SELECT t.`$rowtime` FROM t"


# --- the pipeline's own SQL ----------------------------------------------------------------


def _statements(path: Path) -> list[str]:
    return [s.text for s in split_statements(path.read_text())]


def _parsed(name: str) -> list:
    return [parse(text) for text in _statements(SQL_DIR / name)]


def test_pipeline_sql_files_exist() -> None:
    assert [p.name for p in SQL_FILES] == [
        "01_source_tables.sql",
        "02_join.sql",
        "03_features.sql",
        "04_model.sql",
        "05_predictions.sql",
    ]


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: p.name)
def test_every_pipeline_statement_parses_and_rewrites(path: Path) -> None:
    statements = _statements(path)
    assert statements
    resolver = FakeResolver(OUTPUTS)
    for text in statements:
        parsed = parse(text)
        assert not isinstance(parsed, Passthrough) or parsed.text
        rewritten = rewrite_expressions(text, resolver)
        assert not re.search(r"[\w`]\.\$rowtime", rewritten), rewritten
        assert "ML_PREDICT(" not in rewritten.upper()
        if isinstance(parsed, CreateTable) and parsed.query is not None:
            assert parse(rewritten) == CreateTable(
                **{**parsed.__dict__, "query": _table(rewritten).query}
            )


def test_pipeline_predictions_call_the_model_with_its_features() -> None:
    resolver = FakeResolver(OUTPUTS)
    (text,) = _statements(SQL_DIR / "05_predictions.sql")
    rewritten = rewrite_expressions(text, resolver)
    (call,) = resolver.calls
    assert call.model == "fraud_detection"
    assert call.version is None
    assert call.arguments == [f"f.{name}" for name in FEATURES]
    assert call.config == {"async_enabled": "true", "max_parallelism": "10", "retry_count": "3"}
    assert "AS p(`predicted_fraud`, `fraud_probability`)" in rewritten


def test_join_rowtime_is_quoted() -> None:
    no_idleness, text = _statements(SQL_DIR / "02_join.sql")
    assert no_idleness == "SET 'sql.tables.scan.idle-timeout' = '0'"
    rewritten = rewrite_expressions(text)
    assert "i.`$rowtime` BETWEEN t.`$rowtime` - INTERVAL '1' MINUTE" in rewritten


def test_source_tables_match_producer_columns() -> None:
    transactions, identities = _parsed("01_source_tables.sql")
    for table, expected, name in (
        (transactions, PIPELINE_TRANSACTION_COLUMNS, "transactions"),
        (identities, PIPELINE_IDENTITY_COLUMNS, "identities"),
    ):
        assert isinstance(table, CreateTable)
        assert table.name == name
        assert [(c.name, c.type, c.nullable) for c in table.columns] == [
            (c.name, c.sql_type, c.nullable) for c in expected
        ]
        assert table.key_columns == ["TransactionID"]
        assert table.buckets == 6
        assert table.options == {"changelog.mode": "append", "kafka.retention.time": "0"}


def test_model_inputs_and_outputs_match_the_model_server() -> None:
    (model,) = _parsed("04_model.sql")
    assert isinstance(model, CreateModel)
    assert model.name == "fraud_detection"
    assert [c.name for c in model.inputs] == FEATURES
    assert [c.name for c in model.outputs] == OUTPUTS
    assert model.options["provider"] == "azureml"


def test_watermark_without_for_is_an_error() -> None:
    with pytest.raises(DialectError, match="watermark"):
        parse("CREATE TABLE t (ts TIMESTAMP(3), WATERMARK ts AS ts)")


def test_ml_predict_rewrite_keeps_whitespace_after_the_alias() -> None:
    sql = "FROM t,\nLATERAL TABLE(ML_PREDICT('m',\n a)) AS p\nWHERE a > 0"
    out = rewrite_ml_predict(sql, FakeResolver(["o"]))
    assert out.endswith("AS p(`o`)\nWHERE a > 0")
