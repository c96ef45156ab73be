"""What Confluent Cloud for Apache Flink refuses, refused here with Confluent's meaning.

The emulator runs on open-source Flink, which would happily run some of these (processing
time, temporary tables, legacy group windows); letting them through would make local SQL that
then fails in the cloud.
"""

from __future__ import annotations

import re

_UNSUPPORTED_VERBS = {
    "DELETE": "DELETE is not supported; tables are append-only or changelog topics",
    "UPDATE": "UPDATE is not supported; tables are append-only or changelog topics",
    "TRUNCATE": "TRUNCATE is not supported",
    "ANALYZE": "ANALYZE TABLE is not supported",
    "CALL": "CALL (stored procedures) is not supported",
    "LOAD": "LOAD MODULE is not supported",
    "UNLOAD": "UNLOAD MODULE is not supported",
    "ADD": "ADD JAR is not supported; user-defined functions are uploaded as artifacts",
    "REMOVE": "REMOVE JAR is not supported",
}

_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"(?is)\bPROCTIME\s*\("),
        "processing time (PROCTIME()) is not supported in Confluent Cloud; "
        "use event time: $rowtime or a column with a WATERMARK",
    ),
    (
        re.compile(r"(?is)^CREATE\s+TEMPORARY\b|^CREATE\s+TEMPORARY\s+SYSTEM\b"),
        "temporary tables, views and functions are not supported in Confluent Cloud; "
        "CREATE TABLE (which creates a topic) instead",
    ),
    (
        re.compile(r"(?is)^(CREATE|DROP|ALTER)\s+(CATALOG|DATABASE)\b"),
        "catalogs and databases are Confluent environments and Kafka clusters: create them "
        "in Confluent Cloud (console or `confluent` CLI), not in SQL; `USE` selects them",
    ),
    (
        # A group window is an item of GROUP BY itself (after plain keys, if any); a windowing
        # TVF elsewhere in a query that also has a GROUP BY is fine.
        re.compile(r"(?is)\bGROUP\s+BY\s+(?:[\w.`$]+\s*,\s*)*(TUMBLE|HOP|SESSION)\s*\("),
        "legacy group window functions are not supported in Confluent Cloud; use windowing "
        "table-valued functions, e.g. FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR($rowtime), "
        "INTERVAL '1' MINUTE)) ... GROUP BY window_start, window_end",
    ),
    (
        re.compile(r"(?is)'connector'\s*=\s*'(?!confluent')[^']*'"),
        "Confluent Cloud tables have no connector option (every table is a Kafka topic); "
        "remove 'connector' and the connector's options from WITH",
    ),
]


def refusal(statement: str) -> str | None:
    """Why Confluent Cloud refuses `statement`, or None when it accepts it."""
    text = statement.strip()
    first = text.split(None, 1)[0].upper() if text else ""
    if first in _UNSUPPORTED_VERBS:
        if first in {"ADD", "REMOVE"} and not re.match(r"(?is)^\w+\s+JAR\b", text):
            return None
        if first in {"LOAD", "UNLOAD"} and not re.match(r"(?is)^\w+\s+MODULE\b", text):
            return None
        return f"{_UNSUPPORTED_VERBS[first]} in Confluent Cloud"
    for pattern, message in _RULES:
        if pattern.search(_without_strings(text) if "connector" not in pattern.pattern else text):
            return message
    return None


def _without_strings(text: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", text)
