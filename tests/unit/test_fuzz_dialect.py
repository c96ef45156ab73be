"""Confluent-dialect statements, generated and mutated, through the dialect layer and then
through Flink's own SQL parser.

What must hold for any text: the splitter and the dialect either refuse it with a
`DialectError` that says why, or hand Flink SQL; never another Python exception. For a
statement the dialect writes itself (a table's DDL), Flink's parser must accept what it wrote,
since the topic and subjects are created before Flink sees it. A statement generated from the
dialect's grammar must be taken, and Flink's parser must accept the rewritten SQL; a table
with one flaw (an option, a type, a name, a metadata column) must be refused. A statement
Flink runs as written (after the expression rewrites) may be bad SQL; Flink refuses it, as on
Confluent, but a rewrite never turns SQL Flink accepts into SQL it refuses.

Flink's parser is its `CalciteParser`, read by reflection from a PyFlink TableEnvironment's
parser: `parseSqlList` checks syntax only (no catalog), one JVM for the whole run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from py4j.java_gateway import JavaObject
from py4j.protocol import Py4JJavaError
from pyflink.table import EnvironmentSettings, TableEnvironment

from emulator import tables
from emulator.catalog import TableEntry
from emulator.config import Ports, Settings
from emulator.dialect.parse import Insert, Query, parse_statement, statement_kind
from emulator.dialect.rewrite import PredictCall, ResolvedPredict, rewrite_expressions
from emulator.dialect.splitter import split_statements
from emulator.dialect.statements import CreateTable, Passthrough
from emulator.dialect.text import DialectError
from tests.fuzzing import bounded

ROOT = Path(__file__).resolve().parents[2]
GENERATED = 60  # statements per grammar test
MUTATED = 150  # mutated scripts

FlinkParser = Callable[[str], "str | None"]


@pytest.fixture(scope="session")
def flink_parser() -> FlinkParser:
    """Flink's SQL parser alone: None when it takes the text as one statement, else why not."""
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    parser = t_env._j_tenv.getParser()
    field = parser.getClass().getDeclaredField("calciteParserSupplier")
    field.setAccessible(True)
    calcite = field.get(parser).get()

    def parse(sql: str) -> str | None:
        try:
            count = calcite.parseSqlList(sql).size()
        except Py4JJavaError as error:
            java = error.java_exception
            assert _is_parser_error(java.getClass()), java.toString()
            return str(java.getMessage())
        return None if count == 1 else f"{count} statements"

    return parse


def _is_parser_error(java_class: JavaObject) -> bool:
    """A SqlParserException (or a subclass, such as SqlParserEOFException): Flink refusing
    the SQL, not the parser failing."""
    while java_class is not None:
        if java_class.getName() == "org.apache.flink.table.api.SqlParserException":
            return True
        java_class = java_class.getSuperclass()
    return False


def _resolve(call: PredictCall) -> ResolvedPredict:
    """The session binds each ML_PREDICT call to a function registered for the model version."""
    return ResolvedPredict(f"ML_PREDICT_{len(call.arguments)}", ["predicted", "probability"])


SETTINGS = Settings(state_dir=Path("/nonexistent"), jars_dir=Path("/nonexistent"), ports=Ports())


