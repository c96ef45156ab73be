"""What every benchmark writes into BENCHMARKS.md: its own section, and the machine it ran on.

Each benchmark owns the text between `<!-- bench:NAME -->` and `<!-- /bench -->` and rewrites
only that, so one benchmark's run keeps the others' figures and the hand-written prose around
them (where the time goes, what changed) as they are.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from emulator.config import PROJECT_ROOT

BENCHMARKS_FILE = PROJECT_ROOT / "BENCHMARKS.md"
END_MARKER = "<!-- /bench -->"


def start_marker(name: str) -> str:
    return f"<!-- bench:{name} -->"


def replace_section(text: str, name: str, body: str) -> str:
    """`text` with section `name` holding `body`; a section not there yet goes at the end.

    Refuses a body holding the end marker and an unterminated section rather than silently
    swallowing the rest of the file.
    """
    if END_MARKER in body:
        raise ValueError(f"a section's body may not contain {END_MARKER}")
    start = start_marker(name)
    block = f"{start}\n{body.strip()}\n{END_MARKER}"
    begin = text.find(start)
    if begin < 0:
        return f"{text.rstrip()}\n\n{block}\n" if text.strip() else f"{block}\n"
    end = text.find(END_MARKER, begin + len(start))
    if end < 0:
        raise ValueError(f"{start} has no {END_MARKER} after it")
    return text[:begin] + block + text[end + len(END_MARKER) :]


def write_section(name: str, body: str, path: Path = BENCHMARKS_FILE) -> None:
    text = path.read_text() if path.exists() else ""
    path.write_text(replace_section(text, name, body))


def command_line(module: str, argv: Sequence[str]) -> str:
    """The command as typed in the project folder, so a reader can run it again."""
    python = Path(sys.executable)
    if python.is_relative_to(PROJECT_ROOT):
        python = python.relative_to(PROJECT_ROOT)
    return " ".join([str(python), "-m", module, *(shlex.quote(a) for a in argv)])


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib() -> float:
    """Total memory from /proc/meminfo (MemTotal, kB)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    raise LookupError("MemTotal missing from /proc/meminfo")


def _java_version() -> str:
    try:
        result = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "none"
    first = (result.stderr or result.stdout).splitlines()[:1]
    return first[0].replace('"', "") if first else "unknown"


def versions(packages: Sequence[str]) -> str:
    """`name version` of each installed package, as pip knows them."""
    found = []
    for package in packages:
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            found.append(f"{package} (not installed)")
    return ", ".join(found)


def machine(packages: Sequence[str], extra: Sequence[str] = ()) -> str:
    """One paragraph: cores, memory, CPU, OS, runtimes and library versions, and the load.

    The load average says whether other work shared the machine during the run.
    """
    one, five, _ = os.getloadavg()
    parts = [
        f"{os.cpu_count()} cores ({_cpu_model()}), {memory_gib():.1f} GiB RAM",
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}",
        _java_version(),
        *extra,
        versions(packages),
    ]
    return (
        f"Machine: {'; '.join(parts)}. Load average when the run started: {one:.1f} (1 min), "
        f"{five:.1f} (5 min)."
    )


def header(title: str, command: str, machine_text: str) -> str:
    """The lines every section starts with: what ran, when, where."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{title}\n\nGenerated {now} by:\n\n```bash\n{command}\n```\n\n{machine_text}\n"


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; the first column is left-aligned, the others right-aligned."""
    align = ["---", *["---:"] * (len(columns) - 1)]
    lines = [columns, align, *[[str(cell) for cell in row] for row in rows]]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)
