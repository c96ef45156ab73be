"""What a live view of the pipeline watches: the demo's topics and predictions, or the ones a
user names. `ccflink top` and the workspace's pipeline view both take it from here, so they
watch the same things the same way."""

from __future__ import annotations

from collections.abc import Sequence

from emulator import demo
from emulator.monitor import Watched


def demo_watched() -> Watched:
    """The fraud pipeline's topics and predictions, as `make up` watches them."""
    return Watched(
        topics=demo.TOPIC_LABELS,
        short_names=demo.TOPIC_SHORT_NAMES,
        predictions_topic=demo.PREDICTIONS_TOPIC,
        flag_column=demo.PREDICTION_COLUMN,
        flagged=demo.FLAGGED,
    )


def watched_of(topics: Sequence[str], predictions_topic: str | None, flag_column: str) -> Watched:
    """The demo's pipeline when nothing is named, else the named topics and predictions (the
    demo's predictions topic when only topics are named)."""
    if not topics and predictions_topic is None:
        return demo_watched()
    predictions = predictions_topic or demo.PREDICTIONS_TOPIC
    inputs = [t for t in topics if t != predictions]
    return Watched(
        topics={**dict.fromkeys(inputs, "records"), predictions: "predictions"},
        short_names={topic: topic for topic in [*inputs, predictions]},
        predictions_topic=predictions,
        flag_column=flag_column,
        flagged=flag_column,
    )