def written_by_dialect(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """What the session hands Flink for `text`: (SQL the dialect wrote itself, (SQL as the user
    wrote it, as rewritten) pairs), following the executors; DialectError for a refusal."""
    statement = parse_statement(text)
    statement_kind(statement)
    if isinstance(statement, CreateTable) and statement.query is None:
        entry = tables.table_entry(statement)
        ddl = tables.flink_ddl(SETTINGS, entry)
        tables._topic_configs(entry)  # provisioning: the topic's configs, then the schemas
        tables.key_schema(entry)
        tables.value_schema(entry)
        return [ddl], []
    if isinstance(statement, CreateTable):
        tables._topic_configs(TableEntry(statement.name, [], options=statement.options))
        query = statement.query or ""
        return [], [(query, rewrite_expressions(query, _resolve))]
    if isinstance(statement, Insert | Query | Passthrough):
        return [], [(statement.text, rewrite_expressions(statement.text, _resolve))]
    return [], []  # answered by the emulator's catalog or its session options


def check(text: str, flink_parser: FlinkParser, generated: bool) -> str:
    """The properties above for one statement, and how it ended: "refused", "to Flink" or
    "answered here". `generated` from the grammar: taken, and what Flink is handed parses."""
    try:
        written, rewritten = written_by_dialect(text)
    except DialectError as error:
        assert str(error).strip() and not generated, (text, str(error))
        return "refused"
    for sql in written:
        assert flink_parser(sql) is None, (text, sql, flink_parser(sql))
    for original, sql in rewritten:
        refused = flink_parser(sql)
        if generated or flink_parser(original) is None:
            assert refused is None, (text, sql, refused)
    return "to Flink" if written or rewritten else "answered here"


# --- the grammar ---------------------------------------------------------------------------

PLAIN = st.from_regex(r"[a-z][a-z0-9]{0,6}_[a-z0-9_]{0,6}", fullmatch=True)
QUOTED = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
).map(lambda name: "`" + name.replace("`", "``") + "`")
# Backquoted names an Avro field or a Kafka topic can carry: reserved words among them.
QUOTED_FIELD = st.sampled_from(["value", "select", "timestamp", "Order_ID", "_key"]).map(
    lambda name: f"`{name}`"
)
QUOTED_TOPIC = st.from_regex(r"[a-z][a-z0-9._-]{0,10}", fullmatch=True).map(lambda n: f"`{n}`")
NAME = st.one_of(PLAIN, PLAIN, QUOTED)
COLUMN = st.one_of(PLAIN, PLAIN, QUOTED_FIELD)
TABLE = st.one_of(PLAIN, QUOTED_TOPIC, PLAIN.map(lambda n: f"`cat`.db.{n}"))
# The types a table's Avro schemas hold here (README: composite types are not emulated).
TYPES = st.sampled_from(
    [
        "BOOLEAN",
        "TINYINT",
        "SMALLINT",
        "INT",
        "INTEGER",
        "BIGINT",
        "FLOAT",
        "DOUBLE",
        "DECIMAL(10, 2)",
        "STRING",
        "VARCHAR(20)",
        "CHAR(3)",
        "BYTES",
        "VARBINARY(8)",
        "BINARY(4)",
        "DATE",
        "TIMESTAMP(3)",
        "TIMESTAMP(6)",
    ]
)
NOT_EMULATED_TYPES = st.recursive(
    st.sampled_from(["TIME(3)", "INT"]),
    lambda inner: st.one_of(
        inner.map(lambda t: f"ARRAY<{t}>"),
        inner.map(lambda t: f"MAP<STRING, {t}>"),
        st.lists(st.tuples(PLAIN, inner), min_size=1, max_size=3).map(
            lambda fields: "ROW<" + ", ".join(f"{n} {t}" for n, t in fields) + ">"
        ),
    ),
    max_leaves=3,
).filter(lambda t: t != "INT")
GOOD_OPTIONS = st.sampled_from(
    [
        ("changelog.mode", "append"),
        ("kafka.retention.time", "0"),
        ("kafka.retention.time", "7 d"),
        ("kafka.retention.size", "10 mb"),
        ("kafka.cleanup-policy", "delete-compact"),
        ("kafka.max-message-size", "2 mb"),
        ("scan.startup.mode", "latest-offset"),
        ("scan.bounded.mode", "latest-offset"),
        ("value.fields-include", "all"),
        ("kafka.consumer.isolation-level", "read-uncommitted"),
        ("value.format", "avro-registry"),
    ]
)
BAD_OPTIONS = st.sampled_from(
    [
        ("connector", "kafka"),
        ("changelog.mode", "retract"),
        ("kafka.retention.time", "soon"),
        ("kafka.retention.size", "-"),
        ("kafka.max-message-size", "2 parsecs"),
        ("kafka.consumer.isolation-level", "dirty"),
    ]
)


