"""The fraud-detection demo `make up` runs: its names (`names`), its model (`model`) and its
pipeline run and replay (`pipeline`). The platform takes names as parameters; this package is
where the fraud pipeline's names live, and the front ends pass them on."""

from emulator.demo.names import (
    CONNECTION_NAME,
    DEMO_ROWS,
    DEMO_SEED,
    FLAGGED,
    KEY_COLUMN,
    LABEL_COLUMN,
    PREDICTION_COLUMN,
    PREDICTIONS_TOPIC,
    REPLAY_AGAIN_FLAG,
    SCORE_COLUMN,
    SOURCE_TOPICS,
    TOPIC_LABELS,
    TOPIC_SHORT_NAMES,
    TRAINING_ROWS,
    TRAINING_SEED,
)

__all__ = [
    "CONNECTION_NAME",
    "DEMO_ROWS",
    "DEMO_SEED",
    "FLAGGED",
    "KEY_COLUMN",
    "LABEL_COLUMN",
    "PREDICTIONS_TOPIC",
    "PREDICTION_COLUMN",
    "REPLAY_AGAIN_FLAG",
    "SCORE_COLUMN",
    "SOURCE_TOPICS",
    "TOPIC_LABELS",
    "TOPIC_SHORT_NAMES",
    "TRAINING_ROWS",
    "TRAINING_SEED",
]
