"""The engine's user-facing failure."""

from __future__ import annotations

from common.errors import CcflinkError


class StatementError(CcflinkError):
    """A statement failed; the message names where it is in the script and why."""
