"""A JDK Flight Recorder profile of the TaskManager's JVM during the throughput run
(`--profile-jvm DIR`), and its top frames per kind of thread.

The thread table of `cpu_window` says which task thread burns the CPU; this says on what:
JFR samples each running Java thread's stack every 10-20 ms (the JDK's `profile` settings),
and the samples are counted per frame, by self (the frame on top of the stack) and total (the
frame anywhere in it), with threads doing the same work grouped as `stack_probes` groups them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from benchmarks.stack_probes import taskmanager_pid, thread_group
from emulator.config import Settings

RECORDING = "ccflink-bench"
STACK_DEPTH = 96  # deep enough to reach a task thread's run loop through Flink's operators
# Frames in at least this share of a thread's samples (its run loop, the task's invoke) are
# left out of the "by total" list: they say which thread it is, not where its time goes.
RUN_LOOP_SHARE = 0.9
_THREAD = re.compile(r'^\s*sampledThread = "(?P<name>.*)" \(javaThreadId = \d+\)')
# `  pkg.Class.method(ArgType, ...) line: 12`: the method, without arguments or line.
_FRAME = re.compile(r"^\s{4}(?P<frame>[^\s(]+)\(")


@dataclass
class ThreadProfile:
    """One kind of thread's samples: how many, and per frame how often on top and anywhere."""

    samples: int = 0
    self_counts: Counter[str] = field(default_factory=Counter)
    total_counts: Counter[str] = field(default_factory=Counter)

    def add(self, frames: list[str]) -> None:
        self.samples += 1
        if frames:
            self.self_counts[frames[0]] += 1
            # once per sample, top first: a tie lists the frame nearer the work first
            self.total_counts.update(list(dict.fromkeys(frames)))


def samples(lines: Iterable[str]) -> Iterator[tuple[str, list[str]]]:
    """(thread name, frames from the top) of each `jdk.ExecutionSample` in `jfr print`'s text."""
    thread, frames, in_stack = "", [], False
    for line in lines:
        match = _THREAD.match(line)
        if match:
            thread = match["name"]
        elif line.strip() == "stackTrace = [":
            frames, in_stack = [], True
        elif in_stack and line.strip() == "]":
            in_stack = False
            yield thread, frames
        elif in_stack and line.strip() != "...":
            frame = _FRAME.match(line)
            if frame:
                frames.append(frame["frame"])


def by_thread(lines: Iterable[str]) -> dict[str, ThreadProfile]:
    """Samples per kind of thread (task chains, Kafka clients, JIT and GC threads)."""
    profiles: dict[str, ThreadProfile] = {}
    for thread, frames in samples(lines):
        profiles.setdefault(thread_group(thread), ThreadProfile()).add(frames)
    return profiles


def _share(count: int, whole: int) -> str:
    return f"{count / whole:.0%}" if whole else "0%"


def top_frames_text(profiles: dict[str, ThreadProfile], threads: int = 6, frames: int = 12) -> str:
    """The busiest kinds of thread, each with its top frames by self and by total samples
    (below RUN_LOOP_SHARE)."""
    everything = sum(p.samples for p in profiles.values())
    busiest = sorted(profiles.items(), key=lambda item: -item[1].samples)[:threads]
    parts = [f"JFR execution samples of the TaskManager JVM: {everything:,} in all."]
    for name, profile in busiest:
        parts.append(
            f"\n{name}: {profile.samples:,} samples ({_share(profile.samples, everything)})"
        )
        below_loop = Counter(
            {
                frame: count
                for frame, count in profile.total_counts.items()
                if count < RUN_LOOP_SHARE * profile.samples
            }
        )
        for title, counts in (("self", profile.self_counts), ("total", below_loop)):
            parts.append(f"  by {title}:")
            parts.extend(
                f"    {_share(count, profile.samples):>4}  {frame}"
                for frame, count in counts.most_common(frames)
            )
    return "\n".join(parts)


def summarize(recording: Path) -> dict[str, ThreadProfile]:
    """Read a .jfr file's execution samples with the JDK's `jfr` tool, streamed."""
    command = [
        shutil.which("jfr") or "jfr",
        "print",
        "--events",
        "jdk.ExecutionSample",
        "--stack-depth",
        str(STACK_DEPTH),
        str(recording),
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        return by_thread(process.stdout)


class JvmProfile:
    """A JFR recording of the TaskManager while in a `with` block; nothing without a folder.

    On leaving, the recording is written to `folder/taskmanager.jfr` and its top frames are
    printed and written beside it (`top-frames.txt`).
    """

    def __init__(self, settings: Settings, folder: Path | None) -> None:
        self.settings = settings
        self.folder = folder
        self.pid: int | None = None

    def _jcmd(self, *arguments: str) -> None:
        jcmd = shutil.which("jcmd") or "jcmd"
        subprocess.run([jcmd, str(self.pid), *arguments], check=True, capture_output=True)

    def __enter__(self) -> Self:
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.pid = taskmanager_pid(self.settings)
            if self.pid is None:
                raise RuntimeError("--profile-jvm: the stack has no TaskManager JVM to profile")
            target = self.folder / "taskmanager.jfr"
            self._jcmd("JFR.start", f"name={RECORDING}", "settings=profile", f"filename={target}")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        _error: BaseException | None,
        _trace: TracebackType | None,
    ) -> None:
        if self.folder is None or self.pid is None:
            return
        self._jcmd("JFR.stop", f"name={RECORDING}")
        if kind is None:
            text = top_frames_text(summarize(self.folder / "taskmanager.jfr"))
            (self.folder / "top-frames.txt").write_text(text + "\n")
            print(text, flush=True)
