"""Secrets a command takes (an endpoint's API key) without writing them on the command line.

A value after the flag is seen by every user of the machine in `ps` and kept in the shell's
history, so a flag that takes a secret may be given without one: the secret then comes from
an environment variable, or is asked for without echo when a person is at the terminal.
"""

from __future__ import annotations

import getpass
import sys

from common.errors import CcflinkError


class MissingSecretError(CcflinkError):
    """A secret neither on the command line, in its variable, nor typed at a terminal."""

    exit_code = 2  # a usage mistake, as argparse's own


def read_secret(given: str | None, from_env: str | None, *, flag: str, env: str, what: str) -> str:
    """The secret from `flag`'s value, else `env`'s (`from_env`), else a prompt on a terminal.

    `given` is the flag's value: None when the flag is absent or given without a value.
    """
    if given:
        return given
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise MissingSecretError(
            f"{flag}: no {what} given; pass {flag} VALUE, set {env}, or run the command at a "
            "terminal to type it"
        )
    try:
        typed = getpass.getpass(f"{what} (not echoed): ")
    except EOFError:
        typed = ""
    if not typed:
        raise MissingSecretError(f"{flag}: the {what} typed is empty")
    return typed
