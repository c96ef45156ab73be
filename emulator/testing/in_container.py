"""What the stack's image runs (`docker/ccflink/Dockerfile`, target `stack`): the test
session's services in the foreground of a container, until it is stopped.

The state folder and ports come from the environment (config.py: CCFLINK_HOME and
CCFLINK_*_PORT), set by `CcflinkContainer`. The ready line is what its wait strategy looks for.
"""

from __future__ import annotations

import signal
import sys
import threading

from emulator import config, stack

READY_LINE = "ccflink stack ready"


def main() -> int:
    """Start the services, say so, and stop them again on SIGTERM or SIGINT."""
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    settings = config.settings_from_env()
    try:
        stack.up(settings, say=lambda line: print(line, flush=True), model_server=False)
    except Exception as error:  # reported in the container's log, which the harness shows
        print(f"ccflink stack failed to start: {error}", file=sys.stderr, flush=True)
        return 1
    print(f"{READY_LINE} in {settings.state_dir}", flush=True)
    stopping.wait()
    stack.down(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
