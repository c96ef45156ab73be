"""The fraud pipeline written with Quix Streams, for `benchmarks.quix_pipeline`'s ratio.

`app` (the pipeline), `join` (Flink's LEFT interval join on Quix state stores) and
`watermark` run in the Quix venv (.ccflink/venv-quix); `run` starts that process beside a
benchmark stack and reads its CPU, `compare` reads both pipelines' predictions back.
"""
