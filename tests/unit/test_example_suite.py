"""The example suite (examples/fraud_pipeline) runs the workspace's own SQL and scoring script:
its copies, laid out as a user's repository holds them, are the same files."""

from __future__ import annotations

from pathlib import Path

from emulator.config import PROJECT_ROOT
from pyflink_jobs import PIPELINE_SQL_DIR

EXAMPLE = PROJECT_ROOT / "examples" / "fraud_pipeline"


def _texts(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.glob("*.sql"))}


def test_the_example_runs_the_workspace_sql_unchanged() -> None:
    assert _texts(EXAMPLE / "sql") == _texts(PIPELINE_SQL_DIR)


def test_the_example_serves_the_demo_scoring_script() -> None:
    demo = (PROJECT_ROOT / "model_server" / "score.py").read_text()
    assert (EXAMPLE / "azure_ml" / "score.py").read_text() == demo
