#!/usr/bin/env bash
# Train the fraud model into AZUREML_MODEL_DIR once (as `make up` does, on 20,000 synthetic
# transactions with seed 7), then serve the scoring script on 0.0.0.0:5001 (under granian;
# `--server gunicorn` picks gunicorn).
# Bearer keys come from CCFLINK_MODEL_API_KEYS (comma-separated), never from the command line.
set -euo pipefail
: "${CCFLINK_MODEL_API_KEYS:?set CCFLINK_MODEL_API_KEYS to the endpoint Bearer key}"
if [ ! -f "$AZUREML_MODEL_DIR/model/fraud.onnx" ]; then
  training="$(mktemp -d)"
  python -m producers.synthetic --rows 20000 --seed 7 --out "$training"
  python -m model_server.train --data "$training" --model-dir "$AZUREML_MODEL_DIR"
  rm -rf "$training"
fi
exec python -m model_server \
  --entry-script "$AZUREML_ENTRY_SCRIPT" \
  --model-dir "$AZUREML_MODEL_DIR" \
  --host 0.0.0.0 \
  --port 5001 \
  --workers "${MODEL_SERVER_WORKERS:-1}" \
  "$@"
