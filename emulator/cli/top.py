"""`ccflink top`: the pipeline at a glance, redrawn once a second instead of scrolling logs.

`render(snapshot, watched)` is a pure function: a fixed-height screen, redrawn in place with
ANSI escapes when the output is a terminal; otherwise `render_line(snapshot, watched)` writes
one line per interval (logs, pipes, CI). The numbers come from `emulator.monitor`.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TextIO

from emulator.config import Settings
from emulator.monitor import Latency, Sampler, Snapshot, TopicCount, Watched
from emulator.watching import watched_of

LATENCY_LABEL = "endpoint round-trip (probe: GET /)"
ERROR_LINES = 4  # fixed number of error lines on screen, so the screen keeps its height


# --- rendering ------------------------------------------------------------------------------


def _number(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}/s"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} ms"


def _flag_rate(snapshot: Snapshot, watched: Watched) -> str:
    rate = snapshot.flag_rate
    if rate is None:
        return "- (no predictions read yet)"
    total = snapshot.topics.get(watched.predictions_topic, TopicCount(None, None)).total
    of = f" of {total:,}" if total is not None and total > snapshot.predictions_read else ""
    return (
        f"{rate:.2%} predicted {watched.flagged} ({snapshot.flagged:,} of "
        f"{snapshot.predictions_read:,} predictions read{of})"
    )


def _latency(latency: Latency) -> str:
    if latency.samples == 0 and latency.failures == 0:
        return "-"
    last = "failed" if latency.error else _ms(latency.last_ms)
    text = (
        f"last {last}, p50 {_ms(latency.p50_ms)}, p95 {_ms(latency.p95_ms)} "
        f"(last {latency.samples + latency.failures} probes"
    )
    if latency.failures:
        text += f", {latency.failures} failed"
    return text + ")"


def _statements(statements: Mapping[str, int]) -> str:
    if not statements:
        return "none"
    return ", ".join(f"{count} {status}" for status, count in sorted(statements.items()))


def _clip(line: str, width: int | None) -> str:
    if width is None or len(line) <= width:
        return line
    return line[: max(0, width - 1)] + "…"


def render(snapshot: Snapshot, watched: Watched, width: int | None = None) -> str:
    """The screen: always the same number of lines, each at most `width` characters."""
    stamp = datetime.fromtimestamp(snapshot.taken_at).strftime("%H:%M:%S")
    lines = [
        f"ccflink top  {stamp}  (committed records only; Ctrl-C to quit)",
        "",
        f"{'topic':<23} {'records':>12} {'rate':>12}  what",
    ]
    for topic, what in watched.topics.items():
        count = snapshot.topics.get(topic, TopicCount(None, None))
        lines.append(f"{topic:<23} {_number(count.total):>12} {_rate(count.rate):>12}  {what}")
    down = len(snapshot.services_down)
    healthy = snapshot.services_total - down
    dead = sum(snapshot.dead_letters.values())
    lines += [
        "",
        f"{watched.flagged + ' rate':<16}{_flag_rate(snapshot, watched)}",
        f"{'model latency':<16}{LATENCY_LABEL}: {_latency(snapshot.latency)}",
        f"{'services':<16}{healthy}/{snapshot.services_total} healthy",
        f"{'statements':<16}{_statements(snapshot.statements)}",
        f"{'dead letters':<16}{dead:,} rows",
        f"{'errors':<16}{len(snapshot.error_lines) or 'none'}",
    ]
    errors = snapshot.error_lines
    shown = errors[:ERROR_LINES]
    if len(errors) > ERROR_LINES:
        shown = [*errors[: ERROR_LINES - 1], f"... and {len(errors) - ERROR_LINES + 1} more"]
    lines += [f"  {line}" for line in shown]
    lines += [""] * (ERROR_LINES - len(shown))
    return "\n".join(_clip(line, width) for line in lines)


def screen_height(watched: Watched) -> int:
    """Lines on every screen of this view: a fixed height, so redraws never scroll."""
    return render(Snapshot(taken_at=0.0, interval=None, topics={}), watched).count("\n") + 1


def render_line(snapshot: Snapshot, watched: Watched) -> str:
    """One line per interval, for output that is not a terminal."""
    stamp = datetime.fromtimestamp(snapshot.taken_at).strftime("%H:%M:%S")
    parts = [stamp]
    for topic, name in watched.short_names.items():
        count = snapshot.topics.get(topic, TopicCount(None, None))
        parts.append(f"{name} {_number(count.total)} ({_rate(count.rate)})")
    rate = snapshot.flag_rate
    parts.append(f"{watched.flagged} {'-' if rate is None else f'{rate:.2%}'}")
    latency = snapshot.latency
    parts.append(f"probe p50 {_ms(latency.p50_ms)} p95 {_ms(latency.p95_ms)}")
    errors = snapshot.error_lines
    parts.append(f"errors {len(errors)}" + (f" ({errors[0]})" if errors else ""))
    return " | ".join(parts)


# --- the loop -------------------------------------------------------------------------------

CLEAR = "\x1b[2J"
HOME = "\x1b[H"
ERASE_LINE = "\x1b[K"
ERASE_BELOW = "\x1b[J"
HIDE_CURSOR = "\x1b[?25l"
SHOW_CURSOR = "\x1b[?25h"


def frame(snapshot: Snapshot, watched: Watched, width: int | None) -> str:
    """One redraw: home, each line erased to its end, and whatever was below erased."""
    lines = render(snapshot, watched, width).split("\n")
    body = "\n".join(line + ERASE_LINE for line in lines)
    return HOME + body + "\n" + ERASE_BELOW


@contextmanager
def _quiet_topic_reader(active: bool):
    """The predictions' reader logs librdkafka's warnings when the broker goes away; they would
    land on stderr, over the screen."""
    logger = logging.getLogger("emulator.topic_reader")  # the reader's LOG
    level = logger.level
    if active:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def run_top(
    settings: Settings,
    watched: Watched,
    interval: float = 1.0,
    duration: float | None = None,
    out: TextIO = sys.stdout,
    until: Callable[[Snapshot], bool] | None = None,
    sampler: Sampler | None = None,
) -> int:
    """Sample every `interval` seconds and show it, for `duration` seconds (None: until
    Ctrl-C) or until `until(snapshot)` holds. Returns 0, also on Ctrl-C."""
    tty = bool(getattr(out, "isatty", lambda: False)())
    sampler = sampler or Sampler(settings, watched)
    started = time.monotonic()
    next_tick = started
    snapshot: Snapshot | None = None
    try:
        with _quiet_topic_reader(tty):
            if tty:
                out.write(HIDE_CURSOR + CLEAR)
            while True:
                snapshot = sampler.sample()
                if tty:
                    width = shutil.get_terminal_size((100, 24)).columns
                    out.write(frame(snapshot, watched, width))
                else:
                    out.write(render_line(snapshot, watched) + "\n")
                out.flush()
                if until is not None and until(snapshot):
                    break
                next_tick += interval
                if duration is not None and next_tick - started >= duration:
                    break
                delay = next_tick - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                else:
                    next_tick = time.monotonic()  # a slow sample: no burst of catch-up samples
    except KeyboardInterrupt:
        pass
    finally:
        sampler.close()
        if tty:
            out.write(SHOW_CURSOR)
            out.flush()
    return 0


def watched_from_args(args: argparse.Namespace) -> Watched:
    """The demo's pipeline, or the topics and predictions the user named."""
    return watched_of(args.topic, args.predictions_topic, args.flag_column)


def cmd_top(settings: Settings, args: argparse.Namespace) -> int:
    return run_top(
        settings, watched_from_args(args), interval=args.interval, duration=args.duration
    )
