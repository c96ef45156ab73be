"""Which column `compare` compares: the one named, else the model's output, found in the rows.

A named column (`NAME`, or `LOCAL=CLOUD` when the sides name it differently) must be a column
of each side that has rows. Without one: the default name when a side has no rows (nothing to
choose from; the report says so) or when both sides have it; else the one column whose name
differs between the sides (one column on each side that the other lacks: the same output under
two names); else the one column both sides share besides the key. When none or both of the
last two fit, the choice is the user's, and the error lists the columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from common.errors import CcflinkError


class FieldChoiceError(CcflinkError):
    """No single column to compare; the message lists the candidates and says to pass --field."""


@dataclass(frozen=True)
class FieldChoice:
    """The compared column on each side, and why when the user did not name it."""

    local: str
    cloud: str
    reason: str | None = None


def columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every column seen in the rows, in the order first seen."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _given(field: str, local: list[str], cloud: list[str]) -> FieldChoice:
    local_name, _, cloud_name = field.partition("=")
    choice = FieldChoice(local_name, cloud_name or local_name)
    for side, name, names in (("local", choice.local, local), ("cloud", choice.cloud, cloud)):
        if names and name not in names:
            raise FieldChoiceError(
                f"the {side} rows have no column {name!r}; theirs: {', '.join(names)}"
            )
    return choice


def choose_field(
    local_rows: Sequence[Mapping[str, Any]],
    cloud_rows: Sequence[Mapping[str, Any]],
    key: str,
    field: str | None,
    default: str,
) -> FieldChoice:
    """The column to compare: `field` when given (checked), else inferred as the module says."""
    local = [c for c in columns(local_rows) if c != key]
    cloud = [c for c in columns(cloud_rows) if c != key]
    if field is not None:
        return _given(field, local, cloud)
    if not local or not cloud:
        return FieldChoice(default, default, "one side has no rows to choose a column from")
    if default in local and default in cloud:
        return FieldChoice(default, default, f"the default {default!r} is on both sides")
    shared = [c for c in local if c in cloud]
    only_local = [c for c in local if c not in cloud]
    only_cloud = [c for c in cloud if c not in local]
    candidates = []
    if len(only_local) == len(only_cloud) == 1:
        candidates.append(
            FieldChoice(
                only_local[0], only_cloud[0], "the only column whose name differs between the sides"
            )
        )
    if len(shared) == 1:
        candidates.append(
            FieldChoice(shared[0], shared[0], f"the only column both sides have besides {key!r}")
        )
    if len(candidates) == 1:
        return candidates[0]
    raise FieldChoiceError(
        f"cannot tell which column to compare (no {default!r} on both sides): "
        f"both sides have [{', '.join(shared)}], only local [{', '.join(only_local)}], "
        f"only cloud [{', '.join(only_cloud)}] besides the key {key!r}; "
        "pass --field NAME, or --field LOCAL=CLOUD when the sides name it differently"
    )