def _options(pairs: list[tuple[str, str]]) -> str:
    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    return "WITH (" + ", ".join(f"{literal(k)} = {literal(v)}" for k, v in pairs) + ")"


@st.composite
def create_table(draw: st.DrawFn, bad: bool) -> str:
    """CREATE TABLE with Confluent's column types, keys, metadata, watermark, distribution and
    options; `bad`: with one thing Confluent or this emulator refuses."""
    flaw = draw(st.sampled_from(["option", "type", "name", "metadata", "table"])) if bad else ""
    names = draw(st.lists(COLUMN, min_size=1, max_size=5, unique_by=lambda n: n.strip("`").lower()))
    columns = [
        f"{name} {draw(TYPES)}{draw(st.sampled_from(['', ' NOT NULL', ' NULL']))}"
        + draw(st.sampled_from(["", " COMMENT 'a ''note'''"]))
        for name in names
    ]
    if flaw == "type":
        columns.append(f"nested_ {draw(NOT_EMULATED_TYPES)}")
    if flaw == "name":
        columns.append(f"{draw(QUOTED.filter(lambda n: not n[1:-1].isidentifier()))} INT")
    if draw(st.booleans()):
        columns.append("event_time TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'")
        if draw(st.booleans()):
            delay = draw(st.integers(0, 30))
            columns.append(f"WATERMARK FOR event_time AS event_time - INTERVAL '{delay}' SECOND")
    elif draw(st.booleans()):
        columns.append("WATERMARK FOR $rowtime AS $rowtime - INTERVAL '5' SECOND")
    if draw(st.booleans()) or flaw == "metadata":
        columns.append(
            f"part INT METADATA FROM 'partition'{'' if flaw == 'metadata' else ' VIRTUAL'}"
        )
    if draw(st.booleans()):
        columns.append(f"computed_ AS {names[0]} IS NOT NULL")
    keys = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
    primary = draw(st.booleans())
    if primary:
        columns.append(f"PRIMARY KEY ({', '.join(keys)}) NOT ENFORCED")
    distribution = draw(
        st.sampled_from(
            [
                "",
                f"DISTRIBUTED BY ({', '.join(keys)}) ",
                f"DISTRIBUTED BY HASH({', '.join(keys)}) INTO 4 BUCKETS ",
                "DISTRIBUTED INTO 3 BUCKETS ",
            ]
        )
    )
    options = draw(st.lists(GOOD_OPTIONS, max_size=3, unique_by=lambda kv: kv[0]))
    if flaw == "option":
        options.append(draw(BAD_OPTIONS))
    table = draw(TABLE) if flaw != "table" else draw(st.sampled_from(["`a b`", "`x;y`", "`..`"]))
    head = draw(st.sampled_from(["CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", "create table "]))
    comment = draw(st.sampled_from(["", "COMMENT 'orders' "]))
    with_clause = _options(options) if options else ""
    body = ",\n  ".join(columns)
    return f"{head}{table} (\n  {body}\n) {comment}{distribution}{with_clause}"


ROWTIME = st.sampled_from(["$rowtime", "t.$rowtime", "t.`$rowtime`", "`t`.$rowtime"])


