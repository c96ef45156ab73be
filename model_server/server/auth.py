"""The Bearer key check, which Azure's endpoint front end does before the container sees a call."""

from __future__ import annotations

import hmac

from flask import Response

from model_server.server.responses import error_response

UNAUTHORIZED = "Missing or invalid API key."


def accepted_keys(api_keys: list[str]) -> list[str]:
    """The non-empty keys; an endpoint without any would let every caller in."""
    keys = [key for key in api_keys if key]
    if not keys:
        raise ValueError("at least one API key is required")
    return keys


def is_authorized(header: str | None, keys: list[str]) -> bool:
    """Constant-time match of `Bearer <key>` against every accepted key."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    matches = [hmac.compare_digest(token.encode(), key.encode()) for key in keys]
    return any(matches)


def unauthorized() -> Response:
    """401 with the challenge a client needs to know a Bearer key is wanted."""
    return error_response(401, UNAUTHORIZED, {"WWW-Authenticate": "Bearer"})
