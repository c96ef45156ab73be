"""`ccflink compare`: local predictions against the same pipeline's predictions on Confluent Cloud.

Both sides are lists of rows (dicts) joined on a key column (`TransactionID`). A side is a local
Kafka topic (Avro in Confluent's wire format, read from the beginning until no new record came
for `--idle-seconds`) or a file; an existing path is a file, anything else a topic name.

File formats (chosen by extension, else by sniffing the first bytes; `--local-format` /
`--cloud-format` force one):

- **Avro object container** (`.avro`, or the `Obj\\x01` magic): read with fastavro.
- **CSV** with a header row (`.csv`): empty cells are nulls.
- **JSON lines** (`.json`, `.jsonl`, `.ndjson`, `.txt`, anything else starting with `{`), as
  `confluent kafka topic consume --value-format avro` prints them. Per line:
  blank lines are skipped; a line that is not one JSON value is split at its *first* tab into
  key and value (what `--print-key` prints with its default delimiter), and the value must be a
  JSON object; an object whose keys are all among `key`, `value`, `partition`, `offset`,
  `timestamp`, `timestampType`, `headers`, `topic` and which has `value` is a wrapper and its
  `value` (an object or a JSON string holding one) is the row. A key that is an object has its
  fields added to the row where the value lacks them (Confluent's `value.fields-include`
  default leaves key columns out of the value); a scalar key fills the key column if the row
  has none. Avro-JSON union branches such as `{"int": 1}` are unwrapped.

Values are normalised before comparing, so 0, 0.0, "0", false and "false" are the same label;
"", "null", "None" and NaN are nulls. A key seen more than once on one side is reported and its
last row is used. Rows without a key are counted and left out.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_KEY = "TransactionID"
DEFAULT_FIELD = "isFraud"
DEFAULT_MIN_AGREEMENT = 0.99
DEFAULT_IDLE_SECONDS = 5.0
DEFAULT_SHOW = 10

FORMATS = ("auto", "jsonl", "csv", "avro")
AVRO_MAGIC = b"Obj\x01"
WRAPPER_KEYS = frozenset(
    {"key", "value", "partition", "offset", "timestamp", "timestampType", "headers", "topic"}
)
AVRO_UNION_BRANCHES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)
NULL_STRINGS = frozenset({"", "null", "none", "nan"})

Row = dict[str, Any]


# --------------------------------------------------------------------------- normalisation


def normalise(value: Any) -> Any:
    """One canonical form per value: None, int, float (non-integral only) or str.

    Booleans become 0/1, numeric strings become numbers, integral floats become ints, and the
    strings "", "null", "None", "NaN" (any case) and float NaN become None.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        text = value.strip()
        lowered = text.lower()
        if lowered in NULL_STRINGS:
            return None
        if lowered == "true":
            return 1
        if lowered == "false":
            return 0
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return normalise(float(text))
        except ValueError:
            return text
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return normalise(value.item())
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _unwrap_union(value: Any) -> Any:
    """`{"int": 1}` (Avro JSON encoding of a union branch) -> 1; other values unchanged."""
    if isinstance(value, dict) and len(value) == 1:
        (branch, inner), *_ = value.items()
        if branch in AVRO_UNION_BRANCHES:
            return inner
    return value


def _clean(row: Mapping[str, Any]) -> Row:
    return {str(k): _unwrap_union(v) for k, v in row.items()}


# --------------------------------------------------------------------------- loaders


def _json_object(text: str) -> Any:
    value = json.loads(text)
    if isinstance(value, str):  # a value printed as a JSON string holding JSON
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    return value


def _merge_key(row: Row, key_part: Any, key: str | None) -> Row:
    key_part = _unwrap_union(key_part)
    if isinstance(key_part, dict):
        for name, value in _clean(key_part).items():
            row.setdefault(name, value)
    elif key_part is not None and key is not None and row.get(key) is None:
        row[key] = key_part
    return row