@st.composite
def select(draw: st.DrawFn) -> str:
    """A query on `t` with `$rowtime`, backquoted names, ML_PREDICT calls, windows."""
    items = draw(st.lists(st.one_of(PLAIN.map(lambda n: f"t.{n}"), ROWTIME, QUOTED), min_size=1))
    source = "t"
    if draw(st.booleans()):
        arguments = draw(st.lists(PLAIN.map(lambda n: f"t.{n}"), min_size=1, max_size=4))
        if draw(st.booleans()):
            arguments.append("MAP['async_enabled', true, 'max_parallelism', 10]")
        model = draw(st.sampled_from(["'fraud_detection'", "'fraud_detection$2'", "`m$all`"]))
        alias = draw(st.sampled_from(["", " AS p", " p", " AS p(predicted, probability)"]))
        source += f", LATERAL TABLE(ML_PREDICT({model}, {', '.join(arguments)})){alias}"
        items.append("predicted" if alias.endswith(")") or not alias else "p.predicted")
    elif draw(st.booleans()):
        columns = ", ".join(draw(st.lists(PLAIN, min_size=1, max_size=3)))
        source = f"ML_PREDICT(TABLE t, MODEL fraud_detection, DESCRIPTOR({columns})) AS t"
    elif draw(st.booleans()):
        window = draw(st.sampled_from(["TUMBLE", "HOP", "CUMULATE"]))
        sizes = "INTERVAL '1' MINUTE" + ("" if window == "TUMBLE" else ", INTERVAL '1' HOUR")
        source = f"TABLE({window}(TABLE t0, DESCRIPTOR($rowtime), {sizes})) AS t"
    where = draw(
        st.sampled_from(
            ["", " WHERE t.x > 1", " WHERE t.$rowtime > TIMESTAMP '2024-01-01 00:00:00'"]
        )
    )
    limit = draw(st.sampled_from(["", " LIMIT 10", " FETCH FIRST 3 ROWS ONLY"]))
    return f"SELECT {', '.join(items)} FROM {source}{where}{limit}"


CTAS = st.builds(
    lambda name, distribution, options, query: (
        f"CREATE TABLE {name} {distribution}{options} AS {query}"
    ),
    TABLE,
    st.sampled_from(["", "DISTRIBUTED INTO 2 BUCKETS "]),
    st.lists(GOOD_OPTIONS, max_size=2, unique_by=lambda kv: kv[0]).map(
        lambda pairs: _options(pairs) + " " if pairs else ""
    ),
    select(),
)
INSERT = st.builds(lambda name, query: f"INSERT INTO {name} {query}", NAME, select())
SET = st.builds(
    lambda key, value: f"SET '{key}' = '{value}'",
    st.sampled_from(["sql.state-ttl", "sql.local-time-zone", "client.statement-name", "sql.nope"]),
    st.sampled_from(["1 h", "UTC", "it''s", ""]),
)
CREATE_MODEL = st.builds(
    lambda name, inputs, outputs, options: (
        f"CREATE MODEL {name} INPUT ({inputs}) OUTPUT ({outputs}) "
        f"COMMENT 'scores' {_options(options)}"
    ),
    NAME,
    st.lists(st.tuples(PLAIN, TYPES), min_size=1, max_size=4).map(
        lambda cols: ", ".join(f"{n} {t}" for n, t in cols)
    ),
    st.sampled_from(["predicted INT, probability DOUBLE", "label STRING"]),
    st.lists(
        st.sampled_from(
            [("provider", "azureml"), ("task", "classification"), ("azureml.connection", "c")]
        ),
        unique=True,
    ),
)
CREATE_CONNECTION = st.builds(
    lambda name, options: f"CREATE CONNECTION {name} {_options(options)}",
    NAME,
    st.lists(
        st.sampled_from(
            [("type", "azureml"), ("endpoint", "https://x.example/score"), ("api-key", "s3cr'et")]
        ),
        unique=True,
    ),
)
STATEMENTS = st.one_of(CTAS, INSERT, select(), SET, CREATE_MODEL, CREATE_CONNECTION)


def test_generated_tables_become_ddl_flink_parses(flink_parser: FlinkParser) -> None:
    @bounded(GENERATED)
    @given(text=create_table(bad=False))
    def run(text: str) -> None:
        assert check(text, flink_parser, generated=True) == "to Flink"

    run()


def test_tables_with_a_flaw_are_refused() -> None:
    @bounded(GENERATED)
    @given(text=create_table(bad=True))
    def run(text: str) -> None:
        with pytest.raises(DialectError):
            written_by_dialect(text)

    run()


@pytest.mark.xfail(
    strict=True,
    reason="found by this fuzzing, not fixed (issue 15): a table option Confluent does not "
    "have is kept and ignored; Confluent refuses it, which needs its full list of options",
)
def test_a_table_option_confluent_does_not_have_is_refused() -> None:
    with pytest.raises(DialectError):
        written_by_dialect("CREATE TABLE t_1 (a INT) WITH ('it''s' = 'a ''quoted'' value')")


