"""The seed's pipeline run cell by cell in the workspace, as the README tells a user: on a
fresh stack, open `pyflink_jobs/sql/01_source_tables.sql` to `05_predictions.sql` in turn in
the browser and Run all; replay data and create the model's connection with the CLI where the
README says; a SELECT cell on `fraud_predictions` then fills with the model's predictions.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from emulator import stack
from emulator.config import PROJECT_ROOT, Settings
from emulator.demo.model import ensure_model
from emulator.demo.pipeline import sql_files
from tests.integration import container_stack
from tests.integration.browser import screenshot, workspace_page
from tests.integration.conftest import new_settings

pytestmark = pytest.mark.integration

ROWS = 400
RUN_ALL_MS = 180_000  # five CTAS statements each plan and submit a job
PREDICTIONS_MS = 180_000  # the three jobs start, then the join lets rows through


@pytest.fixture(scope="module")
def fresh_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A stack of its own: the seed's tables must not exist yet, as on a user's first run."""
    if container_stack.wanted():
        pytest.skip("runs on a local stack of its own (the seed's tables must not exist)")
    settings = new_settings(tmp_path_factory, "seed-state")
    try:
        stack.up(settings, say=lambda message: None, prepare_model=ensure_model)
        yield settings
    finally:
        stack.down(settings)


def ccflink(settings: Settings, *arguments: str, **env: str) -> None:
    """A CLI command on that stack, as a user types it in a terminal."""
    finished = subprocess.run(
        [str(Path(sys.executable).with_name("ccflink")), *arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, "CCFLINK_HOME": str(settings.state_dir), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr


def run_file(page: Page, path: Path) -> None:
    """Open a .sql file as cells and Run all; every cell must complete."""
    page.set_input_files("#open-file", str(path))
    expect(page.locator("#message")).to_contain_text(f"Opened {path.name}")
    page.click("#run-all")
    message = page.locator("#message")
    expect(message).to_contain_text("Run all", timeout=RUN_ALL_MS)  # said when it ends
    errors = page.locator(".cell pre.error:visible").all_inner_texts()
    assert message.inner_text() == "Run all: every cell completed", errors


def test_the_seed_files_run_cell_by_cell_to_predictions(
    fresh_stack: Settings, tmp_path: Path
) -> None:
    files = sql_files()
    assert [path.name for path in files] == [
        "01_source_tables.sql",
        "02_join.sql",
        "03_features.sql",
        "04_model.sql",
        "05_predictions.sql",
    ]
    with workspace_page(fresh_stack.workspace_url) as page:
        run_file(page, files[0])
        data = tmp_path / "data"
        ccflink(fresh_stack, "data", "generate", "--rows", str(ROWS), "--out", str(data))
        ccflink(fresh_stack, "produce", "--data", str(data))
        for path in files[1:3]:
            run_file(page, path)
        ccflink(
            fresh_stack,
            *("flink", "connection", "create", "fraud-detection-endpoint"),
            *("--cloud", "local", "--region", "local", "--type", "azureml"),
            *("--endpoint", f"{fresh_stack.model_server_url}/score", "--api-key"),
            CCFLINK_CONNECTION_API_KEY=fresh_stack.model_api_key(),
        )
        for path in files[3:]:
            run_file(page, path)
        page.click("#add-cell")
        select = page.locator(".cell").last
        select.locator("textarea").fill(
            "SELECT TransactionID, predicted_fraud, fraud_probability FROM fraud_predictions;"
        )
        select.locator("button.run").click()
        rows = select.locator(".result tbody tr")
        expect(rows.nth(19)).to_be_visible(timeout=PREDICTIONS_MS)
        first = rows.first.locator("td")
        expect(first.nth(0)).to_have_text("+I")
        select.scroll_into_view_if_needed()
        screenshot(page, tmp_path, "workspace-seed-predictions")
        values = [cell.inner_text() for cell in first.all()]
        assert values[2] in {"0", "1"}, values  # predicted_fraud
        assert 0.0 <= float(values[3]) <= 1.0, values  # fraud_probability
        select.locator("button.stop").click()
        expect(select.locator(".cell-status")).to_have_text("STOPPED", timeout=30_000)
        # The model's endpoint calls, from the scoring statement's Flink metrics.
        page.click("#tabs button[data-panel=models]")
        calls = page.locator("#panel-models .calls")
        expect(calls).to_contain_text(re.compile(r"requests [1-9][\d,]*"), timeout=30_000)
        expect(calls).to_contain_text("mean round trip")
