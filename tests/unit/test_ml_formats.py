"""Confluent's azureml request formats and response parsers (pure functions, no I/O)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest
from pyflink.common import Row

from pyflink_jobs.ml_formats import (
    NOT_AN_ARRAY,
    UNSUPPORTED_INPUT,
    Format,
    ModelCodec,
    PredictionError,
    UnsupportedInputError,
    batch_request_body,
    batch_request_body_by_column,
    check_input_types,
    coerce_output,
    default_output_format,
    encode_value,
    parse_batch_response,
    parse_input_format,
    parse_output_format,
    parse_response,
    request_body,
    response_content_type,
)

COLUMNS = ["a", "b"]
ROW = [68.5, "W"]
JSON = "application/json"


# ---------------------------------------------------------------- format names


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, Format("AZUREML-PANDAS-DATAFRAME")),
        ("", Format("AZUREML-PANDAS-DATAFRAME")),
        ("azureml_pandas_dataframe", Format("AZUREML-PANDAS-DATAFRAME")),
        ("AzureMLPandasDataFrame", Format("AZUREML-PANDAS-DATAFRAME")),
        ("pandas-dataframe", Format("PANDAS-DATAFRAME")),
        ("json", Format("JSON")),
        ("JSON:wrap", Format("JSON", "wrap")),
        ("json:Input_Data", Format("JSON", "Input_Data")),
        ("AZUREML-TENSOR", Format("JSON", "input_data")),
        ("mlflow_tensor", Format("JSON", "inputs")),
        ("TF-SERVING-COLUMN", Format("JSON", "inputs")),
        ("json_array", Format("JSON-ARRAY")),
        ("TF_SERVING", Format("TF-SERVING")),
        ("kserve-v1", Format("TF-SERVING")),
        ("csv", Format("CSV")),
        ("Text", Format("TEXT")),
    ],
)
def test_input_format_names(spec: str | None, expected: Format) -> None:
    assert parse_input_format(spec) == expected


@pytest.mark.parametrize(
    "spec", ["BINARY", "TRITON", "OPENAI-CHAT", "nope", "CSV:wrap", "AZUREML-TENSOR:x", "JSON:"]
)
def test_unsupported_input_formats_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_input_format(spec)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("json-array", Format("JSON-ARRAY")),
        ("JSON_ARRAY:predictions", Format("JSON-ARRAY", "predictions")),
        ("json:outputs", Format("JSON", "outputs")),
        ("tf_serving", Format("TF-SERVING")),
        ("KSERVE-V1", Format("TF-SERVING")),
    ],
)
def test_output_format_names(spec: str, expected: Format) -> None:
    assert parse_output_format(spec) == expected


@pytest.mark.parametrize(
    ("input_format", "expected"),
    [
        (None, "JSON-ARRAY"),
        ("AZUREML-PANDAS-DATAFRAME", "JSON-ARRAY"),
        ("pandas_dataframe", "JSON-ARRAY"),
        ("AZUREML-TENSOR", "JSON:outputs"),
        ("MLFLOW-TENSOR", "JSON:outputs"),
        ("TF-SERVING-COLUMN", "JSON:outputs"),
        ("JSON", "JSON"),
        ("JSON:wrap", "JSON"),
        ("JSON-ARRAY", "JSON-ARRAY"),
        ("TF-SERVING", "TF-SERVING"),
        ("KSERVE-V1", "TF-SERVING"),
        ("CSV", "CSV"),
        ("TEXT", "TEXT"),
    ],
)
def test_default_output_format_follows_the_input(input_format: str | None, expected: str) -> None:
    assert str(default_output_format(input_format)) == expected
    assert str(parse_output_format(None, input_format)) == expected
    assert str(parse_output_format(None, parse_input_format(input_format))) == expected


def test_accept_header_per_output_format() -> None:
    assert response_content_type("JSON-ARRAY") == JSON
    assert response_content_type(None) == JSON
    assert response_content_type("csv") == "text/csv"
    assert response_content_type("text") == "text/plain"


# ---------------------------------------------------------------- value encoding


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (True, True),
        (0, 0),
        (-(2**63), -(2**63)),
        (68.5, 68.5),
        (float("nan"), None),
        (float("inf"), None),
        (float("-inf"), None),
        (Decimal("12.25"), 12.25),
        ("W", "W"),
        ("ünï", "ünï"),
        (b"\x00\xffab", base64.b64encode(b"\x00\xffab").decode()),
        (bytearray(b"hi"), "aGk="),
        (dt.date(1970, 1, 1), 0),
        (dt.date(2017, 11, 30), 17500),
        (dt.date(1969, 12, 31), -1),
        (dt.time(0, 0, 1, 500_000), 1500),
        ([1, None, float("nan")], [1, None, None]),
        (Row(x=1, y="z"), {"x": 1, "y": "z"}),
    ],
)
def test_value_encoding(value: object, expected: object) -> None:
    assert encode_value(value) == expected


@pytest.mark.parametrize(
    "value", [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, tzinfo=dt.UTC), {"k": 1}, object()]
)
def test_unsupported_values_are_refused(value: object) -> None:
    with pytest.raises(UnsupportedInputError, match=UNSUPPORTED_INPUT):
        encode_value(value)


@pytest.mark.parametrize(
    "sql_type",
    [
        "TIMESTAMP(3)",
        "timestamp",
        "TIMESTAMP_LTZ(3)",
        "TIMESTAMP(3) WITH LOCAL TIME ZONE",
        "MAP<STRING, INT>",
        "MULTISET<INT>",
        "INTERVAL DAY",
    ],
)
def test_unsupported_types_are_refused_even_for_null(sql_type: str) -> None:
    with pytest.raises(UnsupportedInputError, match=UNSUPPORTED_INPUT):
        encode_value(None, sql_type)
    with pytest.raises(UnsupportedInputError, match=UNSUPPORTED_INPUT):
        check_input_types(["DOUBLE", sql_type])


def test_supported_types_pass_the_check() -> None:
    check_input_types(["DOUBLE", "STRING NOT NULL", "VARCHAR(3)", "DATE", "ARRAY<INT>", "BYTES"])


# ---------------------------------------------------------------- request bodies


@pytest.mark.parametrize(
    ("fmt", "body", "content_type"),
    [
        (
            None,
            {"input_data": {"index": [0], "columns": ["a", "b"], "data": [[68.5, "W"]]}},
            JSON,
        ),
        (
            "PANDAS-DATAFRAME",
            {"dataframe_split": {"index": [0], "columns": ["a", "b"], "data": [[68.5, "W"]]}},
            JSON,
        ),
        ("JSON", {"a": 68.5, "b": "W"}, JSON),
        ("JSON:wrap", {"wrap": {"a": 68.5, "b": "W"}}, JSON),
        ("AZUREML-TENSOR", {"input_data": {"a": 68.5, "b": "W"}}, JSON),
        ("MLFLOW-TENSOR", {"inputs": {"a": 68.5, "b": "W"}}, JSON),
        ("TF-SERVING-COLUMN", {"inputs": {"a": 68.5, "b": "W"}}, JSON),
        ("JSON-ARRAY", [68.5, "W"], JSON),
        ("TF-SERVING", {"instances": [[68.5, "W"]]}, JSON),
        ("KSERVE-V1", {"instances": [[68.5, "W"]]}, JSON),
    ],
)
def test_json_request_bodies(fmt: str | None, body: object, content_type: str) -> None:
    raw, got_type = request_body(fmt, COLUMNS, ROW)
    assert json.loads(raw) == body
    assert got_type == content_type


def test_default_body_is_byte_exact_and_compact() -> None:
    raw, _ = request_body(None, COLUMNS, ROW)
    assert raw == b'{"input_data":{"index":[0],"columns":["a","b"],"data":[[68.5,"W"]]}}'
    assert request_body("AZUREML-PANDAS-DATAFRAME", COLUMNS, ROW)[0] == raw


def test_confluent_array_input_example() -> None:
    raw, _ = request_body("PANDAS-DATAFRAME", ["input"], [[1, 2, 3]])
    assert raw == b'{"dataframe_split":{"index":[0],"columns":["input"],"data":[[[1,2,3]]]}}'
    assert request_body("JSON-ARRAY", ["input"], [[1, 2, 3]])[0] == b"[1,2,3]"


def test_csv_and_text_bodies() -> None:
    assert request_body("CSV", COLUMNS, ROW) == (b"68.5,W", "text/csv")
    assert request_body("TEXT", COLUMNS, ROW) == (b"68.5\nW", "text/plain")
    raw, _ = request_body("CSV", ["a", "b", "c", "d"], ['x,"y"', None, True, float("nan")])
    assert raw == b'"x,""y""",,true,'