@pytest.mark.xfail(
    strict=True,
    reason="found by this fuzzing, handed over (issue 15): a computed column's or a watermark's "
    "expression and a metadata column's type reach Flink as written; bad SQL there passes the "
    "dialect, the topic and subjects are created, and then Flink refuses the DDL. Only Flink "
    "reads expressions: the executor would have to have Flink take the DDL before provisioning",
)
@pytest.mark.parametrize(
    "column",
    [
        "b AS a +",
        "WATERMARK FOR $rowtime AS $rowtime - INTERVAL '' MINUTE",
        "o BIGINT junk METADATA FROM 'offset' VIRTUAL",
    ],
)
def test_a_table_with_sql_flink_refuses_is_refused_before_its_topic_exists(
    flink_parser: FlinkParser, column: str
) -> None:
    text = f"CREATE TABLE t_1 (a INT, {column})"
    try:
        [ddl], _ = written_by_dialect(text)
    except DialectError:
        return
    assert flink_parser(ddl) is None, ddl


def test_generated_statements_rewrite_to_sql_flink_parses(flink_parser: FlinkParser) -> None:
    outcomes: Counter[str] = Counter()

    @bounded(GENERATED * 3)
    @given(text=STATEMENTS)
    def run(text: str) -> None:
        outcomes[check(text, flink_parser, generated=True)] += 1

    run()
    assert outcomes["to Flink"] and outcomes["answered here"]


# --- mutated seeds -------------------------------------------------------------------------


def _seeds() -> list[str]:
    """The pipeline's SQL files and the corpus, statement by statement."""
    scripts = [path.read_text() for path in sorted((ROOT / "pyflink_jobs" / "sql").glob("*.sql"))]
    corpus = yaml.safe_load((ROOT / "tests" / "corpus" / "statements.yaml").read_text())
    return [s.text for script in scripts for s in split_statements(script)] + [
        entry["sql"] for entry in corpus
    ]


SEEDS = _seeds()
INSERTIONS = st.sampled_from(
    [
        "'",
        "`",
        '"',
        ";",
        "(",
        ")",
        ",",
        "$",
        "--",
        "/*",
        "*/",
        "=",
        "[",
        "<",
        " SELECT ",
        " AS ",
        " WITH (",
        " TABLE ",
        " LATERAL TABLE(ML_PREDICT('m', ",
        " MAP[",
        " DISTRIBUTED BY (",
        " INTO 0 BUCKETS ",
        " METADATA FROM 'offset' ",
        " VIRTUAL ",
        " PRIMARY KEY ",
        " NOT NULL ",
        " $rowtime ",
        ".$rowtime",
        " WATERMARK FOR ",
        " END",
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A seed statement cut short, with text inserted, a span removed or repeated."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        match draw(st.sampled_from(["cut", "insert", "insert", "delete", "repeat"])):
            case "cut":
                text = text[:at]
            case "insert":
                text = text[:at] + draw(INSERTIONS) + text[at:]
            case "delete":
                text = text[:at] + text[at + draw(st.integers(1, 20)) :]
            case "repeat":
                text = text[:at] + text[at : at + 20] + text[at:]
    return text


def test_mutated_statements_are_refused_or_handed_to_flink(flink_parser: FlinkParser) -> None:
    outcomes: Counter[str] = Counter()

    @bounded(MUTATED)
    @given(script=mutated())
    def run(script: str) -> None:
        try:
            statements = split_statements(script)
        except DialectError as error:
            assert str(error).strip(), script
            outcomes["refused"] += 1
            return
        for statement in statements:
            outcomes[check(statement.text, flink_parser, generated=False)] += 1

    run()
    assert outcomes["refused"] and outcomes["to Flink"]


def test_the_seeds_are_statements() -> None:
    assert len(SEEDS) > 100
    assert all(re.search(r"\S", seed) for seed in SEEDS)
