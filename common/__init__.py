"""What every ccflink package may use: the error family and the Confluent wire-format serde.

It imports nothing of ccflink's own, so the control plane (`emulator`), the producers, the
Flink-side functions (`pyflink_jobs`) and the model server can all build on it without cycles.
"""
