"""Statements' checkpoints on disk, found without the JobManager (which may be gone)."""

from __future__ import annotations

from emulator.config import Settings


def retained_checkpoint(settings: Settings, job_id: str) -> str | None:
    """The job's latest complete checkpoint on disk (a `chk-N` folder with its `_metadata`),
    as a location Flink restores from; found without the JobManager, which may be gone."""
    complete = [
        folder
        for folder in (settings.checkpoints_dir / job_id).glob("chk-*")
        if (folder / "_metadata").exists() and folder.name[4:].isdigit()
    ]
    if not complete:
        return None
    return max(complete, key=lambda folder: int(folder.name[4:])).resolve().as_uri()
