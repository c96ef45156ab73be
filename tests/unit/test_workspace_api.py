"""The workspace's API over a fake engine session: cells run in order, a SELECT's changelog
streams and stops, errors name the line in the cell, workspaces round-trip as `.sql` files,
bad requests are answered 400/404 with what was wrong, and under --secure a request without
an API key is 401."""

from __future__ import annotations

import base64
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from werkzeug.test import Client

from emulator import config
from emulator.catalog import Catalog, Connection, Model, ModelVersion
from emulator.config import Settings
from emulator.dialect.splitter import Statement
from emulator.kafka import security
from emulator.ports import free_ports
from emulator.profiles import read_properties
from emulator.sql.errors import StatementError
from emulator.sql.query import ResultTable, SelectLimits
from emulator.sql.result import QueryEnd, StatementResult
from emulator.workspace.__main__ import wsgi_app
from emulator.workspace.app import create_app
from emulator.workspace.files import cells_of, file_text
from emulator.workspace.runs import Runner


class FakeSession:
    """The engine's `execute` for three statements: SHOW TABLES, a SELECT that streams until
    stopped, and anything starting with SELEC (a parse error)."""

    def __init__(self) -> None:
        self.context = SimpleNamespace(next_name=None, say=print)
        self.select_limits = SelectLimits()
        self.executed: list[str] = []

    def execute(self, statement: Statement, source: str, index: int) -> StatementResult:
        name = self.context.next_name or "generated"
        self.context.next_name = None
        self.executed.append(statement.text)
        where = f"{source}:{statement.line}:{statement.column}: statement {index}"
        if statement.text.startswith("SELEC "):
            raise StatementError(f"{where}: {statement.text}\n  Flink: SQL parse failed")
        if statement.text.startswith("SELECT"):
            return self._select(name)
        return StatementResult("SHOW", "", columns=["Table Name"], rows=[("clicks",)], name=name)

    def _select(self, name: str) -> StatementResult:
        limits = self.select_limits
        table = ResultTable(["k", "n"])
        for kind, row in (("+I", ("a", 1)), ("-U", ("a", 1)), ("+U", ("a", 2))):
            table.apply(kind, row)
            limits.on_row(table, kind, row)
        assert limits.stop is not None and limits.stop.wait(10), "never stopped"
        end = QueryEnd(3, True, "stopped", "stopped on request")
        return StatementResult("SELECT", "SELECT: 1 row", None, ["k", "n"], table.rows, name, end)

    def resume(self, name: str) -> Any:
        return SimpleNamespace(status="RUNNING", detail=f"Resumed {name}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path, jars_dir=tmp_path / "jars", ports=free_ports())


@pytest.fixture
def session() -> FakeSession:
    return FakeSession()


@pytest.fixture
def client(settings: Settings, session: FakeSession) -> Any:
    return create_app(settings, Runner(lambda say: session)).test_client()


def finished(client: Any, run_id: int, until: set[str] | None = None) -> dict[str, Any]:
    """The run once its status is in `until` (a finished one by default)."""
    until = until or {"COMPLETED", "FAILED", "STOPPED"}
    for _ in range(200):
        run = client.get(f"/api/runs/{run_id}").get_json()
        if run["status"] in until:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} still {run['status']}")


def test_a_cell_runs_and_returns_its_rows_under_its_statement_name(client: Any) -> None:
    answer = client.post("/api/runs", json={"sql": "SHOW TABLES;"})
    assert answer.status_code == 202
    run = finished(client, answer.get_json()["id"])
    assert run["status"] == "COMPLETED" and run["error"] is None
    [output] = run["outputs"]
    assert output["columns"] == ["Table Name"] and output["rows"] == [["clicks"]]
    assert output["name"].startswith("cli-")  # named before it ran, as Confluent names it


def test_a_select_streams_its_changelog_until_stopped(client: Any) -> None:
    run_id = client.post("/api/runs", json={"sql": "SELECT k, n FROM clicks;"}).get_json()["id"]
    for _ in range(200):
        run = client.get(f"/api/runs/{run_id}").get_json()
        if run["outputs"] and run["outputs"][0]["changes_total"] == 3:
            break
        time.sleep(0.05)
    assert run["status"] == "RUNNING"
    output = run["outputs"][0]
    assert output["changes"] == [["+I", "a", "1"], ["-U", "a", "1"], ["+U", "a", "2"]]
    assert output["rows"] == [["a", "2"]]
    assert client.post(f"/api/runs/{run_id}/stop").status_code == 200
    run = finished(client, run_id)
    assert run["status"] == "STOPPED"
    assert run["outputs"][0]["message"] == "SELECT: 1 row"


def test_an_error_names_its_line_in_the_cell_and_stops_the_cell(
    client: Any, session: FakeSession
) -> None:
    cell = "SHOW TABLES;\n-- then a typo\nSELEC 1;\nSHOW TABLES;"
    run = finished(client, client.post("/api/runs", json={"sql": cell}).get_json()["id"])
    assert run["status"] == "FAILED"
    assert (run["error"]["line"], run["error"]["column"]) == (3, 1)
    assert "cell:3:1: statement 2" in run["error"]["message"]
    assert session.executed == ["SHOW TABLES", "SELEC 1"]  # the fourth line never ran


def test_runs_queue_behind_a_running_select(client: Any) -> None:
    select = client.post("/api/runs", json={"sql": "SELECT k, n FROM clicks;"}).get_json()
    show = client.post("/api/runs", json={"sql": "SHOW TABLES;"}).get_json()
    finished(client, select["id"], {"RUNNING"})
    assert client.get(f"/api/runs/{show['id']}").get_json()["status"] == "QUEUED"
    client.post(f"/api/runs/{select['id']}/stop")
    assert finished(client, show["id"])["status"] == "COMPLETED"


