"""Azure ML request bodies and response parsing, as Confluent's azureml provider does them.

Pure functions, no I/O: `ml_predict.py` turns a row into `(body, content type)` here, posts it,
and turns the answer back into one value per model OUTPUT column here.

Format names are case-insensitive and ignore `-`/`_` (`azureml_pandas_dataframe` is
`AZUREML-PANDAS-DATAFRAME`); `JSON` (request and response) and `JSON-ARRAY` (response) take a
`:field` suffix that wraps or unwraps one JSON field. The local extension "several rows per
request" (`encode_batch` / `decode_batch`) exists only for the pandas formats with a JSON-ARRAY
response, one entry per row.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from common.errors import CcflinkError

UNSUPPORTED_INPUT = "Unsupported type for model input"
NOT_AN_ARRAY = "ML prediction response was not a JSON array"
REMOTE_ERROR = "Remote ML Predict error"
_EPOCH = dt.date(1970, 1, 1)

# Canonical names (dashes, upper case) by their normalised key (no dashes/underscores).
_INPUT_FORMATS = [
    "AZUREML-PANDAS-DATAFRAME",
    "PANDAS-DATAFRAME",
    "JSON",
    "AZUREML-TENSOR",
    "MLFLOW-TENSOR",
    "TF-SERVING-COLUMN",
    "JSON-ARRAY",
    "TF-SERVING",
    "KSERVE-V1",
    "CSV",
    "TEXT",
]
_OUTPUT_FORMATS = ["JSON-ARRAY", "JSON", "TF-SERVING", "CSV", "TEXT"]
# Input formats that are JSON with a fixed wrapper field.
_JSON_ALIASES = {
    "AZUREML-TENSOR": "input_data",
    "MLFLOW-TENSOR": "inputs",
    "TF-SERVING-COLUMN": "inputs",
}
# Output formats that are aliases of another one.
_OUTPUT_ALIASES = {"KSERVE-V1": "TF-SERVING"}
_PANDAS_KEYS = {"AZUREML-PANDAS-DATAFRAME": "input_data", "PANDAS-DATAFRAME": "dataframe_split"}
_CONTENT_TYPES = {"CSV": "text/csv", "TEXT": "text/plain"}
_UNSUPPORTED_TYPES = ("TIMESTAMP", "TIMESTAMP_LTZ", "MAP", "MULTISET", "INTERVAL")
_INT_TYPES = {"TINYINT", "SMALLINT", "INT", "INTEGER", "BIGINT"}
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL", "DOUBLE PRECISION"}
# Value types encode_value gives back unchanged (floats too, when finite).
_AS_IS = frozenset({str, int, bool, type(None)})


class PredictionError(CcflinkError):
    """The model's answer could not be turned into the OUTPUT columns; fails the statement."""


class ModelFormatError(CcflinkError, ValueError):
    """A format option, OUTPUT column or value shape the provider cannot take."""


class UnsupportedInputError(ModelFormatError):
    """A model INPUT type or value Confluent cannot send ("Unsupported type for model input")."""


def _key(name: str) -> str:
    return re.sub(r"[-_\s]", "", name).upper()


def _lookup(name: str, known: Sequence[str], kind: str) -> str:
    by_key = {_key(n): n for n in known}
    try:
        return by_key[_key(name)]
    except KeyError:
        raise ModelFormatError(
            f"unsupported {kind} format {name!r}; supported: {', '.join(known)}"
        ) from None


@dataclass(frozen=True)
class Format:
    """A parsed format option: canonical `name` plus the optional `:wrapper` field."""

    name: str
    wrapper: str | None = None
    # The canonical name the user gave when it is an alias (AZUREML-TENSOR → JSON:input_data).
    alias: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.name}:{self.wrapper}" if self.wrapper else self.name


def _split(spec: str) -> tuple[str, str | None]:
    name, sep, wrapper = spec.strip().partition(":")
    if sep and not wrapper.strip():
        raise ModelFormatError(f"format {spec!r} has an empty ':field' suffix")
    return name, (wrapper.strip() if sep else None)


