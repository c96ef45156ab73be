"""The join and features statements on plain open-source Flink, beside ccflink's own run of
them (`python -m benchmarks.plain_flink_pipeline`): what the emulation costs.

`pipeline.sql` is the hand-written open-source Flink SQL; `statements` fills it in and renames
each round's output tables; `figures` holds a run's numbers and their ratio.
"""
