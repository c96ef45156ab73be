"""The parts of `python -m benchmarks.pipeline_end_to_end`, one job each.

`modes` runs a mode on a stack from `stack_run`: `throughput` and `latency` drive load through
`traffic`, `scoring` times the model and the endpoint alone, `cpu_window` reads CPU; the
figures (`figures`) become BENCHMARKS.md text in `render`; `progress` prints as it goes.
"""