def test_resume_runs_through_the_session(client: Any) -> None:
    answer = client.post("/api/statements/cli-1/resume")
    run = finished(client, answer.get_json()["id"])
    assert run["outputs"][0]["message"] == "Resumed cli-1"


def test_a_workspace_is_saved_as_a_sql_file_and_opened_again(
    client: Any, settings: Settings
) -> None:
    cells = ["-- the clicks\nCREATE TABLE clicks (k STRING);", "SELECT * FROM clicks"]
    assert client.put("/api/workspaces/demo", json={"cells": cells}).status_code == 200
    text = (settings.state_dir / "workspaces" / "demo.sql").read_text()
    assert text == "-- the clicks\nCREATE TABLE clicks (k STRING);\n\nSELECT * FROM clicks;\n"
    assert client.get("/api/workspaces").get_json() == {"workspaces": ["demo"]}
    assert client.get("/api/workspaces/demo").get_json()["cells"] == [cells[0], cells[1] + ";"]
    download = client.get("/api/workspaces/demo/file")
    assert download.data.decode() == text
    assert 'filename="demo.sql"' in download.headers["Content-Disposition"]


def test_the_seed_files_open_one_statement_per_cell_and_save_unchanged() -> None:
    for path in sorted(Path(config.PROJECT_ROOT, "pyflink_jobs", "sql").glob("*.sql")):
        cells = cells_of(path.read_text())
        assert cells_of(file_text(cells)) == cells, path
    cells = cells_of(Path(config.PROJECT_ROOT, "pyflink_jobs/sql/02_join.sql").read_text())
    assert cells[0].split("\n")[-1] == "SET 'sql.tables.scan.idle-timeout' = '0';"
    assert cells[1].startswith("CREATE TABLE transactions_enriched AS")


def test_an_opened_file_is_cut_into_cells(client: Any) -> None:
    answer = client.post("/api/cells", data="SHOW TABLES; -- all\n\n-- one\nSELECT 1;")
    assert answer.get_json() == {"cells": ["SHOW TABLES; -- all", "-- one\nSELECT 1;"]}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "says"),
    [
        ("PUT", "/api/workspaces/../etc", {"cells": []}, 404, "PUT /api/workspaces"),
        ("PUT", "/api/workspaces/bad name", {"cells": []}, 400, "workspace name 'bad name'"),
        ("PUT", "/api/workspaces/ok", {"cells": "SELECT 1"}, 400, '"cells" must be a list'),
        ("PUT", "/api/workspaces/ok", None, 400, "must be a JSON object"),
        ("GET", "/api/workspaces/missing", None, 404, "workspace 'missing' does not exist"),
        ("POST", "/api/runs", {"sql": "  "}, 400, '"sql" must be'),
        ("GET", "/api/runs/99", None, 404, "run 99 does not exist"),
        ("GET", "/api/topics/t/messages?count=x", None, 400, "count='x'"),
    ],
)
def test_bad_requests_say_what_was_wrong(
    client: Any, method: str, path: str, body: Any, status: int, says: str
) -> None:
    answer = client.open(path, method=method, json=body)
    assert answer.status_code == status
    assert says in answer.get_json()["error"]


def test_statements_missing_from_the_catalog_are_404(client: Any) -> None:
    answer = client.delete("/api/statements/nope")
    assert answer.status_code == 404
    assert "statement 'nope' does not exist" in answer.get_json()["error"]


def test_models_and_connections_show_secrets_masked(client: Any, settings: Settings) -> None:
    catalog = Catalog.for_state(settings.state_dir)
    options = {"azureml.api_key": "secret-key-12345678", "provider": "azureml"}
    catalog.models["m"] = Model("m", [ModelVersion("m", 1, [], [], options)])
    catalog.connections["c"] = Connection("c", "azureml", "http://e", "another-secret-9876")
    catalog.save()
    models = client.get("/api/models").get_json()["models"]
    assert models[0]["versions"][0]["options"]["azureml.api_key"] == "*****5678"
    connections = client.get("/api/connections").get_json()["connections"]
    assert connections[0]["api_key"] == "*****9876"
    assert "secret" not in str(models) + str(connections)


def test_under_secure_a_request_without_an_api_key_is_401(settings: Settings) -> None:
    secure = replace(settings, secure=True)
    security.ensure_stack_keys(secure)
    secure = config.with_stack_key(secure)
    app = Client(wsgi_app(secure))
    assert app.get("/api/health").status_code == 401
    assert app.get("/").status_code == 401
    admin = read_properties(secure.client_properties_file, {})
    token = base64.b64encode(f"{admin['sasl.username']}:{admin['sasl.password']}".encode())
    answer = app.get("/api/health", headers={"Authorization": f"Basic {token.decode()}"})
    assert answer.status_code == 200


def test_the_page_and_its_script_are_served(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200 and b"/static/workspace.js" in page.data
    assert client.get("/static/workspace.js").status_code == 200


def test_health_names_the_runner_so_a_reloaded_page_follows_only_its_runs(
    settings: Settings, session: FakeSession
) -> None:
    first, second = Runner(lambda say: session), Runner(lambda say: session)
    answer = create_app(settings, first).test_client().get("/api/health").get_json()
    assert answer == {"status": "ok", "runner": first.id}
    assert first.id != second.id  # a restarted server's run 1 is another run
