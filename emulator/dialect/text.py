"""Small, quote-aware text helpers the dialect parsers share."""

from __future__ import annotations

import re
from collections.abc import Iterator

from common.errors import CcflinkError


class DialectError(CcflinkError):
    """SQL the emulator cannot run; the message names the statement's position and the fix."""


def scan(text: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """Yield (index, char, paren depth) for characters outside quotes, backticks and comments.

    A doubled quote or backtick inside a literal or identifier (`'it''s'`) closes and opens it
    again, so it needs no case of its own; `--` comments end at the line's end, `/* */` ones at
    their `*/`.
    """
    depth = 0
    quote: str | None = None
    index = start
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == quote:
                quote = None
            index += 1
            continue
        if char in "'`\"":
            quote = char
            index += 1
            continue
        if text.startswith("--", index):
            newline = text.find("\n", index)
            index = len(text) if newline == -1 else newline
            continue
        if text.startswith("/*", index):
            close = text.find("*/", index + 2)
            index = len(text) if close == -1 else close + 2
            continue
        if char == "(":
            depth += 1
        yield index, char, depth
        if char == ")":
            depth -= 1
        index += 1


def matching_paren(text: str, open_index: int) -> int:
    """Index of the `)` closing the `(` at `open_index`."""
    base = None
    for index, char, depth in scan(text, open_index):
        if base is None:
            base = depth
        if char == ")" and depth == base:
            return index
    raise DialectError(f"unbalanced parenthesis opened at offset {open_index}")


# `<` opens a type's parameters only after these (`MAP<STRING, BYTES>`); elsewhere it compares.
_ANGLE_TYPE = re.compile(r"(?i)\b(?:MAP|ROW|ARRAY|MULTISET)\s*$")


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split on `separator` where it is not nested in parentheses, brackets, type parameters
    (`MAP<K, V>`, `ROW<...>`) or quotes."""
    parts: list[str] = []
    last = 0
    brackets = 0
    angles = 0
    for index, char, depth in scan(text):
        if char == "[":
            brackets += 1
        elif char == "]":
            brackets -= 1
        elif char == "<" and _ANGLE_TYPE.search(text, 0, index):
            angles += 1
        elif char == ">" and angles:
            angles -= 1
        elif char == separator and depth == 0 and brackets == 0 and angles == 0:
            parts.append(text[last:index].strip())
            last = index + 1
    tail = text[last:].strip()
    if tail:
        parts.append(tail)
    return parts


def unquote(identifier: str) -> str:
    """The name a quoted identifier stands for: quotes off, a doubled quote inside made one."""
    identifier = identifier.strip()
    if len(identifier) >= 2 and identifier[0] == identifier[-1] and identifier[0] in '`"':
        quote = identifier[0]
        return identifier[1:-1].replace(quote * 2, quote)
    return identifier


def string_literal(text: str) -> str:
    text = text.strip()
    if len(text) < 2 or text[0] != "'" or text[-1] != "'":
        raise DialectError(f"expected a quoted string, got {text!r}")
    return text[1:-1].replace("''", "'")


def parse_options(body: str) -> dict[str, str]:
    """The inside of `WITH ( 'k' = 'v', ... )`."""
    options: dict[str, str] = {}
    for part in split_top_level(body):
        key, sep, value = part.partition("=")
        if not sep:
            raise DialectError(f"option {part!r} is not of the form 'key' = 'value'")
        options[string_literal(key)] = string_literal(value)
    return options


def quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