def parse_json_line(line: str, key: str | None = None) -> Row | None:
    """One line of `confluent kafka topic consume` output as a row; None for a blank line."""
    text = line.strip("\r\n")
    if not text.strip():
        return None
    key_part: Any = None
    try:
        value = _json_object(text)
    except ValueError:
        if "\t" not in text:
            raise ValueError("neither a JSON object nor key<TAB>value") from None
        raw_key, raw_value = text.split("\t", 1)
        value = _json_object(raw_value)
        try:
            key_part = _json_object(raw_key)
        except ValueError:
            key_part = raw_key.strip() or None
    if isinstance(value, dict) and "value" in value and set(value) <= WRAPPER_KEYS:
        key_part = value.get("key", key_part)
        if isinstance(key_part, str):
            with contextlib.suppress(ValueError):
                key_part = _json_object(key_part)
        value = value["value"]
        if isinstance(value, str):
            value = _json_object(value)
    if not isinstance(value, dict):
        raise ValueError(f"the value is a JSON {type(value).__name__}, not an object")
    return _merge_key(_clean(value), key_part, key)


def load_json_lines(path: Path, key: str | None = None) -> list[Row]:
    rows = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                row = parse_json_line(line, key)
            except ValueError as error:
                raise ValueError(f"{path}:{number}: {error}") from None
            if row is not None:
                rows.append(row)
    return rows


def load_csv(path: Path) -> list[Row]:
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ValueError(f"{path}: no header row")
        return [{k: (None if v == "" else v) for k, v in row.items()} for row in reader]


def load_avro(path: Path) -> list[Row]:
    import fastavro

    with Path(path).open("rb") as handle:
        return [_clean(record) for record in fastavro.reader(handle)]


