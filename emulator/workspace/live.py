"""The pipeline at a glance for the page: the snapshots `ccflink top` draws, as JSON.

The numbers are `emulator.monitor`'s: one `Sampler` is kept in the workspace process, since its
rates are measured between two samples and its tally of flagged predictions reads only what
arrived since the last one. Requests sample it, at most once per `MIN_INTERVAL` seconds (two
open pages polling share the samples instead of shortening the interval the rates are measured
over); the page keeps the last samples and draws them as charts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from emulator.config import Settings
from emulator.monitor import Sampler, Snapshot, TopicCount, Watched

MIN_INTERVAL = 0.8  # seconds between two samples, whoever asks


def snapshot_json(snapshot: Snapshot, watched: Watched) -> dict[str, Any]:
    """A snapshot as JSON-ready data, each topic with what its records are, in flow order."""
    return {
        "taken_at": snapshot.taken_at,
        "interval": snapshot.interval,
        "topics": [
            {
                "topic": topic,
                "what": what,
                "short_name": watched.short_names.get(topic, topic),
                **asdict(snapshot.topics.get(topic, TopicCount(None, None))),
            }
            for topic, what in watched.topics.items()
        ],
        "predictions_topic": watched.predictions_topic,
        "flag_column": watched.flag_column,
        "flagged_as": watched.flagged,
        "predictions_read": snapshot.predictions_read,
        "flagged": snapshot.flagged,
        "flag_rate": snapshot.flag_rate,
        "latency": asdict(snapshot.latency),
        "statements": snapshot.statements,
        "services_total": snapshot.services_total,
        "services_down": snapshot.services_down,
        "dead_letters": snapshot.dead_letters,
        "errors": snapshot.error_lines,
    }


def _identity(watched: Watched) -> tuple:
    return (tuple(watched.topics), watched.predictions_topic, watched.flag_column)


class LiveView:
    """One sampler over the pipeline the page watches; another pipeline asked for replaces it."""

    def __init__(
        self, settings: Settings, make_sampler: Callable[[Settings, Watched], Sampler] = Sampler
    ) -> None:
        self._settings = settings
        self._make_sampler = make_sampler
        self._lock = threading.Lock()
        self._sampler: Sampler | None = None
        self._watched: Watched | None = None
        self._last: dict[str, Any] | None = None
        self._last_at = 0.0

    def sample(self, watched: Watched) -> dict[str, Any]:
        """The latest snapshot of `watched`: a new sample unless one was taken just now."""
        with self._lock:
            sampler = self._sampler
            if sampler is None or _identity(self._watched or watched) != _identity(watched):
                if sampler is not None:
                    sampler.close()
                sampler = self._sampler = self._make_sampler(self._settings, watched)
                self._watched, self._last = watched, None
            if self._last is None or time.monotonic() - self._last_at >= MIN_INTERVAL:
                self._last = snapshot_json(sampler.sample(), watched)
                self._last_at = time.monotonic()
            return self._last
