"""The workspace in a real browser (Debian's chromium, headless, driven by Playwright): open
it, run SHOW TABLES, watch a streaming SELECT's rows arrive and stop it, see a failed
statement's error at its line, reload and see the cells and their runs again, see the
statement list follow a statement's status, watch the pipeline's charts, evaluate a
predictions topic and compare it with a cloud export.

Screenshots are kept in the test's temporary folder and in `.ccflink/screenshots/`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from playwright.sync_api import Locator, Page, expect

from emulator.config import Settings
from tests.integration.browser import screenshot, workspace_page

pytestmark = pytest.mark.integration

TABLE = "ws_clicks"
STARTUP_MS = 90_000  # a SELECT's first row: its job starts on the cluster
QUICK_MS = 20_000


@pytest.fixture(scope="module")
def page(local_stack: Settings) -> Iterator[Page]:
    with workspace_page(local_stack.workspace_url) as tab:
        expect(tab.locator(".cell")).to_have_count(1)
        yield tab


def new_cell(page: Page, sql: str) -> Locator:
    """A cell added at the end with `sql` typed in."""
    page.click("#add-cell")
    cell = page.locator(".cell").last
    cell.locator("textarea").fill(sql)
    return cell


def run(cell: Locator, status: str, timeout: int = QUICK_MS) -> None:
    cell.locator("button.run").click()
    expect(cell.locator(".cell-status")).to_have_text(status, timeout=timeout)


def produce(settings: Settings, rows: list[tuple[str, int]], table: str = TABLE) -> None:
    """Rows into `table`'s topic, as its registered value schema encodes them."""
    registry = SchemaRegistryClient({"url": settings.schema_registry_url})
    schema = registry.get_latest_version(f"{table}-value").schema.schema_str
    values = AvroSerializer(registry, schema)
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    context = SerializationContext(table, MessageField.VALUE)
    fields = [field["name"] for field in json.loads(schema)["fields"]]
    for row in rows:
        producer.produce(table, value=values(dict(zip(fields, row, strict=True)), context))
    assert producer.flush(30) == 0


def test_show_tables_shows_the_table_a_cell_created(page: Page, tmp_path: Path) -> None:
    create = page.locator(".cell").first
    create.locator("textarea").fill(
        f"-- a table to stream\nCREATE TABLE {TABLE} (k STRING, n INT);"
    )
    run(create, "COMPLETED")
    expect(create.locator(".cell-name")).to_contain_text("cli-")
    show = new_cell(page, "SHOW TABLES;")
    run(show, "COMPLETED")
    expect(show.locator("th")).to_have_text(["Table Name"])
    expect(show.locator("td", has_text=TABLE)).to_have_count(1)
    screenshot(page, tmp_path, "show-tables")


def test_a_streaming_select_shows_rows_as_they_arrive_until_stopped(
    page: Page, local_stack: Settings, tmp_path: Path
) -> None:
    produce(local_stack, [("a", 1), ("b", 2)])
    select = new_cell(page, f"SELECT k, n FROM {TABLE};")
    select.locator("button.run").click()
    rows = select.locator(".result tbody tr")
    expect(rows).to_have_count(2, timeout=STARTUP_MS)
    expect(select.locator(".cell-status")).to_have_text("RUNNING")
    produce(local_stack, [("a", 3)])  # arrives while the query runs
    expect(rows).to_have_count(3, timeout=QUICK_MS)
    expect(select.locator("td.op")).to_have_text(["+I", "+I", "+I"])
    expect(rows.last.locator("td")).to_have_text(["+I", "a", "3"])
    screenshot(page, tmp_path, "workspace")
    select.locator("button.stop").click()
    expect(select.locator(".cell-status")).to_have_text("STOPPED", timeout=QUICK_MS)
    expect(select.locator(".summary")).to_contain_text("stopped on request")


def test_a_failed_statement_shows_its_error_at_its_line(page: Page, tmp_path: Path) -> None:
    bad = new_cell(page, "-- a typo on the second line\nSELEC k FROM ws_clicks;")
    run(bad, "FAILED")
    expect(bad.locator(".gutter .line.error")).to_have_text("2")
    expect(bad.locator("pre.error")).to_contain_text("line 2, column 1")
    expect(bad.locator("pre.error")).to_contain_text("SELEC")
    screenshot(page, tmp_path, "error")


def test_a_reload_shows_the_cells_and_their_runs_again(page: Page, tmp_path: Path) -> None:
    cells = page.locator(".cell")
    texts = [cell.locator("textarea").input_value() for cell in cells.all()]
    statuses = [cell.locator(".cell-status").inner_text() for cell in cells.all()]
    assert statuses[-3:] == ["COMPLETED", "STOPPED", "FAILED"]  # SHOW TABLES, SELECT, typo
    page.reload()
    expect(page.locator("#message")).to_have_text("Restored the cells and runs this page had")
    expect(cells).to_have_count(len(texts))
    for cell, text, status in zip(cells.all(), texts, statuses, strict=True):
        expect(cell.locator("textarea")).to_have_value(text)
        expect(cell.locator(".cell-status")).to_have_text(status, timeout=QUICK_MS)
    select, bad = cells.nth(len(texts) - 2), cells.last
    expect(select.locator(".result tbody tr")).to_have_count(3)
    expect(select.locator(".summary")).to_contain_text("stopped on request")
    expect(bad.locator(".gutter .line.error")).to_have_text("2")
    screenshot(page, tmp_path, "reloaded")