def test_null_nan_and_unicode_in_json_bodies() -> None:
    raw, _ = request_body("JSON", ["a", "b", "c"], [None, float("nan"), "é"])
    assert raw == '{"a":null,"b":null,"c":"é"}'.encode()


def test_json_params_go_into_the_body() -> None:
    raw, _ = request_body("JSON", COLUMNS, ROW, params={"temperature": 0.5})
    assert json.loads(raw) == {"a": 68.5, "b": "W", "temperature": 0.5}
    raw, _ = request_body("JSON:wrap", COLUMNS, ROW, params={"k": "v"})
    assert json.loads(raw) == {"wrap": {"a": 68.5, "b": "W"}, "k": "v"}


def test_declared_date_and_refused_timestamp_in_a_row() -> None:
    raw, _ = request_body("JSON", ["d"], [dt.date(1970, 1, 11)], sql_types=["DATE"])
    assert json.loads(raw) == {"d": 10}
    with pytest.raises(UnsupportedInputError, match=UNSUPPORTED_INPUT):
        request_body(None, ["t"], [None], sql_types=["TIMESTAMP(3)"])
    with pytest.raises(UnsupportedInputError, match=UNSUPPORTED_INPUT):
        request_body(None, ["t"], [dt.datetime(2024, 1, 1)])