def parse_input_format(spec: str | Format | None) -> Format:
    """`azureml.input_format` → Format; None means the default AZUREML-PANDAS-DATAFRAME."""
    if isinstance(spec, Format):
        return spec
    if spec is None or not spec.strip():
        return Format("AZUREML-PANDAS-DATAFRAME")
    raw, wrapper = _split(spec)
    name = _lookup(raw, _INPUT_FORMATS, "input")
    if name in _JSON_ALIASES:
        if wrapper is not None:
            raise ModelFormatError(f"input format {name} takes no ':field' suffix")
        return Format("JSON", _JSON_ALIASES[name], alias=name)
    if wrapper is not None and name != "JSON":
        raise ModelFormatError(f"only the JSON input format takes a ':field' suffix, not {name}")
    if name == "KSERVE-V1":
        return Format("TF-SERVING", alias=name)
    return Format(name, wrapper)


def parse_output_format(
    spec: str | Format | None, input_format: str | Format | None = None
) -> Format:
    """`azureml.output_format` → Format; None derives it from the input format."""
    if isinstance(spec, Format):
        return spec
    if spec is None or not spec.strip():
        return default_output_format(input_format)
    raw, wrapper = _split(spec)
    known = _OUTPUT_FORMATS + list(_OUTPUT_ALIASES)
    name = _lookup(raw, known, "output")
    name = _OUTPUT_ALIASES.get(name, name)
    if wrapper is not None and name not in {"JSON", "JSON-ARRAY"}:
        raise ModelFormatError(
            f"only JSON and JSON-ARRAY output formats take a ':field' suffix, not {name}"
        )
    return Format(name, wrapper)


def default_output_format(input_format: str | Format | None) -> Format:
    """Pandas → JSON-ARRAY; tensor formats → JSON:outputs; anything else → its own kind."""
    parsed = parse_input_format(input_format)
    if parsed.name in _PANDAS_KEYS:
        return Format("JSON-ARRAY")
    if parsed.alias in _JSON_ALIASES:
        return Format("JSON", "outputs")
    # JSON:wrap answers plain JSON (the request's wrapper is not assumed for the answer).
    return Format(parsed.name)


def request_content_type(fmt: str | Format | None) -> str:
    return _CONTENT_TYPES.get(parse_input_format(fmt).name, "application/json")


def response_content_type(fmt: str | Format | None) -> str:
    """The `Accept` header for an output format."""
    return _CONTENT_TYPES.get(parse_output_format(fmt, None).name, "application/json")


@functools.lru_cache(maxsize=256)
def _base_type(sql_type: str) -> str:
    """`VARCHAR(10) NOT NULL` → `VARCHAR`; `TIMESTAMP(3) WITH LOCAL TIME ZONE` → `TIMESTAMP_LTZ`.

    Cached: it runs for every value sent and received, and a model has a handful of types.
    """
    upper = re.sub(r"\s+", " ", sql_type.strip().upper())
    upper = re.sub(r"\s+NOT NULL$|\s+NULL$", "", upper)
    if "LOCAL TIME ZONE" in upper or upper.startswith("TIMESTAMP_LTZ"):
        return "TIMESTAMP_LTZ"
    if upper.startswith("DOUBLE PRECISION"):
        return "DOUBLE"
    return re.split(r"[\s(<]", upper, maxsplit=1)[0]


def check_input_types(sql_types: Sequence[str | None]) -> None:
    """Refuse model INPUT types Confluent cannot serialize (at CREATE/plan time, not per row)."""
    for sql_type in sql_types:
        if sql_type and _base_type(sql_type) in _UNSUPPORTED_TYPES:
            raise UnsupportedInputError(f"{UNSUPPORTED_INPUT}: {sql_type}")


