#!/usr/bin/env bash
# `jobmanager` or `taskmanager` in the foreground (logs on stdout); anything else is run as is,
# e.g. `docker compose exec flink-jobmanager ccflink sql ...` does not come through here.
set -euo pipefail
FLINK_HOME="$(python -c 'import os, pyflink; print(os.path.dirname(pyflink.__file__))')"
export FLINK_HOME
case "${1:-jobmanager}" in
  jobmanager) exec bash "$FLINK_HOME/bin/jobmanager.sh" start-foreground ;;
  taskmanager) exec bash "$FLINK_HOME/bin/taskmanager.sh" start-foreground ;;
  *) exec "$@" ;;
esac