def test_value_count_must_match_columns() -> None:
    with pytest.raises(ValueError, match="2 model INPUT"):
        request_body(None, COLUMNS, [1.0])


def test_batch_body_has_one_row_per_index() -> None:
    raw, content_type = batch_request_body(None, COLUMNS, [[1.0, "W"], [2.5, None]])
    assert json.loads(raw) == {
        "input_data": {"index": [0, 1], "columns": ["a", "b"], "data": [[1.0, "W"], [2.5, None]]}
    }
    assert content_type == JSON
    raw, _ = batch_request_body("pandas-dataframe", ["a"], [[1], [2], [3]])
    assert json.loads(raw)["dataframe_split"]["index"] == [0, 1, 2]
    with pytest.raises(ValueError, match="pandas"):
        batch_request_body("JSON", COLUMNS, [ROW])
    with pytest.raises(ValueError, match="at least one"):
        batch_request_body(None, COLUMNS, [])


def test_batch_body_by_column_is_the_per_value_encoding_byte_for_byte() -> None:
    types = ["DOUBLE", "INT", "STRING", "BOOLEAN", "DECIMAL(10, 2)", "DATE", "BYTES", "BIGINT"]
    columns = [f"c{i}" for i in range(len(types))]
    rows = [
        [68.5, 3, "W", True, Decimal("1.25"), dt.date(1970, 1, 11), b"\x00\xff", 2**40],
        [float("nan"), None, None, None, None, None, None, None],
        [float("inf"), -7, 'é,"x"', False, Decimal("NaN"), dt.date(2024, 2, 29), b"", 0],
        [None, 0, "", False, Decimal("-0.5"), None, bytearray(b"a"), -1],
    ]
    # What the per-value encoder gives, each value with its declared type, as the body was built.
    data = [[encode_value(v, t) for v, t in zip(row, types, strict=True)] for row in rows]
    frame = {"index": [0, 1, 2, 3], "columns": columns, "data": data}
    expected = json.dumps(
        {"input_data": frame}, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()
    by_column = [list(values) for values in zip(*rows, strict=True)]

    assert batch_request_body_by_column(None, columns, by_column, sql_types=types)[0] == expected
    assert batch_request_body(None, columns, rows, sql_types=types)[0] == expected
    codec = ModelCodec.create(list(zip(columns, types, strict=True)), [("y", "INT")])
    assert codec.encode_columns(by_column) == codec.encode_batch(rows) == expected
    for number, row in enumerate(rows):
        frame = {"index": [0], "columns": columns, "data": [data[number]]}
        one = json.dumps({"input_data": frame}, separators=(",", ":"), ensure_ascii=False)
        assert codec.encode(row) == one.encode()


def test_batch_body_by_column_checks_columns_and_types() -> None:
    with pytest.raises(ValueError, match="1 values for 2 model INPUT"):
        batch_request_body_by_column(None, COLUMNS, [[1.0]])
    with pytest.raises(ValueError, match="at least one"):
        batch_request_body_by_column(None, COLUMNS, [[], []])
    with pytest.raises(ValueError, match="pandas"):
        batch_request_body_by_column("CSV", COLUMNS, [[1.0], ["W"]])
    with pytest.raises(UnsupportedInputError, match=UNSUPPORTED_INPUT):
        batch_request_body_by_column(None, ["t"], [[None]], sql_types=["TIMESTAMP(3)"])
    with pytest.raises(UnsupportedInputError, match=UNSUPPORTED_INPUT):
        batch_request_body_by_column(None, ["t"], [[dt.datetime(2024, 1, 1)]])


# ---------------------------------------------------------------- JSON-ARRAY responses


@pytest.mark.parametrize("body", [b"[0]", b"[[0]]", b" [ 0 ] "])
def test_json_array_single_output(body: bytes) -> None:
    assert parse_response("JSON-ARRAY", body, ["label"]) == [0]
    assert parse_response("JSON-ARRAY", body, 1) == [0]


def test_json_array_several_outputs_are_positional() -> None:
    outputs = [("predicted_fraud", "INT"), ("fraud_probability", "DOUBLE")]
    assert parse_response(None, b"[1, 0.93]", outputs) == [1, 0.93]
    assert parse_response("JSON-ARRAY", b'[1, "x", null]', 3) == [1, "x", None]


@pytest.mark.parametrize(
    ("body", "count", "got"),
    [(b"[]", 1, 0), (b"[1, 2]", 1, 2), (b"[[1, 2]]", 1, 2), (b"[1]", 2, 1), (b"[[1, 2]]", 2, 1)],
)
def test_json_array_counts_must_match(body: bytes, count: int, got: int) -> None:
    message = f"Unexpected number of results from ML Predict. Expected {count} but got {got}"
    with pytest.raises(PredictionError, match=message):
        parse_response("JSON-ARRAY", body, count)


@pytest.mark.parametrize("body", [b'{"predictions": [0]}', b'{"message": "x"}', b'"[0]"', b"0"])
def test_json_array_refuses_non_arrays(body: bytes) -> None:
    with pytest.raises(PredictionError, match=NOT_AN_ARRAY):
        parse_response("JSON-ARRAY", body, 1)


def test_json_array_refuses_non_json() -> None:
    with pytest.raises(PredictionError, match="not JSON"):
        parse_response("JSON-ARRAY", b"<html>", 1)


def test_single_array_output_takes_the_whole_array() -> None:
    outputs = [("embedding", "ARRAY<DOUBLE>")]
    assert parse_response("JSON-ARRAY", b"[0.1, 0.2]", outputs) == [[0.1, 0.2]]
    assert parse_response("JSON-ARRAY", b"[[0.1, 0.2]]", outputs) == [[0.1, 0.2]]
    assert parse_response("JSON-ARRAY", b"[]", outputs) == [[]]


def test_json_array_with_a_field() -> None:
    assert parse_response("JSON-ARRAY:predictions", b'{"predictions": [1]}', ["y"]) == [1]
    with pytest.raises(PredictionError, match="predictions"):
        parse_response("JSON-ARRAY:predictions", b"[1]", ["y"])
    with pytest.raises(PredictionError, match=NOT_AN_ARRAY):
        parse_response("JSON-ARRAY:predictions", b'{"predictions": 1}', ["y"])


# ---------------------------------------------------------------- JSON and TF-SERVING responses


def test_json_output_looks_fields_up_by_name_recursively() -> None:
    body = b'{"meta": {"model": "m"}, "result": {"label": 1, "deep": {"score": 0.7}}}'
    assert parse_response("JSON", body, ["score", "label"]) == [0.7, 1]
    assert parse_response("JSON", b'{"label": [1]}', [("label", "INT")]) == [1]


def test_json_output_scalar_body_for_one_output() -> None:
    assert parse_response("JSON", b"1", ["label"]) == [1]
    assert parse_response("JSON", b'"fraud"', ["label"]) == ["fraud"]
    with pytest.raises(PredictionError, match="Expected 2 but got 1"):
        parse_response("JSON", b"1", ["a", "b"])


def test_json_output_missing_field_fails() -> None:
    with pytest.raises(PredictionError, match="no field score"):
        parse_response("JSON", b'{"label": 1}', ["label", "score"])


def test_json_outputs_wrapper_for_tensor_formats() -> None:
    codec = ModelCodec.create([("a", "DOUBLE")], [("y", "DOUBLE")], input_format="MLFLOW-TENSOR")
    assert codec.output_format == Format("JSON", "outputs")
    assert codec.decode(b'{"outputs": {"y": [0.25]}}') == (0.25,)
    assert codec.decode(b'{"outputs": [0.25]}') == (0.25,)
    with pytest.raises(PredictionError, match="outputs"):
        codec.decode(b'{"y": 0.25}')


def test_tf_serving_reads_the_first_prediction() -> None:
    assert parse_response("TF-SERVING", b'{"predictions": [[0.9], [0.1]]}', ["p"]) == [0.9]
    assert parse_response("TF-SERVING", b'{"predictions": [[1, 0.9]]}', ["l", "p"]) == [1, 0.9]
    body = b'{"predictions": [{"l": 1, "p": 0.9}]}'
    assert parse_response("TF-SERVING", body, ["p", "l"]) == [0.9, 1]


def test_tf_serving_error_field_is_a_remote_error() -> None:
    with pytest.raises(PredictionError, match="Remote ML Predict error: bad input"):
        parse_response("TF-SERVING", b'{"error": "bad input"}', ["p"])
    with pytest.raises(PredictionError, match="predictions"):
        parse_response("TF-SERVING", b'{"predictions": []}', ["p"])


def test_csv_and_text_responses() -> None:
    assert parse_response("CSV", b"1,0.5\n", [("l", "INT"), ("p", "DOUBLE")]) == [1, 0.5]
    assert parse_response("TEXT", b"hello world\n", ["s"]) == ["hello world"]
    assert parse_response("TEXT", b"a\nb", ["x", "y"]) == ["a", "b"]
    with pytest.raises(PredictionError, match="Expected 2 but got 1"):
        parse_response("CSV", b"1", ["l", "p"])


# ---------------------------------------------------------------- output types


@pytest.mark.parametrize(
    ("value", "sql_type", "expected"),
    [
        (1.0, "INT", 1),
        (True, "BIGINT", 1),
        ("7", "INT", 7),
        (1, "DOUBLE", 1.0),
        ("0.5", "FLOAT", 0.5),
        (1, "BOOLEAN", True),
        ("false", "BOOLEAN", False),
        ({"a": 1}, "STRING", '{"a":1}'),
        (3, "VARCHAR(5)", "3"),
        (None, "INT", None),
        ([1, 2], "ARRAY<INT>", [1, 2]),
    ],
)
def test_output_values_take_the_output_type(value: object, sql_type: str, expected: object) -> None:
    result = coerce_output(value, sql_type)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("value", "sql_type"), [(1.5, "INT"), ("x", "DOUBLE"), (2, "BOOLEAN")])
