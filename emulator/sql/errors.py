"""The engine's user-facing failure."""

from __future__ import annotations

from common.errors import CcflinkError
from emulator.dialect.secrets import mask_secrets


class StatementError(CcflinkError):
    """A statement failed; the message names where it is in the script and why, quoting the
    statement with its secrets masked."""

    def __init__(self, message: str) -> None:
        super().__init__(mask_secrets(message))
