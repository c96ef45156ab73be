"""The benchmark's progress lines, and a sink for the stack's own."""

from __future__ import annotations


def say(message: str) -> None:
    """Flushed at once: a mode runs for minutes between lines."""
    print(message, flush=True)


def quiet(_message: str) -> None:
    """The stack's own progress lines would drown the benchmark's."""
