"""Avro schema compatibility, decided the way Confluent's registry decides it.

Confluent checks a new schema against the subject's earlier versions by Avro schema resolution
(the Avro specification's "Schema Resolution" rules): BACKWARD means the new schema can read
data written with the latest earlier version, FORWARD that the latest earlier version can read
data written with the new one, FULL both; the `_TRANSITIVE` levels check every earlier version
instead of the latest only, and NONE checks nothing.

Resolution rules applied here (reader schema R reading data written with writer schema W):

- a writer union is readable when each of its branches is; a reader union reads a non-union
  writer when one of its branches does;
- primitives match, or promote: int -> long, float, double; long -> float, double;
  float -> double; string <-> bytes;
- records, enums and fixed match by name (the unqualified name, or a reader alias equal to the
  writer's full name); a name mismatch is an incompatibility;
- a reader record field absent from the writer (by name or reader field alias) needs a default;
  writer fields the reader does not have are skipped;
- enum symbols the writer has and the reader lacks are an incompatibility unless the reader's
  enum declares a default symbol; fixed sizes must be equal;
- arrays and maps resolve their items and values;
- logical types do not take part (a `timestamp-millis` long reads a `local-timestamp-millis`
  long), as in Avro's own compatibility checker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
NAMED = {"record", "error", "enum", "fixed"}

# writer type -> reader types that can read it (besides the same type)
PROMOTIONS = {
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "string": {"bytes"},
    "bytes": {"string"},
}

LEVELS = {
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
}


class SchemaParseError(ValueError):
    """A schema this module cannot follow (unknown named type, malformed JSON)."""


@dataclass(eq=False)
class Node:
    """One Avro type with references to named types resolved (records may be recursive)."""

    type: str  # a primitive, "record", "enum", "fixed", "array", "map" or "union"
    name: str | None = None  # full name of a named type
    aliases: set[str] = field(default_factory=set)  # full names
    fields: list[Field] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)
    enum_default: str | None = None
    size: int | None = None
    items: Node | None = None  # array items or map values
    branches: list[Node] = field(default_factory=list)

    @property
    def short_name(self) -> str:
        return (self.name or "").rsplit(".", 1)[-1]

    def describe(self) -> str:
        if self.type in NAMED or self.type == "record":
            return f"{self.type} {self.name}"
        if self.type == "union":
            return "[" + ", ".join(b.describe() for b in self.branches) + "]"
        if self.type in ("array", "map") and self.items is not None:
            return f"{self.type}<{self.items.describe()}>"
        return self.type


@dataclass(eq=False)
class Field:
    name: str
    type: Node
    has_default: bool
    aliases: set[str] = field(default_factory=set)


def _full_name(name: str, namespace: str | None) -> str:
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


class _Parser:
    def __init__(self) -> None:
        self.named: dict[str, Node] = {}

    def parse(self, schema: Any, namespace: str | None = None) -> Node:
        if isinstance(schema, list):
            return Node("union", branches=[self.parse(b, namespace) for b in schema])
        if isinstance(schema, str):
            if schema in PRIMITIVES:
                return Node(schema)
            for candidate in (_full_name(schema, namespace), schema):
                if candidate in self.named:
                    return self.named[candidate]
            raise SchemaParseError(f"unknown type {schema!r}")
        if not isinstance(schema, dict) or "type" not in schema:
            raise SchemaParseError(f"not an Avro schema: {schema!r}")
        kind = schema["type"]
        if not isinstance(kind, str) or (kind not in NAMED and kind not in ("array", "map")):
            # {"type": "long", "logicalType": ...} or {"type": {...}}: logical types are ignored
            return self.parse(kind, namespace)
        if kind == "array":
            return Node("array", items=self.parse(schema.get("items"), namespace))
        if kind == "map":
            return Node("map", items=self.parse(schema.get("values"), namespace))
        own_namespace = schema.get("namespace", namespace)
        full = _full_name(schema["name"], own_namespace)
        inner_namespace = full.rsplit(".", 1)[0] if "." in full else None
        node = Node(
            "record" if kind == "error" else kind,
            name=full,
            aliases={_full_name(a, inner_namespace) for a in schema.get("aliases", [])},
        )
        self.named[full] = node  # before the fields: a record may refer to itself
        if kind == "enum":
            node.symbols = list(schema.get("symbols", []))
            node.enum_default = schema.get("default")
        elif kind == "fixed":
            node.size = int(schema.get("size", 0))
        else:
            for spec in schema.get("fields", []):
                node.fields.append(
                    Field(
                        spec["name"],
                        self.parse(spec["type"], inner_namespace),
                        "default" in spec,
                        set(spec.get("aliases", [])),
                    )
                )
        return node


def parse_schema(schema: str | dict | list) -> Node:
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except json.JSONDecodeError:
            schema = schema.strip()  # a bare primitive name, e.g. string
    return _Parser().parse(schema)


@dataclass(frozen=True)
class Incompatibility:
    kind: str  # Avro's names: TYPE_MISMATCH, NAME_MISMATCH, ...
    path: str  # where in the reader schema, as a JSON pointer
    detail: str


class _Checker:
    def __init__(self) -> None:
        self._assumed: set[tuple[int, int]] = set()  # (reader, writer) pairs being checked

    def check(self, reader: Node, writer: Node, path: str) -> list[Incompatibility]:
        if writer.type == "union":
            found: list[Incompatibility] = []
            for index, branch in enumerate(writer.branches):
                if not self._readable(reader, branch, path):
                    found.append(
                        Incompatibility(
                            "MISSING_UNION_BRANCH" if reader.type == "union" else "TYPE_MISMATCH",
                            path,
                            f"reader type {reader.describe()} cannot read branch {index} "
                            f"({branch.describe()}) of the writer's union {writer.describe()}",
                        )
                    )
            return found
        if reader.type == "union":
            if any(self._readable(b, writer, path) for b in reader.branches):
                return []
            return [
                Incompatibility(
                    "MISSING_UNION_BRANCH",
                    path,
                    f"no branch of the reader's union {reader.describe()} "
                    f"can read writer type {writer.describe()}",
                )
            ]
        if reader.type != writer.type:
            if reader.type in PROMOTIONS.get(writer.type, set()):
                return []
            return [
                Incompatibility(
                    "TYPE_MISMATCH",
                    path,
                    f"reader type {reader.describe()} is not compatible with "
                    f"writer type {writer.describe()}",
                )
            ]
        if reader.type in ("array", "map"):
            assert reader.items is not None and writer.items is not None
            sub = "items" if reader.type == "array" else "values"
            return self.check(reader.items, writer.items, f"{path}/{sub}")
        if reader.type in ("record", "enum", "fixed"):
            return self._named(reader, writer, path)
        return []

    def _readable(self, reader: Node, writer: Node, path: str) -> bool:
        return not self.check(reader, writer, path)

    def _named(self, reader: Node, writer: Node, path: str) -> list[Incompatibility]:
        if reader.short_name != writer.short_name and writer.name not in reader.aliases:
            return [
                Incompatibility(
                    "NAME_MISMATCH",
                    f"{path}/name",
                    f"expected {writer.name} (the writer's name), found {reader.name}",
                )
            ]
        if reader.type == "fixed":
            if reader.size != writer.size:
                return [
                    Incompatibility(
                        "FIXED_SIZE_MISMATCH",
                        f"{path}/size",
                        f"expected size {writer.size}, found {reader.size}",
                    )
                ]
            return []
        if reader.type == "enum":
            missing = [s for s in writer.symbols if s not in reader.symbols]
            if missing and reader.enum_default is None:
                return [
                    Incompatibility(
                        "MISSING_ENUM_SYMBOLS",
                        f"{path}/symbols",
                        f"the reader's enum {reader.name} lacks writer symbols {missing}",
                    )
                ]
            return []
        pair = (id(reader), id(writer))
        if pair in self._assumed:  # recursive record: assume compatible while checking it
            return []
        self._assumed.add(pair)
        try:
            return self._record(reader, writer, path)
        finally:
            self._assumed.discard(pair)

    def _record(self, reader: Node, writer: Node, path: str) -> list[Incompatibility]:
        by_name = {f.name: f for f in writer.fields}
        found: list[Incompatibility] = []
        for index, reader_field in enumerate(reader.fields):
            field_path = f"{path}/fields/{index}"
            writer_field = by_name.get(reader_field.name)
            if writer_field is None:
                writer_field = next(
                    (by_name[a] for a in sorted(reader_field.aliases) if a in by_name), None
                )
            if writer_field is None:
                if not reader_field.has_default:
                    found.append(
                        Incompatibility(
                            "READER_FIELD_MISSING_DEFAULT_VALUE",
                            field_path,
                            f"field {reader_field.name!r} has no default value and is missing "
                            "from the writer's schema",
                        )
                    )
                continue
            found.extend(self.check(reader_field.type, writer_field.type, f"{field_path}/type"))
        return found


def reader_incompatibilities(reader: Any, writer: Any) -> list[Incompatibility]:
    """What stops `reader` from reading data written with `writer` (empty when it can)."""
    reader_node = reader if isinstance(reader, Node) else parse_schema(reader)
    writer_node = writer if isinstance(writer, Node) else parse_schema(writer)
    return _Checker().check(reader_node, writer_node, "")


def _messages(found: list[Incompatibility], reader_is_new: bool) -> list[str]:
    reader, writer = ("new", "old") if reader_is_new else ("old", "new")
    return [
        f"{{errorType:'{i.kind}', description:'The {reader} schema (reading) at path "
        f"'{i.path or '/'}' cannot read data written with the {writer} schema: {i.detail}'}}"
        for i in found
    ]


@dataclass(frozen=True)
class EarlierVersion:
    version: int
    schema: str


def check(new_schema: str, earlier: list[EarlierVersion], level: str) -> list[str]:
    """Messages (empty when compatible) for registering `new_schema` after `earlier`.

    `earlier` is in version order; the non-transitive levels look at its last entry only.
    """
    level = level.upper()
    if level not in LEVELS:
        raise ValueError(f"unknown compatibility level {level!r}")
    if level == "NONE" or not earlier:
        return []
    against = earlier if level.endswith("_TRANSITIVE") else earlier[-1:]
    backward = level.startswith(("BACKWARD", "FULL"))
    forward = level.startswith(("FORWARD", "FULL"))
    new_node = parse_schema(new_schema)
    messages: list[str] = []
    for old in reversed(against):
        old_node = parse_schema(old.schema)
        found: list[str] = []
        if backward:
            found += _messages(reader_incompatibilities(new_node, old_node), reader_is_new=True)
        if forward:
            found += _messages(reader_incompatibilities(old_node, new_node), reader_is_new=False)
        if found:
            messages += found
            messages.append(f"{{oldSchemaVersion: {old.version}}}")
            messages.append(f"{{oldSchema: '{old.schema}'}}")
    if messages:
        messages.append(f"{{compatibility: '{level}'}}")
    return messages