def test_the_statement_list_follows_a_statement_from_running_to_stopped(
    page: Page, tmp_path: Path
) -> None:
    copy = new_cell(
        page,
        f"CREATE TABLE {TABLE}_copy AS SELECT k, n FROM {TABLE};",
    )
    run(copy, "RUNNING", timeout=STARTUP_MS)
    name = copy.locator(".cell-name").inner_text()
    page.click("#tabs button[data-panel=statements]")
    entry = page.locator(f".statement[data-name='{name}']")
    expect(entry).to_be_visible(timeout=QUICK_MS)
    if entry.get_attribute("data-status") == "FAILED":  # say why, from the statement's detail
        entry.get_by_role("button", name="Exceptions").click()
        pytest.fail(f"the statement failed:\n{entry.inner_text()}")
    expect(entry.locator(".cell-status")).to_have_text("RUNNING", timeout=QUICK_MS)
    # Flink's own counts of what it moves: the 3 rows the table holds, read and written.
    expect(entry.locator(".throughput")).to_contain_text(
        re.compile(r"read 3 \(.*\), written 3 "), timeout=STARTUP_MS
    )
    failed = page.locator(".statement[data-status=FAILED]")
    expect(failed.first).to_contain_text("SELEC k FROM ws_clicks")
    entry.get_by_role("button", name="Stop").click()
    expect(entry.locator(".cell-status")).to_have_text("STOPPED", timeout=STARTUP_MS)
    screenshot(page, tmp_path, "statements")


def test_the_pipeline_view_charts_what_top_counts(page: Page, tmp_path: Path) -> None:
    page.click("#tabs button[data-panel=pipeline]")
    page.fill("#pipeline-topics", TABLE)
    page.click("#pipeline-form button")
    counts = page.locator("#pipeline-view table.topic-counts tbody tr")
    expect(counts.first.locator("td")).to_have_text([TABLE, "3", re.compile(r"/s$|-"), "records"])
    latency = page.locator(".chart", has_text="endpoint round-trip")
    expect(latency.locator("polyline.series").first).to_be_visible(timeout=QUICK_MS)
    expect(page.locator(".chart", has_text="records per second")).to_contain_text(TABLE)
    screenshot(page, tmp_path, "pipeline")


SCORED = "ws_scored"
SCORED_ROWS = [  # TransactionID, isFraud, predicted_fraud, fraud_probability
    (1, 1, 1, 0.91),
    (2, 0, 1, 0.62),
    (3, 0, 0, 0.12),
    (4, 0, 0, 0.05),
    (5, 1, 0, 0.35),
]


def test_evaluate_and_compare_draw_the_results(
    page: Page, local_stack: Settings, tmp_path: Path
) -> None:
    create = new_cell(
        page,
        f"CREATE TABLE {SCORED} (TransactionID INT, isFraud INT, predicted_fraud INT, "
        "fraud_probability DOUBLE);",
    )
    run(create, "COMPLETED")
    produce(local_stack, SCORED_ROWS, SCORED)
    page.click("#tabs button[data-panel=quality]")
    page.fill("#evaluate-topic", SCORED)
    page.click("#evaluate-form button")
    matrix = page.locator("#quality-view table.confusion td.count")
    expect(matrix).to_have_text(["2", "1", "1", "1"], timeout=QUICK_MS)  # tn fp / fn tp
    expect(page.locator("#quality-view .chart svg")).to_have_count(2)  # a histogram per label
    cloud = [
        {
            "TransactionID": t,
            "isFraud": y,
            "predicted_fraud": 1 if t == 3 else p,
            "fraud_probability": s,
        }
        for t, y, p, s in SCORED_ROWS
    ]
    export = tmp_path / "cloud.json"
    export.write_text(json.dumps([{"partition": 0, "key": None, "value": row} for row in cloud]))
    page.fill("#compare-form input[name=local]", SCORED)
    page.set_input_files("#compare-form input[name=cloud]", str(export))
    page.click("#compare-form button")
    expect(page.locator("#quality-view")).to_contain_text("agreement 80.00%", timeout=QUICK_MS)
    expect(page.locator("#quality-view .charts-row .chart")).to_have_count(2)  # local, cloud
    differ = page.locator("#quality-view table:not(.confusion) tbody tr")
    expect(differ).to_have_count(1)
    expect(differ.first.locator("td")).to_have_text(["3", "0", "1"])
    screenshot(page, tmp_path, "compare")
