"""Secrets written in SQL (API keys in CREATE MODEL and CREATE CONNECTION options), masked
wherever a statement is shown, stored or echoed.

Confluent never shows such a key back: SHOW CREATE MODEL, DESCRIBE CONNECTION and the
statement list show it redacted. The key itself lives only in the connection or model
version that uses it (the catalog).
"""

from __future__ import annotations

import re
from itertools import pairwise

# An option whose value is a credential: `api-key`, `azureml.api_key`, `openai.api_key`,
# `bedrock.aws_secret_access_key`, `vertexai.service_key`, `sasl.jaas.config`, `password`,
# tokens, a registry's `basic.auth.user.info` (KEY:SECRET). `key.format` is not one.
_SECRET_OPTION = re.compile(
    r"api[-_.]?key|secret|password|token|credential|service[-_.]?key|jaas|user[-_.]?info",
    re.IGNORECASE,
)
# String literals (an unterminated one runs to the end), and what may hide a quote: comments,
# quoted identifiers.
_TOKEN = re.compile(
    r"'(?:[^']|'')*(?:'|$)|--[^\n]*|/\*.*?(?:\*/|$)|`(?:[^`]|``)*`|\"(?:[^\"]|\"\")*\"",
    re.DOTALL,
)


def mask(secret: str) -> str:
    """Confluent shows secrets redacted; keep the last 4 characters to tell keys apart."""
    return "*****" + secret[-4:] if len(secret) > 8 else "*****"


def is_secret(option: str) -> bool:
    """Whether a WITH option's value is a credential, by the option's name."""
    return _SECRET_OPTION.search(option) is not None


def mask_options(options: dict[str, str]) -> dict[str, str]:
    """The options with every credential's value masked."""
    return {key: mask(value) if is_secret(key) else value for key, value in options.items()}


def mask_secrets(text: str) -> str:
    """SQL (or a message quoting it) with the value of every `'<secret option>' = '...'`
    masked; the rest of the text as it was. Masking twice changes nothing."""
    literals = [m for m in _TOKEN.finditer(text) if m.group().startswith("'")]
    masked: list[str] = []
    last = 0
    for key, value in pairwise(literals):
        if text[key.end() : value.start()].strip() != "=" or not is_secret(_unquote(key.group())):
            continue
        masked += [text[last : value.start()], "'" + mask(_unquote(value.group())) + "'"]
        last = value.end()
    return "".join(masked) + text[last:]


def _unquote(literal: str) -> str:
    """A literal's value; an unterminated one is taken to the end."""
    body = literal[1:-1] if len(literal) > 1 and literal.endswith("'") else literal[1:]
    return body.replace("''", "'")
