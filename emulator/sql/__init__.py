"""The statement engine: what `ccflink sql`, the shell, the test kit and the workspace call.

`Session` is the one entry: it parses a statement (`emulator.dialect.parse`), looks up the
executor for its kind (`executors.EXECUTORS`), records the statement in the catalog and returns
a `StatementResult`. Rendering results as text is the front ends' job.
"""
