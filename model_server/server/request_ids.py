"""azmlinfsrv's request ids: `x-request-id` echoed or made, the legacy and client ids beside it.

The ids are kept in `flask.g` for the request and copied onto whatever answer it gets; a header
longer than the limit is refused with 431 before the route runs.
"""

from __future__ import annotations

import uuid

from flask import Response, g, request

from model_server.server.config import MAX_REQUEST_ID_LENGTH
from model_server.server.responses import error_response

REQUEST_ID = "x-request-id"
LEGACY_REQUEST_ID = "x-ms-request-id"
CLIENT_REQUEST_ID = "x-ms-client-request-id"


def assign_request_ids() -> Response | None:
    """Pick this request's ids (a `before_request` hook); 431 if one is too long."""
    g.ids = {}
    request_id = request.headers.get(REQUEST_ID) or str(uuid.uuid4())
    if len(request_id) > MAX_REQUEST_ID_LENGTH:
        message = f"{REQUEST_ID} must not exceed {MAX_REQUEST_ID_LENGTH} characters"
        return error_response(431, message)
    legacy = request.headers.get(LEGACY_REQUEST_ID, "")
    client = request.headers.get(CLIENT_REQUEST_ID, "")
    if legacy:
        client = client or legacy
    else:
        legacy = client or request_id
    g.ids[REQUEST_ID] = request_id
    if len(legacy) > MAX_REQUEST_ID_LENGTH or len(client) > MAX_REQUEST_ID_LENGTH:
        message = (
            f"{LEGACY_REQUEST_ID} and {CLIENT_REQUEST_ID} must not exceed "
            f"{MAX_REQUEST_ID_LENGTH} characters"
        )
        return error_response(431, message)
    g.ids[LEGACY_REQUEST_ID] = legacy
    if client:
        g.ids[CLIENT_REQUEST_ID] = client
    return None


def echo_request_ids(response: Response) -> Response:
    """Put the ids picked so far on the answer (an `after_request` hook)."""
    for key, value in getattr(g, "ids", {}).items():
        response.headers[key] = value
    return response


def current_request_id() -> str:
    """The `x-request-id` of the request being handled, for logs and the scoring call."""
    return g.ids[REQUEST_ID]
