"""What runs inside Flink: the fraud pipeline's Confluent-dialect SQL files and the ML_PREDICT
functions (Python, calling the model's endpoint). Nothing here knows the control plane."""

from pathlib import Path

PIPELINE_SQL_DIR = Path(__file__).resolve().parent / "sql"