def test_output_values_that_do_not_fit_fail(value: object, sql_type: str) -> None:
    with pytest.raises(PredictionError, match="cannot be read as"):
        coerce_output(value, sql_type)


# ---------------------------------------------------------------- batches


def test_batch_response_one_entry_per_row() -> None:
    outputs = [("l", "INT"), ("p", "DOUBLE")]
    body = b"[[0, 0.1], [1, 0.9], [0, 0.2]]"
    assert parse_batch_response(None, body, outputs, 3) == [[0, 0.1], [1, 0.9], [0, 0.2]]
    assert parse_batch_response(None, b"[0, 1]", ["l"], 2) == [[0], [1]]
    assert parse_batch_response(None, b"[[0], [1]]", ["l"], 2) == [[0], [1]]
    # score.py answers a one-row frame with the bare pair
    assert parse_batch_response(None, b"[1, 0.9]", outputs, 1) == [[1, 0.9]]


def test_batch_response_errors() -> None:
    with pytest.raises(PredictionError, match="Expected 3 but got 2"):
        parse_batch_response(None, b"[[0, 0.1], [1, 0.9]]", ["l", "p"], 3)
    with pytest.raises(PredictionError, match="Expected 2 but got 1"):
        parse_batch_response(None, b"[[0], [1]]", ["l", "p"], 2)
    with pytest.raises(PredictionError, match=NOT_AN_ARRAY):
        parse_batch_response(None, b'{"a": 1}', ["l"], 2)
    with pytest.raises(ValueError, match="JSON-ARRAY"):
        parse_batch_response("JSON", b"[]", ["l"], 2)


