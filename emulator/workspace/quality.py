"""`ccflink evaluate` and `ccflink compare` for the page: the same results code, its answers as
JSON with the score distributions added, for the page to draw (confusion matrices, histograms,
the rows that differ). Nothing is measured here or in the page that `emulator.results` does not
measure.

The local side is always a topic of the stack (never a path on this machine); the cloud side of
a comparison is a file the page uploads, read as `ccflink compare --cloud FILE` reads it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from emulator import demo
from emulator.config import Settings
from emulator.results.diff import compare
from emulator.results.diff_json import report_json
from emulator.results.exports import ExportError
from emulator.results.fields import choose_field
from emulator.results.files import load_file
from emulator.results.histogram import histogram, histograms_by
from emulator.results.metrics import evaluate, metrics_json
from emulator.results.topic import load_topic
from emulator.results.values import Row

SHOW = 50  # rows that differ listed, and numeric differences per column


def read_topic(settings: Settings, topic: str, idle_seconds: float) -> list[Row]:
    """A topic's committed records from the beginning, until none arrived for `idle_seconds`."""
    return load_topic(
        topic,
        settings.bootstrap_servers,
        settings.schema_registry_url,
        idle_seconds,
        security=settings.kafka_security,
        registry_auth=settings.registry_auth,
    )


def read_upload(upload: FileStorage, fmt: str, key: str) -> list[Row]:
    """An uploaded export's rows; its format told by its name's extension or its content, as
    for a file on the command line. Errors name the uploaded file, not where it was kept."""
    name = secure_filename(upload.filename or "") or "export"
    with tempfile.TemporaryDirectory(prefix="ccflink-upload-") as folder:
        path = Path(folder) / name
        upload.save(path)
        try:
            return load_file(path, fmt, key)
        except ExportError as error:
            raise ExportError(str(error).replace(str(path), upload.filename or name)) from None


def evaluation(
    rows: Sequence[Mapping[str, Any]], label: str, prediction: str, probability: str
) -> dict[str, Any]:
    """`ccflink evaluate --json`'s metrics, with the scores' distribution for each label."""
    metrics = evaluate(rows, label=label, prediction=prediction, probability=probability)
    return {
        "rows": len(rows),
        "label": label,
        "prediction": prediction,
        "probability": probability,
        "metrics": metrics_json(metrics),
        "scores": {name: asdict(h) for name, h in histograms_by(rows, probability, label).items()},
    }


def comparison(
    local: Sequence[Mapping[str, Any]],
    cloud: Sequence[Mapping[str, Any]],
    *,
    key: str,
    field: str | None,
    probability: str,
    min_agreement: float,
) -> dict[str, Any]:
    """`ccflink compare --json`'s report, with the local and cloud scores' distributions."""
    choice = choose_field(local, cloud, key, field, demo.PREDICTION_COLUMN)
    report = compare(local, cloud, key=key, field=choice, show=SHOW)
    return {
        **report_json(report, min_agreement),
        "probability": probability,
        "scores": {
            side: asdict(histogram(row.get(probability) for row in rows))
            for side, rows in (("local", local), ("cloud", cloud))
        },
    }
