"""The workspace's HTTP API and its page (Flask): cells run, workspaces kept as `.sql` files,
the catalog, statements and topics for the side panels, the pipeline at a glance (`ccflink
top`'s snapshots), `evaluate` and `compare` for their pictures.

Errors answer JSON `{"error": message}` with the status the failure calls for: 400 for what
the request got wrong, 404 for what does not exist, 409 for a statement whose status does not
allow the action, 503 when a service of the stack does not answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request, send_from_directory
from werkzeug.exceptions import HTTPException

from common.errors import CcflinkError
from emulator import demo
from emulator.catalog import CatalogError
from emulator.config import Settings
from emulator.process import ServiceError
from emulator.results.diff import DEFAULT_MIN_AGREEMENT
from emulator.results.files import FORMATS
from emulator.sql.statements import StatementStateError
from emulator.topic_reader import TopicNotFound
from emulator.watching import watched_of
from emulator.workspace import quality, views
from emulator.workspace.files import NoSuchWorkspace, Workspaces, cells_of, checked_name, file_text
from emulator.workspace.live import LiveView
from emulator.workspace.runs import Runner

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 2 * 2**20  # a workspace file or a cell; the seed's largest is 12 KB
MAX_EXPORT_BYTES = 256 * 2**20  # an uploaded cloud export (the demo's 10,000 rows: ~3 MB)
# How long a topic is read after its last record, for evaluate and compare (seconds).
IDLE_SECONDS, MAX_IDLE_SECONDS = 2.0, 60.0


def _status(error: CcflinkError) -> int:
    if isinstance(error, CatalogError | NoSuchWorkspace | TopicNotFound):
        return 404
    if isinstance(error, StatementStateError):
        return 409
    if isinstance(error, ServiceError):
        return 503
    return 400


def _problem(message: str, status: int) -> tuple[Response, int]:
    return jsonify(error=message), status


def _json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    return body


def _cells(body: dict[str, Any]) -> list[str]:
    cells = body.get("cells")
    if not isinstance(cells, list) or not all(isinstance(c, str) for c in cells):
        raise ValueError('"cells" must be a list of strings (the SQL of each cell)')
    return cells


def _field(fields: Any, name: str, default: str | None = None) -> str:
    """A text field of a JSON body or a form: given, or its default, never empty."""
    value = fields.get(name, default)
    if value is None:
        raise ValueError(f'"{name}" is missing')
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'"{name}" must be a name, not {value!r}')
    return value.strip()


def _number(fields: Any, name: str, default: float, low: float, high: float) -> float:
    """A number field of a JSON body or a form, within [low, high]."""
    value = fields.get(name, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not low <= number <= high:
        raise ValueError(f'"{name}" must be a number from {low:g} to {high:g}, not {value!r}')
    return number


def create_app(settings: Settings, runner: Runner, live: LiveView | None = None) -> Flask:
    """The app over one stack's settings; `runner` runs the cells (one engine session), `live`
    samples the pipeline (one sampler in this process)."""
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    workspaces = Workspaces(settings.state_dir / "workspaces")
    live = live or LiveView(settings)

    @app.errorhandler(CcflinkError)
    def ccflink_error(error: CcflinkError) -> tuple[Response, int]:
        return _problem(str(error), _status(error))

    @app.errorhandler(ValueError)
    def bad_request(error: ValueError) -> tuple[Response, int]:
        return _problem(str(error), 400)

    @app.errorhandler(OSError)
    def unreachable(error: OSError) -> tuple[Response, int]:
        return _problem(f"a service of the stack does not answer: {error}", 503)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        return _problem(f"{request.method} {request.path}: {error.description}", error.code or 500)

    @app.get("/")
    def page() -> Response:
        return send_from_directory(STATIC, "index.html")

    @app.get("/static/<path:name>")
    def static_file(name: str) -> Response:
        return send_from_directory(STATIC, name)

    @app.get("/api/health")
    def health() -> Response:
        return jsonify(status="ok", runner=runner.id)

    # --- workspaces ---------------------------------------------------------------------------

    @app.get("/api/workspaces")
    def workspace_names() -> Response:
        return jsonify(workspaces=workspaces.names())

    @app.get("/api/workspaces/<name>")
    def workspace(name: str) -> Response:
        return jsonify(name=name, cells=workspaces.cells(name))

    @app.put("/api/workspaces/<name>")
    def save_workspace(name: str) -> Response:
        workspaces.save(name, _cells(_json_object()))
        return jsonify(name=name, saved=True)

    @app.get("/api/workspaces/<name>/file")
    def download(name: str) -> Response:
        return Response(
            workspaces.text(name),
            mimetype="application/sql",
            headers={"Content-Disposition": f'attachment; filename="{checked_name(name)}.sql"'},
        )

    @app.post("/api/cells")
    def split_file() -> Response:
        """An opened `.sql` file (the request body) cut into cells."""
        return jsonify(cells=cells_of(request.get_data(as_text=True)))

    @app.post("/api/file")
    def join_cells() -> Response:
        """The cells as one `.sql` file, to save where the user picks."""
        return Response(file_text(_cells(_json_object())), mimetype="application/sql")

    # --- runs ---------------------------------------------------------------------------------

    @app.post("/api/runs")
    def run_cell() -> tuple[Response, int]:
        sql = _json_object().get("sql")
        if not isinstance(sql, str) or not sql.strip():
            raise ValueError('"sql" must be the cell\'s SQL, not empty')
        run = runner.submit(sql)
        return jsonify(runner.snapshot(run)), 202

    def _run(run_id: int) -> Any:
        run = runner.get(run_id)
        if run is None:
            raise NoSuchWorkspace(
                f"run {run_id} does not exist (runs last as long as the workspace server)"
            )
        return run

    @app.get("/api/runs/<int:run_id>")
    def run_state(run_id: int) -> Response:
        return jsonify(runner.snapshot(_run(run_id)))

    @app.post("/api/runs/<int:run_id>/stop")
    def stop_run(run_id: int) -> Response:
        run = _run(run_id)
        runner.stop(run)
        return jsonify(runner.snapshot(run))

    # --- side panels --------------------------------------------------------------------------

    @app.get("/api/tables")
    def tables() -> Response:
        return jsonify(tables=views.tables(settings))

    @app.get("/api/models")
    def models() -> Response:
        return jsonify(models=views.models(settings))

    @app.get("/api/connections")
    def connections() -> Response:
        return jsonify(connections=views.connections(settings))

    @app.get("/api/statements")
    def statement_list() -> Response:
        return jsonify(statements=views.statement_list(settings))

    @app.get("/api/statements/<name>")
    def statement(name: str) -> Response:
        return jsonify(views.statement_detail(settings, name))

    @app.post("/api/statements/<name>/stop")
    def stop_statement(name: str) -> Response:
        return jsonify(views.stop_statement(settings, name))

    @app.post("/api/statements/<name>/resume")
    def resume_statement(name: str) -> tuple[Response, int]:
        """Resuming submits the statement again: the engine session does it, as a run."""
        run = runner.submit_resume(name)
        return jsonify(runner.snapshot(run)), 202

    @app.delete("/api/statements/<name>")
    def delete_statement(name: str) -> Response:
        views.delete_statement(settings, name)
        return jsonify(name=name, deleted=True)

    @app.get("/api/topics/<topic>/messages")
    def messages(topic: str) -> Response:
        count = request.args.get("count", "20")
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"count={count!r}: give a number of records >= 1")
        return jsonify(topic=topic, messages=views.latest_messages(settings, topic, int(count)))

    # --- the pipeline at a glance, evaluate and compare ---------------------------------------

    @app.get("/api/pipeline")
    def pipeline() -> Response:
        """`ccflink top`'s latest snapshot: the demo's pipeline, or the topics named, as
        `top --topic T --predictions-topic P --flag-column C` names them."""
        args = request.args
        topics = args.getlist("topic")
        if not all(topic.strip() for topic in topics):
            raise ValueError('"topic" must name a topic, not be empty')
        predictions = args.get("predictions_topic")
        if predictions is not None:
            predictions = _field(args, "predictions_topic")
        flag_column = _field(args, "flag_column", demo.PREDICTION_COLUMN)
        return jsonify(live.sample(watched_of(topics, predictions, flag_column)))

    @app.post("/api/evaluate")
    def evaluate() -> Response:
        """`ccflink evaluate` on a topic: its metrics, and its scores per label."""
        body = _json_object()
        topic = _field(body, "topic", demo.PREDICTIONS_TOPIC)
        idle = _number(body, "idle_seconds", IDLE_SECONDS, 0.1, MAX_IDLE_SECONDS)
        rows = quality.read_topic(settings, topic, idle)
        return jsonify(
            topic=topic,
            **quality.evaluation(
                rows,
                label=_field(body, "label", demo.LABEL_COLUMN),
                prediction=_field(body, "prediction", demo.PREDICTION_COLUMN),
                probability=_field(body, "probability", demo.SCORE_COLUMN),
            ),
        )

    @app.post("/api/compare")
    def compare() -> Response:
        """`ccflink compare` of a topic (local) with an uploaded cloud export (a form with the
        file as "cloud"): the report, and both sides' scores."""
        request.max_content_length = MAX_EXPORT_BYTES
        form = request.form
        upload = request.files.get("cloud")
        if upload is None or not upload.filename:
            raise ValueError('"cloud" must be the cloud run\'s export file (a form upload)')
        key = _field(form, "key", demo.KEY_COLUMN)
        cloud_format = _field(form, "cloud_format", "auto")
        if cloud_format not in FORMATS:
            raise ValueError(f'"cloud_format" must be one of {", ".join(FORMATS)}')
        local_topic = _field(form, "local", demo.PREDICTIONS_TOPIC)
        field = form.get("field", "").strip() or None
        probability = _field(form, "probability", demo.SCORE_COLUMN)
        min_agreement = _number(form, "min_agreement", DEFAULT_MIN_AGREEMENT, 0.0, 1.0)
        idle = _number(form, "idle_seconds", IDLE_SECONDS, 0.1, MAX_IDLE_SECONDS)
        cloud = quality.read_upload(upload, cloud_format, key)
        local = quality.read_topic(settings, local_topic, idle)
        report = quality.comparison(
            local,
            cloud,
            key=key,
            field=field,
            probability=probability,
            min_agreement=min_agreement,
        )
        return jsonify(local_topic=local_topic, cloud_file=upload.filename, **report)

    return app