def test_batch_response_with_a_field() -> None:
    body = b'{"predictions": [[0, 0.1], [1, 0.9]]}'
    result = parse_batch_response("JSON-ARRAY:predictions", body, ["l", "p"], 2)
    assert result == [[0, 0.1], [1, 0.9]]


# ---------------------------------------------------------------- the codec


def test_codec_for_the_fraud_model() -> None:
    codec = ModelCodec.create(
        [("TransactionAmt", "DOUBLE"), ("ProductCD", "STRING")],
        [("predicted_fraud", "INT"), ("fraud_probability", "DOUBLE")],
    )
    assert codec.headers() == {"Content-Type": JSON, "Accept": JSON}
    assert codec.encode([68.5, "W"]) == (
        b'{"input_data":{"index":[0],"columns":["TransactionAmt","ProductCD"],"data":[[68.5,"W"]]}}'
    )
    assert codec.decode(b"[1, 0.97]") == (1, 0.97)
    assert json.loads(codec.encode_batch([[1.0, "W"], [2.0, "C"]]))["input_data"]["index"] == [0, 1]
    assert codec.decode_batch(b"[[0, 0.1], [1.0, 0.9]]", 2) == [(0, 0.1), (1, 0.9)]


def test_codec_options_and_content_type_overrides() -> None:
    codec = ModelCodec.create(
        [("a", "DOUBLE")],
        [("y", "STRING")],
        input_format="csv",
        output_content_type="text/plain",
    )
    assert codec.output_format == Format("CSV")
    assert codec.headers() == {"Content-Type": "text/csv", "Accept": "text/plain"}
    assert codec.encode([1.5]) == b"1.5"
    assert codec.decode(b"fraud\n") == ("fraud",)


def test_codec_refuses_unsupported_input_types_up_front() -> None:
    with pytest.raises(UnsupportedInputError, match=UNSUPPORTED_INPUT):
        ModelCodec.create([("t", "TIMESTAMP_LTZ(3)")], [("y", "INT")])


def test_codec_json_params() -> None:
    codec = ModelCodec.create([("a", "INT")], [("y", "INT")], input_format="JSON", params={"k": 1})
    assert json.loads(codec.encode([2])) == {"a": 2, "k": 1}
    assert codec.output_format == Format("JSON")
