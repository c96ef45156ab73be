"""Expression-level rewrites of Confluent SQL that open-source Flink's parser rejects.

- `t.$rowtime` (qualified, unquoted) becomes ``t.`$rowtime` ``.
- `LATERAL TABLE(ML_PREDICT('model[$v]', args... [, MAP[...]]))` becomes a call of the
  table function registered for that model version, with the model's OUTPUT names as the
  column aliases; the trailing config MAP (mixed value types, which Flink refuses) is parsed
  here and handed to the function instead. With the local batching extension on, the call
  becomes `UNNEST(ARRAY[batched_function(args)])` instead: Flink then evaluates the
  vectorized function in its own operator, a whole Arrow batch per call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from emulator.dialect.text import DialectError, matching_paren, scan, split_top_level, unquote

_QUALIFIED_ROWTIME = re.compile(r"((?:`[^`]+`|\b[A-Za-z_]\w*))\.\$rowtime\b")


def _outside_quotes_mask(sql: str) -> list[bool]:
    mask = [False] * len(sql)
    for index, _char, _depth in scan(sql):
        mask[index] = True
    return mask


def quote_qualified_rowtime(sql: str) -> str:
    mask = _outside_quotes_mask(sql)
    pieces: list[str] = []
    last = 0
    for match in _QUALIFIED_ROWTIME.finditer(sql):
        if not mask[match.end(1)]:  # the dot: a backtick-quoted table's start is not in mask
            continue
        pieces.append(sql[last : match.start()])
        pieces.append(f"{match.group(1)}.`$rowtime`")
        last = match.end()
    pieces.append(sql[last:])
    return "".join(pieces)


@dataclass(frozen=True)
class PredictCall:
    """One `ML_PREDICT` call as the user wrote it."""

    model: str  # the name without version suffix
    version: str | None  # "2", "all" or None for the default version
    arguments: list[str]  # SQL expressions, in order
    config: dict[str, str]  # the trailing MAP[...] entries, values as written


@dataclass(frozen=True)
class ResolvedPredict:
    """The function registered for one call, and how the statement must call it."""

    function: str
    outputs: list[str]  # the model's OUTPUT column names
    batched: bool = False  # a vectorized function returning a ROW, not a table function


PredictResolver = Callable[[PredictCall], ResolvedPredict]

_LATERAL = re.compile(r"(?is)\bLATERAL\s+TABLE\s*\(\s*ML_PREDICT\s*\(")
# What may follow a FROM item and is a clause, not its alias (reserved words all).
_NOT_ALIASES = (
    "ON|WHERE|GROUP|HAVING|WINDOW|ORDER|LIMIT|OFFSET|FETCH|JOIN|LEFT|RIGHT|FULL|INNER|CROSS|"
    "NATURAL|UNION|EXCEPT|INTERSECT|MINUS"
)
_ALIAS = re.compile(
    rf"(?is)^\s*(?:AS\s+)?(?!(?:{_NOT_ALIASES})\b)((?:`[^`]+`|[A-Za-z_]\w*))(\s*\(([^)]*)\))?"
)


def _parse_model_reference(text: str) -> tuple[str, str | None]:
    text = text.strip()
    if text[:1] in "'`" and text[-1:] == text[:1]:
        text = text[1:-1]
    else:
        raise DialectError(
            f"ML_PREDICT's first argument must be the model name as a string, got {text!r}"
        )
    name, _, version = text.partition("$")
    return name, version or None


def _parse_config_map(text: str) -> dict[str, str] | None:
    match = re.match(r"(?is)^MAP\s*\[(.*)\]$", text.strip())
    if not match:
        return None
    items = split_top_level(match.group(1))
    if len(items) % 2:
        raise DialectError("ML_PREDICT config MAP needs key, value pairs")
    config = {}
    for key, value in zip(items[::2], items[1::2], strict=True):
        config[unquote(key.strip().strip("'"))] = value.strip().strip("'")
    return config


def rewrite_ml_predict(sql: str, resolve: PredictResolver) -> str:
    mask = _outside_quotes_mask(sql)
    pieces: list[str] = []
    last = 0
    for match in _LATERAL.finditer(sql):
        if not mask[match.start()] or match.start() < last:
            continue
        call_open = match.end() - 1
        call_close = matching_paren(sql, call_open)
        lateral_open = sql.index("(", match.start())
        lateral_close = matching_paren(sql, lateral_open)
        arguments = split_top_level(sql[call_open + 1 : call_close])
        if not arguments:
            raise DialectError("ML_PREDICT needs a model name and the model's input values")
        model, version = _parse_model_reference(arguments[0])
        config = _parse_config_map(arguments[-1]) if len(arguments) > 1 else None
        values = arguments[1:-1] if config is not None else arguments[1:]
        call = PredictCall(model, version, values, config or {})
        resolved = resolve(call)
        after = sql[lateral_close + 1 :]
        alias_match = _ALIAS.match(after)
        if alias_match and alias_match.group(2):
            alias = f"{alias_match.group(1)}{alias_match.group(2)}"
            consumed = alias_match.end()
        else:
            alias_name = alias_match.group(1) if alias_match else f"__ml_predict_{len(pieces)}"
            alias = f"{alias_name}({', '.join(f'`{o}`' for o in resolved.outputs)})"
            consumed = alias_match.end() if alias_match else 0
        pieces.append(sql[last : match.start()])
        invocation = f"{resolved.function}({', '.join(values)})"
        if resolved.batched:  # UNNEST of a one-element array spreads the ROW into columns
            pieces.append(f"UNNEST(ARRAY[{invocation}]) AS {alias}")
        else:
            pieces.append(f"LATERAL TABLE({invocation}) AS {alias}")
        last = lateral_close + 1 + consumed
    pieces.append(sql[last:])
    return "".join(pieces)


def rewrite_expressions(sql: str, resolve_predict: PredictResolver | None = None) -> str:
    """All expression rewrites, in the order they must apply."""
    sql = quote_qualified_rowtime(sql)
    if resolve_predict is not None:
        sql = rewrite_ml_predict(sql, resolve_predict)
    return sql
