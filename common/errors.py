"""The base of every error ccflink reports to a user as a mistake or an outage, not a bug.

Subclasses live beside their concepts (a dialect error with the dialect, a registry error with
the registry). Front ends catch `CcflinkError` and print its message; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations


class CcflinkError(Exception):
    """A failure the user can act on; the message says what was wrong, where, and what to do."""

    exit_code: int = 1  # what a CLI command returns when this ends it
