"""Testing your own pipeline with pytest: the `ccflink` fixture and what it hands a test.

`plugin.py` is what pytest loads (the package's `pytest11` entry point): the fixture, its
option and the failure report's service logs. `harness.py` is the object a test gets; the
other modules are its parts: the stack started or reused (`lifecycle.py`), the user's model
servers (`endpoints.py`), rows in (`rows.py`, `records.py`, `produce.py`) and out
(`reading.py`).
"""
