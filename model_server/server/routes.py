"""The routes azmlinfsrv serves, on a blueprint: `GET /`, `GET /swagger.json` and `/score`.

On a blueprint, as in azmlinfsrv, the request-id hooks run only for these routes: a 404 or 405
gets neither ids nor a 431.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, request

from model_server.server.auth import is_authorized, unauthorized
from model_server.server.input_parsers import ScoreRequest, detach
from model_server.server.request_ids import (
    assign_request_ids,
    current_request_id,
    echo_request_ids,
)
from model_server.server.responses import RUN_FUNCTION_FAILED, error_response, json_response
from model_server.server.swagger import UnknownSwaggerVersion, swagger_document
from model_server.server.user_script import UserScript

DEFAULT_SWAGGER_VERSION = "2"


def blueprint(
    script: UserScript, score: Callable[[ScoreRequest], Response], keys: list[str]
) -> Blueprint:
    """The routes for one hosted script; `score` answers an authorised `/score` call."""
    routes = Blueprint("main", __name__)
    routes.before_request(assign_request_ids)
    routes.after_request(echo_request_ids)

    @routes.get("/")
    def health() -> Response:
        return Response("Healthy", 200, mimetype="text/html")

    @routes.get("/swagger.json")
    def swagger() -> Response:
        version = request.args.get("version", DEFAULT_SWAGGER_VERSION)
        try:
            document = swagger_document(version, script.input_sample, script.output_sample)
        except UnknownSwaggerVersion as error:
            return error_response(404, str(error))
        return json_response(document, 200)

    @routes.route("/score", methods=["GET", "POST", "OPTIONS"], provide_automatic_options=False)
    def score_route() -> Response:
        if request.method == "OPTIONS":
            # azmlinfsrv answers a preflight 200 (CORS headers only when it is configured).
            response = Response("", 200)
            response.headers[RUN_FUNCTION_FAILED] = "False"
            return response
        if not is_authorized(request.headers.get("Authorization"), keys):
            return unauthorized()
        return score(detach(request, current_request_id()))

    return routes
