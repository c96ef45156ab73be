"""The fraud pipeline's names and defaults: topics, connection, columns, replay sizes.

The platform takes names as parameters; the front ends pass these when the user names none.
"""

from __future__ import annotations

# The replay `make up` runs when no Kaggle files are given.
DEMO_ROWS = 10_000
DEMO_SEED = 42

# `ccflink up --demo`'s flag that replays into source topics that already hold a replay (the
# demo names it when it does not replay them).
REPLAY_AGAIN_FLAG = "--replay-again"

# The model the local endpoint serves unless told otherwise, trained on its own synthetic set.
TRAINING_ROWS = 20_000
TRAINING_SEED = 7

CONNECTION_NAME = "fraud-detection-endpoint"
SOURCE_TOPICS = ("transactions", "identities")
PREDICTIONS_TOPIC = "fraud_predictions"
# The LEFT interval join's output: its transactions without an identity row wait there for the
# watermark to pass their window. The tables whose statements hold rows back for the watermark.
JOIN_TABLE = "transactions_enriched"
WATERMARK_HELD_TABLES = (JOIN_TABLE,)
FEATURES_TABLE = "transactions_features"
MODEL_NAME = "fraud_detection"
# What the live view shows per topic, in pipeline order.
TOPIC_LABELS: dict[str, str] = {
    "transactions": "records produced",
    "identities": "records produced",
    JOIN_TABLE: "rows joined",
    FEATURES_TABLE: "rows with features",
    PREDICTIONS_TOPIC: "predictions",
}
# The same topics on the live view's one-line output.
TOPIC_SHORT_NAMES: dict[str, str] = {
    "transactions": "tx",
    "identities": "id",
    JOIN_TABLE: "joined",
    FEATURES_TABLE: "features",
    PREDICTIONS_TOPIC: "predictions",
}
FLAGGED = "fraud"  # what a prediction of 1 means
# Columns of the predictions the reports read.
KEY_COLUMN = "TransactionID"
LABEL_COLUMN = "isFraud"
PREDICTION_COLUMN = "predicted_fraud"
SCORE_COLUMN = "fraud_probability"