def encode_value(value: Any, sql_type: str | None = None) -> Any:
    """One Flink value → its JSON form (Confluent's DataSerializer rules)."""
    if sql_type and _base_type(sql_type) in _UNSUPPORTED_TYPES:
        raise UnsupportedInputError(f"{UNSUPPORTED_INPUT}: {sql_type}")
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.datetime):
        raise UnsupportedInputError(f"{UNSUPPORTED_INPUT}: TIMESTAMP ({value!r})")
    if isinstance(value, dt.date):
        return (value - _EPOCH).days
    if isinstance(value, dt.time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return seconds * 1000 + value.microsecond // 1000
    if isinstance(value, dt.timedelta):
        raise UnsupportedInputError(f"{UNSUPPORTED_INPUT}: INTERVAL ({value!r})")
    as_dict = getattr(value, "as_dict", None)
    if callable(as_dict):  # pyflink Row: a JSON object keyed by field name
        return {str(k): encode_value(v) for k, v in as_dict().items()}
    if isinstance(value, Mapping):
        raise UnsupportedInputError(f"{UNSUPPORTED_INPUT}: MAP")
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    raise UnsupportedInputError(f"{UNSUPPORTED_INPUT}: {type(value).__name__}")


def _encode_values(values: Iterable[Any]) -> list[Any]:
    """encode_value for each value of an already checked type.

    Plain JSON values (the common case) skip its chain of isinstance checks: sending a row
    costs one such check per INPUT column.
    """
    return [
        v if type(v) in _AS_IS or (type(v) is float and math.isfinite(v)) else encode_value(v)
        for v in values
    ]


def encode_row(row: Sequence[Any], sql_types: Sequence[str | None] | None = None) -> list[Any]:
    if sql_types is not None:
        if len(sql_types) != len(row):
            raise ModelFormatError(f"{len(row)} values for {len(sql_types)} model INPUT columns")
        check_input_types(sql_types)
    return _encode_values(row)


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _text(value: Any) -> str:
    """A JSON-encoded value as CSV/TEXT shows it (Java's String.valueOf look)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def request_body(
    fmt: str | Format | None,
    columns: Sequence[str],
    row: Sequence[Any],
    *,
    sql_types: Sequence[str | None] | None = None,
    params: Mapping[str, Any] | None = None,
) -> tuple[bytes, str]:
    """One row → (HTTP body, Content-Type) for an input format; `params` only used by JSON."""
    parsed = parse_input_format(fmt)
    values = encode_row(row, sql_types)
    if len(values) != len(columns):
        raise ModelFormatError(f"{len(values)} values for {len(columns)} model INPUT columns")
    content_type = request_content_type(parsed)
    name = parsed.name
    if name in _PANDAS_KEYS:
        return _pandas_frame(parsed, columns, [values]), content_type
    if name == "JSON":
        record = dict(zip(columns, values, strict=True))
        extra = dict(params or {})
        payload: dict[str, Any] = {parsed.wrapper: record} if parsed.wrapper else record
        return _dumps({**payload, **extra}), content_type
    if name == "JSON-ARRAY":
        if len(values) == 1 and isinstance(values[0], list):
            return _dumps(values[0]), content_type
        return _dumps(values), content_type
    if name == "TF-SERVING":
        return _dumps({"instances": [values]}), content_type
    if name == "CSV":
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow([_text(v) for v in values])
        return out.getvalue().encode(), content_type
    if name == "TEXT":
        return "\n".join(_text(v) for v in values).encode(), content_type
    raise ModelFormatError(f"unsupported input format {parsed}")  # pragma: no cover


def _pandas_frame(parsed: Format, columns: Sequence[str], data: Sequence[Sequence[Any]]) -> bytes:
    frame = {"index": list(range(len(data))), "columns": list(columns), "data": data}
    return _dumps({_PANDAS_KEYS[parsed.name]: frame})


def _batch_format(fmt: str | Format | None) -> Format:
    parsed = parse_input_format(fmt)
    if parsed.name not in _PANDAS_KEYS:
        raise ModelFormatError(f"several rows per request need a pandas input format, not {parsed}")
    return parsed


def batch_request_body(
    fmt: str | Format | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    sql_types: Sequence[str | None] | None = None,
) -> tuple[bytes, str]:
    """Several rows in one pandas split frame (local extension; pandas formats only)."""
    if not rows:
        raise ModelFormatError("a batch needs at least one row")
    for row in rows:
        if len(row) != len(columns):
            raise ModelFormatError(f"{len(row)} values for {len(columns)} model INPUT columns")
    by_column = list(zip(*rows, strict=True))
    return batch_request_body_by_column(fmt, columns, by_column, sql_types=sql_types)


def batch_request_body_by_column(
    fmt: str | Format | None,
    columns: Sequence[str],
    values: Sequence[Sequence[Any]],
    *,
    sql_types: Sequence[str | None] | None = None,
) -> tuple[bytes, str]:
    """`batch_request_body` from one sequence of values per column, as a pandas batch holds them.

    The same bytes; each column's type is checked once instead of once per row.
    """
    parsed = _batch_format(fmt)
    if len(values) != len(columns):
        raise ModelFormatError(f"{len(values)} values for {len(columns)} model INPUT columns")
    if sql_types is not None:
        if len(sql_types) != len(columns):
            raise ModelFormatError(f"{len(columns)} columns for {len(sql_types)} model INPUT types")
        check_input_types(sql_types)
    data = list(zip(*(_encode_values(column) for column in values), strict=True))
    if not data:
        raise ModelFormatError("a batch needs at least one row")
    return _pandas_frame(parsed, columns, data), request_content_type(parsed)


# ---------------------------------------------------------------- responses


def _preview(body: bytes | str) -> str:
    text = body if isinstance(body, str) else body[:200].decode("utf-8", "replace")
    return text[:200]


def _load_json(body: bytes | str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, TypeError):
        raise PredictionError(f"ML prediction response was not JSON: {_preview(body)!r}") from None


def _count_error(expected: int, got: int) -> PredictionError:
    return PredictionError(
        f"Unexpected number of results from ML Predict. Expected {expected} but got {got}"
    )


def _is_array_type(sql_type: str | None) -> bool:
    return bool(sql_type) and _base_type(sql_type) == "ARRAY"


def coerce_output(value: Any, sql_type: str | None) -> Any:
    """A JSON value → the Python value Flink wants for an OUTPUT column type."""
    if value is None or not sql_type:
        return value
    base = _base_type(sql_type)
    try:
        if base in _INT_TYPES:
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, (int, str)):
                return int(value)
        elif base in _FLOAT_TYPES or base == "DECIMAL":
            if isinstance(value, (int, float, str)) and not isinstance(value, bool):
                return float(value)
        elif base == "BOOLEAN":
            if isinstance(value, bool):
                return value
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
        elif base in {"STRING", "VARCHAR", "CHAR"}:
            if isinstance(value, str):
                return value
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        else:
            return value
    except ValueError:
        pass
    raise PredictionError(f"ML Predict result {value!r} cannot be read as {sql_type}")


def _normalise_outputs(
    outputs: int | Sequence[str | tuple[str, str]],
) -> list[tuple[str, str | None]]:
    if isinstance(outputs, int):
        return [(f"f{i}", None) for i in range(outputs)]
    result: list[tuple[str, str | None]] = []
    for item in outputs:
        if isinstance(item, str):
            result.append((item, None))
        else:
            name, sql_type = item
            result.append((name, sql_type))
    if not result:
        raise ModelFormatError("a model needs at least one OUTPUT column")
    return result


def _array_values(parsed: Any, outputs: list[tuple[str, str | None]]) -> list[Any]:
    """JSON-ARRAY rules: N outputs → exactly N elements; `[0]` ≡ `[[0]]` for one output."""
    if not isinstance(parsed, list):
        raise PredictionError(NOT_AN_ARRAY)
    if len(outputs) == 1:
        _, sql_type = outputs[0]
        if _is_array_type(sql_type):
            # The whole array is the value; `[[1,2]]` is tolerated as `[1,2]`.
            if len(parsed) == 1 and isinstance(parsed[0], list):
                return [parsed[0]]
            return [parsed]
        if len(parsed) == 1 and isinstance(parsed[0], list):
            parsed = parsed[0]
    if len(parsed) != len(outputs):
        raise _count_error(len(outputs), len(parsed))
    return list(parsed)


def _find_field(node: Any, name: str) -> tuple[bool, Any]:
    """Breadth-first search for key `name` in nested objects (shallowest match wins)."""
    queue = [node]
    while queue:
        current = queue.pop(0)
        if isinstance(current, dict):
            if name in current:
                return True, current[name]
            queue.extend(v for v in current.values() if isinstance(v, (dict, list)))
        elif isinstance(current, list):
            queue.extend(v for v in current if isinstance(v, (dict, list)))
    return False, None


def _unwrap_single(value: Any, sql_type: str | None) -> Any:
    """A scalar OUTPUT may arrive as a one-element array."""
    if not _is_array_type(sql_type):
        while isinstance(value, list) and len(value) == 1:
            value = value[0]
    return value


def _object_values(parsed: Any, outputs: list[tuple[str, str | None]]) -> list[Any]:
    """JSON rules: field per OUTPUT name, searched recursively; a bare value for one output."""
    if isinstance(parsed, (dict, list)):
        values = []
        missing = []
        for name, sql_type in outputs:
            found, value = _find_field(parsed, name)
            if not found:
                missing.append(name)
            values.append(_unwrap_single(value, sql_type))
        if not missing:
            return values
        if len(outputs) == 1 and not isinstance(parsed, dict):
            return [_unwrap_single(parsed, outputs[0][1])]
        if isinstance(parsed, list) and len(parsed) == len(outputs):
            return list(parsed)
        raise PredictionError(
            f"ML prediction response has no field {', '.join(missing)}: "
            f"{_preview(json.dumps(parsed))!r}"
        )
    if len(outputs) == 1:
        return [parsed]
    raise _count_error(len(outputs), 1)


def _unwrap_field(parsed: Any, wrapper: str) -> Any:
    if not isinstance(parsed, dict) or wrapper not in parsed:
        raise PredictionError(f"ML prediction response has no field {wrapper!r}")
    return parsed[wrapper]


def _tf_serving_values(parsed: Any, outputs: list[tuple[str, str | None]]) -> list[Any]:
    if isinstance(parsed, dict) and "error" in parsed:
        raise PredictionError(f"{REMOTE_ERROR}: {parsed['error']}")
    predictions = _unwrap_field(parsed, "predictions")
    if not isinstance(predictions, list) or not predictions:
        raise PredictionError("ML prediction response has no predictions[0]")
    first = predictions[0]
    if isinstance(first, dict):
        return _object_values(first, outputs)
    if len(outputs) == 1:
        return [_unwrap_single(first, outputs[0][1])]
    return _array_values(first, outputs)


def _text_values(body: bytes | str, fmt: str, outputs: list[tuple[str, str | None]]) -> list[Any]:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.rstrip("\r\n")
    if len(outputs) == 1:
        return [text]
    values = next(csv.reader([text]), []) if fmt == "CSV" else text.split("\n")
    if len(values) != len(outputs):
        raise _count_error(len(outputs), len(values))
    return values


def parse_response(
    fmt: str | Format | None,
    body: bytes | str,
    outputs: int | Sequence[str | tuple[str, str]],
) -> list[Any]:
    """The answer to one row → one value per OUTPUT column (names, or (name, SQL type) pairs).

    With types, values are converted to what Flink wants for the column (e.g. 1.0 → 1 for INT).
    """
    parsed_format = parse_output_format(fmt) if fmt is not None else Format("JSON-ARRAY")
    columns = _normalise_outputs(outputs)
    name = parsed_format.name
    if name in {"CSV", "TEXT"}:
        values = _text_values(body, name, columns)
    else:
        parsed = _load_json(body)
        if name == "JSON-ARRAY":
            if parsed_format.wrapper:
                parsed = _unwrap_field(parsed, parsed_format.wrapper)
            values = _array_values(parsed, columns)
        elif name == "JSON":
            if parsed_format.wrapper:
                parsed = _unwrap_field(parsed, parsed_format.wrapper)
            values = _object_values(parsed, columns)
        elif name == "TF-SERVING":
            values = _tf_serving_values(parsed, columns)
        else:  # pragma: no cover - parse_output_format only returns the above
            raise ModelFormatError(f"unsupported output format {parsed_format}")
    return [coerce_output(v, t) for v, (_, t) in zip(values, columns, strict=True)]


def parse_batch_response(
    fmt: str | Format | None,
    body: bytes | str,
    outputs: int | Sequence[str | tuple[str, str]],
    rows: int,
) -> list[list[Any]]:
    """The answer to `rows` rows sent together: a JSON-ARRAY with one entry per row."""
    parsed_format = parse_output_format(fmt) if fmt is not None else Format("JSON-ARRAY")
    if parsed_format.name != "JSON-ARRAY":
        raise ModelFormatError(
            f"several rows per request need a JSON-ARRAY output format, not {parsed_format}"
        )
    if rows == 1:
        return [parse_response(parsed_format, body, outputs)]
    columns = _normalise_outputs(outputs)
    parsed = _load_json(body)
    if parsed_format.wrapper:
        parsed = _unwrap_field(parsed, parsed_format.wrapper)
    if not isinstance(parsed, list):
        raise PredictionError(NOT_AN_ARRAY)
    if len(parsed) != rows:
        raise _count_error(rows, len(parsed))
    result = []
    for entry in parsed:
        element = entry if isinstance(entry, list) else [entry]
        if len(columns) == 1 and _is_array_type(columns[0][1]):
            element = [entry]
        values = _array_values(element, columns)
        result.append([coerce_output(v, t) for v, (_, t) in zip(values, columns, strict=True)])
    return result


# ---------------------------------------------------------------- one model's codec


@dataclass(frozen=True)
class ModelCodec:
    """Everything ML_PREDICT needs to talk to one model version: formats, columns, headers."""

    input_columns: tuple[tuple[str, str], ...]
    output_columns: tuple[tuple[str, str], ...]
    input_format: Format = field(default_factory=lambda: Format("AZUREML-PANDAS-DATAFRAME"))
    output_format: Format = field(default_factory=lambda: Format("JSON-ARRAY"))
    content_type: str = "application/json"
    accept: str = "application/json"
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def create(
        cls,
        input_columns: Sequence[tuple[str, str]],
        output_columns: Sequence[tuple[str, str]],
        *,
        input_format: str | None = None,
        output_format: str | None = None,
        input_content_type: str | None = None,
        output_content_type: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> ModelCodec:
        """From the model's INPUT/OUTPUT and its `azureml.*` options; refuses bad types early."""
        check_input_types([t for _, t in input_columns])
        parsed_in = parse_input_format(input_format)
        parsed_out = parse_output_format(output_format, parsed_in)
        return cls(
            input_columns=tuple((n, t) for n, t in input_columns),
            output_columns=tuple((n, t) for n, t in output_columns),
            input_format=parsed_in,
            output_format=parsed_out,
            content_type=input_content_type or request_content_type(parsed_in),
            accept=output_content_type or response_content_type(parsed_out),
            params=tuple((params or {}).items()),
        )

    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, "Accept": self.accept}

    @property
    def accepts_batches(self) -> bool:
        """Whether several rows fit one request: a pandas frame in, a JSON array out."""
        return self.input_format.name in _PANDAS_KEYS and self.output_format.name == "JSON-ARRAY"

    @functools.cached_property
    def _input_names(self) -> list[str]:
        return [n for n, _ in self.input_columns]

    @functools.cached_property
    def _input_types(self) -> list[str]:
        return [t for _, t in self.input_columns]

    def encode(self, row: Sequence[Any]) -> bytes:
        body, _ = request_body(
            self.input_format,
            self._input_names,
            row,
            sql_types=self._input_types,
            params=dict(self.params),
        )
        return body

    def encode_batch(self, rows: Sequence[Sequence[Any]]) -> bytes:
        body, _ = batch_request_body(
            self.input_format, self._input_names, rows, sql_types=self._input_types
        )
        return body

    def encode_columns(self, columns: Sequence[Sequence[Any]]) -> bytes:
        """`encode_batch` from one sequence of values per INPUT column (a pandas batch)."""
        body, _ = batch_request_body_by_column(
            self.input_format, self._input_names, columns, sql_types=self._input_types
        )
        return body

    def decode(self, body: bytes | str) -> tuple[Any, ...]:
        return tuple(parse_response(self.output_format, body, self.output_columns))

    def decode_batch(self, body: bytes | str, rows: int) -> list[tuple[Any, ...]]:
        parsed = parse_batch_response(self.output_format, body, self.output_columns, rows)
        return [tuple(values) for values in parsed]