def detect_format(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix == ".avro":
        return "avro"
    if suffix == ".csv":
        return "csv"
    if suffix in {".json", ".jsonl", ".ndjson"}:
        return "jsonl"
    with Path(path).open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(AVRO_MAGIC):
        return "avro"
    first_line = head.lstrip().split(b"\n", 1)[0]
    if first_line.startswith((b"{", b'"')) or b"\t{" in first_line:
        return "jsonl"
    return "csv"


def load_file(path: str | Path, fmt: str = "auto", key: str | None = None) -> list[Row]:
    """Rows of a JSON-lines, CSV or Avro container file (`fmt` "auto" detects it)."""
    path = Path(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "avro":
        return load_avro(path)
    if fmt == "csv":
        return load_csv(path)
    if fmt == "jsonl":
        return load_json_lines(path, key)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def load_topic(
    topic: str,
    bootstrap_servers: str,
    registry_url: str,
    idle_seconds: float = DEFAULT_IDLE_SECONDS,
    max_seconds: float | None = None,
) -> list[Row]:
    """Every record of an Avro topic from the beginning, until none arrived for `idle_seconds`.

    Key fields (when the key is a record) are added to the value where it lacks them.
    """
    from emulator.topic_reader import AvroTopicReader

    reader = AvroTopicReader(bootstrap_servers, registry_url, topic)
    rows: list[Row] = []
    started = last = time.monotonic()
    try:
        while time.monotonic() - last < idle_seconds:
            if max_seconds is not None and time.monotonic() - started >= max_seconds:
                break
            batch = reader.poll(timeout_ms=500)
            for record in batch:
                rows.append(_merge_key(_clean(record.value), record.key, None))
            if batch:
                last = time.monotonic()
    finally:
        reader.close()
    return rows


def load_rows(
    source: str,
    *,
    fmt: str = "auto",
    key: str | None = None,
    bootstrap_servers: str | None = None,
    registry_url: str | None = None,
    idle_seconds: float = DEFAULT_IDLE_SECONDS,
) -> list[Row]:
    """A file when `source` is an existing path, else a topic on the given cluster."""
    if Path(source).is_file():
        return load_file(source, fmt, key)
    if bootstrap_servers is None or registry_url is None:
        raise FileNotFoundError(f"{source} is not a file, and no cluster to read it as a topic")
    return load_topic(source, bootstrap_servers, registry_url, idle_seconds)


# --------------------------------------------------------------------------- comparison


@dataclass
class Side:
    """What one input held: rows read, distinct keys, duplicates and rows without a key."""

    rows: int = 0
    keys: int = 0
    missing_key: int = 0
    duplicate_keys: int = 0  # keys seen more than once
    duplicate_rows: int = 0  # rows dropped because a later row had the same key
    duplicate_examples: list[Any] = field(default_factory=list)
    field_nulls: int = 0  # rows whose compared field is null


@dataclass
class Mismatch:
    key: Any
    local: Any
    cloud: Any


@dataclass
class NumericDifference:
    """One numeric column compared over the matched rows."""

    field: str
    compared: int
    differing: int
    max_abs_diff: float
    mean_abs_diff: float
    largest: list[tuple[Any, Any, Any, float]]  # (key, local, cloud, |difference|)


@dataclass
class ComparisonReport:
    key: str
    field: str
    local: Side
    cloud: Side
    matched: int
    only_local: int
    only_cloud: int
    only_local_examples: list[Any]
    only_cloud_examples: list[Any]
    agreements: int
    confusion: dict[tuple[Any, Any], int]  # (local value, cloud value) -> rows
    mismatches: list[Mismatch]  # the first ones, in local order
    mismatch_count: int
    numeric: list[NumericDifference]
    other_differences: dict[str, int]  # non-numeric column -> matched rows where it differs

    @property
    def agreement(self) -> float | None:
        """Share of matched rows whose field agrees; None when no row matched."""
        return self.agreements / self.matched if self.matched else None

    def passes(self, min_agreement: float) -> bool:
        return self.agreement is not None and self.agreement >= min_agreement


def index_rows(rows: Iterable[Mapping[str, Any]], key: str, show: int) -> tuple[dict, Side]:
    """Rows by normalised key (the last row wins), and what was seen on the way."""
    side = Side()
    indexed: dict[Any, Row] = {}
    seen: Counter = Counter()
    for row in rows:
        side.rows += 1
        value = normalise(row.get(key))
        if value is None:
            side.missing_key += 1
            continue
        seen[value] += 1
        if value in indexed:
            side.duplicate_rows += 1
            if seen[value] == 2:
                side.duplicate_keys += 1
                if len(side.duplicate_examples) < show:
                    side.duplicate_examples.append(value)
        indexed[value] = dict(row)
    side.keys = len(indexed)
    return indexed, side


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if _is_number(value):
        return (1, value)
    return (2, str(value))


def compare(
    local_rows: Iterable[Mapping[str, Any]],
    cloud_rows: Iterable[Mapping[str, Any]],
    key: str = DEFAULT_KEY,
    field: str = DEFAULT_FIELD,
    show: int = DEFAULT_SHOW,
    tolerance: float = 1e-9,
) -> ComparisonReport:
    """Join both sides on `key` and compare `field` (and every other column) row by row."""
    local, local_side = index_rows(local_rows, key, show)
    cloud, cloud_side = index_rows(cloud_rows, key, show)
    only_local = [k for k in local if k not in cloud]
    only_cloud = [k for k in cloud if k not in local]
    matched = [k for k in local if k in cloud]

    for side, indexed in ((local_side, local), (cloud_side, cloud)):
        side.field_nulls = sum(1 for row in indexed.values() if normalise(row.get(field)) is None)

    confusion: Counter = Counter()
    mismatches: list[Mismatch] = []
    mismatch_count = 0
    diffs: dict[str, list[tuple[Any, Any, Any, float]]] = {}
    compared: Counter = Counter()
    other: Counter = Counter()
    for k in matched:
        left, right = local[k], cloud[k]
        a, b = normalise(left.get(field)), normalise(right.get(field))
        confusion[(a, b)] += 1
        if a != b:
            mismatch_count += 1
            if len(mismatches) < show:
                mismatches.append(Mismatch(k, a, b))
        for column in left.keys() & right.keys():
            if column in (key, field):
                continue
            x, y = normalise(left[column]), normalise(right[column])
            if _is_number(x) and _is_number(y):
                compared[column] += 1
                diffs.setdefault(column, []).append((k, x, y, abs(float(x) - float(y))))
            elif x != y:
                other[column] += 1

    numeric = []
    for column in sorted(diffs):
        values = diffs[column]
        largest = sorted(values, key=lambda item: item[3], reverse=True)[:show]
        numeric.append(
            NumericDifference(
                field=column,
                compared=compared[column],
                differing=sum(1 for item in values if item[3] > tolerance),
                max_abs_diff=max(item[3] for item in values),
                mean_abs_diff=sum(item[3] for item in values) / len(values),
                largest=[item for item in largest if item[3] > tolerance],
            )
        )
    return ComparisonReport(
        key=key,
        field=field,
        local=local_side,
        cloud=cloud_side,
        matched=len(matched),
        only_local=len(only_local),
        only_cloud=len(only_cloud),
        only_local_examples=only_local[:show],
        only_cloud_examples=only_cloud[:show],
        agreements=len(matched) - mismatch_count,
        confusion=dict(sorted(confusion.items(), key=lambda kv: tuple(map(_sort_key, kv[0])))),
        mismatches=mismatches,
        mismatch_count=mismatch_count,
        numeric=numeric,
        other_differences=dict(sorted(other.items())),
    )


# --------------------------------------------------------------------------- output


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [[_show(c) if not isinstance(c, str) else c for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    for row in cells:
        aligned = [row[0].ljust(widths[0])]
        aligned += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        out.append("  ".join(aligned).rstrip())
    return out


def confusion_labels(report: ComparisonReport) -> tuple[list[Any], list[Any]]:
    local = sorted({a for a, _ in report.confusion}, key=_sort_key)
    cloud = sorted({b for _, b in report.confusion}, key=_sort_key)
    return local, cloud


def format_report(report: ComparisonReport, min_agreement: float | None = None) -> str:
    """The report as readable text tables."""
    out = [f"Comparing {report.field!r} on key {report.key!r}", ""]
    out += _table(
        ["", "local", "cloud"],
        [
            ["rows read", str(report.local.rows), str(report.cloud.rows)],
            ["distinct keys", str(report.local.keys), str(report.cloud.keys)],
            ["rows without key", str(report.local.missing_key), str(report.cloud.missing_key)],
            [
                "duplicated keys",
                str(report.local.duplicate_keys),
                str(report.cloud.duplicate_keys),
            ],
            [
                "duplicate rows dropped",
                str(report.local.duplicate_rows),
                str(report.cloud.duplicate_rows),
            ],
            [f"null {report.field}", str(report.local.field_nulls), str(report.cloud.field_nulls)],
            ["only on this side", str(report.only_local), str(report.only_cloud)],
        ],
    )
    for name, side in (("local", report.local), ("cloud", report.cloud)):
        if side.duplicate_examples:
            shown = ", ".join(_show(k) for k in side.duplicate_examples)
            out.append(f"duplicated {name} keys (last row used): {shown}")
    if report.only_local_examples:
        out.append("only local: " + ", ".join(_show(k) for k in report.only_local_examples))
    if report.only_cloud_examples:
        out.append("only cloud: " + ", ".join(_show(k) for k in report.only_cloud_examples))

    out.append("")
    agreement = report.agreement
    rate = "n/a (no key matched)" if agreement is None else f"{agreement:.4%}"
    out.append(
        f"matched rows: {report.matched}   agreeing on {report.field}: {report.agreements}   "
        f"agreement: {rate}"
    )
    if min_agreement is not None:
        verdict = "PASS" if report.passes(min_agreement) else "FAIL"
        out.append(f"minimum agreement {min_agreement:.2%}: {verdict}")

    if report.confusion:
        local_labels, cloud_labels = confusion_labels(report)
        out += ["", f"{report.field}: local (rows) vs cloud (columns)"]
        headers = ["local \\ cloud", *(_show(b) for b in cloud_labels)]
        rows = [
            [_show(a), *(str(report.confusion.get((a, b), 0)) for b in cloud_labels)]
            for a in local_labels
        ]
        out += _table(headers, rows)

    if report.mismatches:
        out += ["", f"first mismatching keys ({report.mismatch_count} in all)"]
        out += _table(
            [report.key, "local", "cloud"],
            [[_show(m.key), _show(m.local), _show(m.cloud)] for m in report.mismatches],
        )

    if report.numeric:
        out += ["", "numeric columns (absolute differences over matched rows)"]
        out += _table(
            ["column", "compared", "differing", "max", "mean"],
            [
                [n.field, str(n.compared), str(n.differing), n.max_abs_diff, n.mean_abs_diff]
                for n in report.numeric
            ],
        )
        for n in report.numeric:
            if n.largest:
                out += ["", f"largest differences in {n.field}"]
                out += _table(
                    [report.key, "local", "cloud", "|diff|"],
                    [[_show(k), _show(x), _show(y), d] for k, x, y, d in n.largest],
                )
    if report.other_differences:
        out += ["", "other columns differing (matched rows)"]
        out += _table(
            ["column", "rows"], [[c, str(n)] for c, n in report.other_differences.items()]
        )
    return "\n".join(out) + "\n"


def _json_value(value: Any) -> Any:
    return value if value is None or isinstance(value, int | float | str) else str(value)


def _side_json(side: Side) -> dict[str, Any]:
    return {
        "rows": side.rows,
        "keys": side.keys,
        "missing_key": side.missing_key,
        "duplicate_keys": side.duplicate_keys,
        "duplicate_rows": side.duplicate_rows,
        "duplicate_examples": [_json_value(k) for k in side.duplicate_examples],
        "field_nulls": side.field_nulls,
    }


def report_json(report: ComparisonReport, min_agreement: float | None = None) -> dict[str, Any]:
    """The report as JSON-ready data (nulls stay null; the confusion matrix as a cell list)."""
    local_labels, cloud_labels = confusion_labels(report)
    data: dict[str, Any] = {
        "key": report.key,
        "field": report.field,
        "local": _side_json(report.local),
        "cloud": _side_json(report.cloud),
        "matched": report.matched,
        "only_local": report.only_local,
        "only_cloud": report.only_cloud,
        "only_local_examples": [_json_value(k) for k in report.only_local_examples],
        "only_cloud_examples": [_json_value(k) for k in report.only_cloud_examples],
        "agreements": report.agreements,
        "agreement": report.agreement,
        "confusion": {
            "local_labels": [_json_value(v) for v in local_labels],
            "cloud_labels": [_json_value(v) for v in cloud_labels],
            "matrix": [
                [report.confusion.get((a, b), 0) for b in cloud_labels] for a in local_labels
            ],
            "cells": [
                {"local": _json_value(a), "cloud": _json_value(b), "count": n}
                for (a, b), n in report.confusion.items()
            ],
        },
        "mismatch_count": report.mismatch_count,
        "mismatches": [
            {
                "key": _json_value(m.key),
                "local": _json_value(m.local),
                "cloud": _json_value(m.cloud),
            }
            for m in report.mismatches
        ],
        "numeric": [
            {
                "field": n.field,
                "compared": n.compared,
                "differing": n.differing,
                "max_abs_diff": n.max_abs_diff,
                "mean_abs_diff": n.mean_abs_diff,
                "largest": [
                    {
                        "key": _json_value(k),
                        "local": _json_value(x),
                        "cloud": _json_value(y),
                        "abs_diff": d,
                    }
                    for k, x, y, d in n.largest
                ],
            }
            for n in report.numeric
        ],
        "other_differences": report.other_differences,
    }
    if min_agreement is not None:
        data["min_agreement"] = min_agreement
        data["passed"] = report.passes(min_agreement)
    return data


# --------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of `ccflink compare`."""
    parser.add_argument(
        "--local", required=True, help="local predictions: a topic name, or a file if that exists"
    )
    parser.add_argument("--cloud", required=True, help="predictions exported from Confluent Cloud")
    parser.add_argument("--key", default=DEFAULT_KEY, help=f"join column (default {DEFAULT_KEY})")
    parser.add_argument(
        "--field", default=DEFAULT_FIELD, help=f"column to compare (default {DEFAULT_FIELD})"
    )
    parser.add_argument(
        "--min-agreement",
        type=float,
        default=DEFAULT_MIN_AGREEMENT,
        help=f"exit 1 below this agreement rate (default {DEFAULT_MIN_AGREEMENT})",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--local-format", choices=FORMATS, default="auto")
    parser.add_argument("--cloud-format", choices=FORMATS, default="auto")
    parser.add_argument(
        "--show", type=int, default=DEFAULT_SHOW, help="example keys and differences to list"
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=DEFAULT_IDLE_SECONDS,
        help="a topic is read until no record arrived for this long",
    )
    parser.add_argument("--bootstrap-servers", help="Kafka for a topic (default: the local stack)")
    parser.add_argument("--registry-url", help="Schema Registry for a topic (default: local stack)")
    return parser


def cmd_compare(settings: Any, args: argparse.Namespace, out=None) -> int:
    """Handler for `ccflink compare` (signature of emulator/cli.py's handlers).

    Exit status: 0 when agreement >= --min-agreement, 1 below it (or when no key matched),
    2 when an input cannot be read.
    """
    out = out or sys.stdout
    bootstrap = args.bootstrap_servers or getattr(settings, "bootstrap_servers", None)
    registry = args.registry_url or getattr(settings, "schema_registry_url", None)
    try:
        sides = [
            load_rows(
                source,
                fmt=fmt,
                key=args.key,
                bootstrap_servers=bootstrap,
                registry_url=registry,
                idle_seconds=args.idle_seconds,
            )
            for source, fmt in ((args.local, args.local_format), (args.cloud, args.cloud_format))
        ]
    except (OSError, ValueError, LookupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = compare(sides[0], sides[1], key=args.key, field=args.field, show=args.show)
    if args.json:
        out.write(json.dumps(report_json(report, args.min_agreement), indent=2) + "\n")
    else:
        out.write(format_report(report, args.min_agreement))
    return 0 if report.passes(args.min_agreement) else 1


def run(argv: Sequence[str] | None = None, out=None) -> int:
    """`python -m emulator.compare ...`: the same as `ccflink compare ...`."""
    parser = add_arguments(
        argparse.ArgumentParser(prog="ccflink compare", description=__doc__.splitlines()[0])
    )
    args = parser.parse_args(argv)
    settings = None
    reads_a_topic = not (Path(args.local).is_file() and Path(args.cloud).is_file())
    if reads_a_topic and not (args.bootstrap_servers and args.registry_url):
        from emulator.config import settings_from_env

        settings = settings_from_env()
    return cmd_compare(settings, args, out)


if __name__ == "__main__":
    sys.exit(run())


__all__ = [
    "ComparisonReport",
    "add_arguments",
    "cmd_compare",
    "compare",
    "format_report",
    "load_avro",
    "load_csv",
    "load_file",
    "load_json_lines",
    "load_rows",
    "load_topic",
    "normalise",
    "report_json",
    "run",
]
