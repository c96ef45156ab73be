"""How a `/score` request becomes `run()`'s `raw_data`, as azmlinfsrv does for undecorated run().

A POST hands over its body decoded as UTF-8; a GET hands over its query parameters as a JSON
object (each value parsed as JSON where it is JSON, repeated names as lists).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from common.errors import CcflinkError

NOT_UTF8 = "Input cannot be decoded as UTF-8"
# Flask consumes such a body as the form, so azmlinfsrv's `request.data` is empty for them.
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class BadInput(CcflinkError):
    """The request's input cannot be handed to run(); the caller gets 400 and this message."""


@dataclass(frozen=True)
class ScoreRequest:
    """What `/score` got, detached from Flask's request context (so a worker thread can run it)."""

    method: str
    body: bytes
    args: dict[str, list[str]]
    headers: dict[str, str]
    request_id: str


def detach(request: Request, request_id: str) -> ScoreRequest:
    """Copy what run() may see out of the Flask request; never the Authorization header."""
    return ScoreRequest(
        method=request.method,
        body=b"" if request.mimetype in FORM_TYPES else _body(request),
        args={name: request.args.getlist(name) for name in request.args},
        # run(request_headers=...) never sees the key (scripts may log their headers).
        headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
        request_id=request_id,
    )


def _body(request: Request) -> bytes:
    """The request's body; 413 when a chunked one (no Content-Length) goes past the limit.

    Werkzeug stops reading a chunked body at `max_content_length` and hands over what it read
    as if that were all of it, so run() would get a cut-off body; one byte more from the
    server's own stream says whether there was more.
    """
    body = request.get_data()
    limit = request.max_content_length
    if (
        request.content_length is None
        and limit is not None
        and len(body) >= limit
        and request.environ["wsgi.input"].read(1)
    ):
        raise RequestEntityTooLarge()
    return body


def json_or_text(value: str) -> Any:
    """The JSON value `value` holds, or `value` itself when it is not JSON."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def raw_data(req: ScoreRequest) -> str:
    """The string run() is called with; BadInput when a POST body is not UTF-8."""
    if req.method == "GET":
        parsed = {
            name: json_or_text(values[0]) if len(values) == 1 else list(map(json_or_text, values))
            for name, values in req.args.items()
        }
        return json.dumps(parsed)
    try:
        return req.body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(f"{NOT_UTF8}: {error}") from None
