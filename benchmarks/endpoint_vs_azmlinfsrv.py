"""Our model server vs Microsoft's azureml-inference-server-http, hosting the same scoring script.

Both serve `model_server/score.py` with the demo's model (trained as `make up` trains it) and the
same worker count (WORKER_COUNT, as both read it); the same client (`endpoint_load`: one
keep-alive connection per scoring subtask, one request in flight on each) sends both the same
bodies, the ones ML_PREDICT sends (`AZUREML-PANDAS-DATAFRAME`), of 1 and of 1,000 rows. Before
any timing, a sample of the bodies is sent to both once and the answers compared byte for byte.
The goal: ours ahead in requests per CPU second of the server, with identical answers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks import report
from benchmarks.azmlinfsrv import AMLIS_VERSION, azmlinfsrv_command
from benchmarks.endpoint_load import Answer, LoadResult, answers, drive
from emulator.config import Ports, Settings, model_server_workers
from emulator.demo.model import ensure_model
from emulator.model_endpoint import DEFAULT_SCORING_SCRIPT, answers_healthy
from emulator.ports import free_port_numbers
from emulator.process import ManagedProcess
from model_server.features import FEATURES
from model_server.train import load_frame
from pyflink_jobs.ml_formats import batch_request_body

SECTION = "endpoint_vs_azmlinfsrv"
KEY = "bench-key"
FORMAT = "AZUREML-PANDAS-DATAFRAME"
OURS, MICROSOFT = "ours (granian)", f"azureml-inference-server-http {AMLIS_VERSION}"
# Our server as it was before granian: gunicorn's threaded worker, 8 threads per worker.
BEFORE = "ours (gunicorn gthread, 8 threads)"
# Bodies of each size the load cycles through, and how many of them are compared first.
BODIES = 200
COMPARED = 50


@dataclass(frozen=True)
class Contender:
    """A server to start: its name, command and environment (beside this process's)."""

    name: str
    command: list[str]
    env: dict[str, str]


@dataclass(frozen=True)
class Running:
    name: str
    url: str
    pid: int


@dataclass(frozen=True)
class Measured:
    rows_per_request: int
    contender: str
    result: LoadResult


def feature_rows(training_dir: Path, count: int) -> list[list[object]]:
    """`count` rows of the model's INPUT columns, as Flink hands them to ML_PREDICT."""
    frame = load_frame(training_dir / "train_transaction.csv", training_dir / "train_identity.csv")[
        FEATURES
    ].head(count)
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.values.tolist()


def request_bodies(rows: list[list[object]], rows_per_request: int, count: int) -> list[bytes]:
    """`count` bodies of `rows_per_request` rows each, cycling through `rows`."""
    bodies = []
    for number in range(count):
        at = number * rows_per_request % max(1, len(rows) - rows_per_request)
        body, _ = batch_request_body(FORMAT, FEATURES, rows[at : at + rows_per_request])
        bodies.append(body)
    return bodies


def contenders(model_dir: Path, workers: int) -> list[Contender]:
    ours = [sys.executable, "-m", "model_server", "--entry-script", str(DEFAULT_SCORING_SCRIPT)]
    microsoft = [*azmlinfsrv_command(), "--entry_script", str(DEFAULT_SCORING_SCRIPT)]
    ours = [*ours, "--model-dir", str(model_dir), "--workers", str(workers)]
    keys = {"CCFLINK_MODEL_API_KEYS": KEY}
    return [
        Contender(OURS, ours, keys),
        Contender(BEFORE, [*ours, "--server", "gunicorn", "--threads", "8"], keys),
        Contender(
            MICROSOFT, [*microsoft, "--model_dir", str(model_dir)], {"WORKER_COUNT": str(workers)}
        ),
    ]


@contextmanager
def started(folder: Path, contender: Contender, port: int) -> Iterator[Running]:
    """`contender` on `port`, answering GET /, stopped (with its workers) on the way out."""
    settings = Settings(folder, jars_dir=folder, ports=Ports(model_server=port))
    process = ManagedProcess(contender.name.split()[0], settings)
    process.start([*contender.command, "--port", str(port)], contender.env)
    try:
        url = settings.model_server_url
        process.wait_ready(lambda: answers_healthy(url), 90, "GET / answering Healthy")
        pid = process.pid()
        assert pid is not None  # wait_ready saw it running
        yield Running(contender.name, url, pid)
    finally:
        process.stop()


def differences(first: Sequence[Answer], *others: Sequence[Answer]) -> list[int]:
    """Positions where the servers' answers to the same bodies are not all the same."""
    return [at for at, answer in enumerate(first) if any(o[at] != answer for o in others)]


def measure(
    servers: Sequence[Running],
    bodies: dict[int, list[bytes]],
    connections: int,
    seconds: float,
    warmup: float,
) -> list[Measured]:
    """Each server loaded alone in turn, per body size: a warm-up, then the timed window."""
    measured = []
    for rows_per_request, sized in bodies.items():
        for server in servers:
            drive(server.url, KEY, server.pid, sized, connections, warmup)
            result = drive(server.url, KEY, server.pid, sized, connections, seconds)
            print(
                f"  {server.name}, {rows_per_request:,} row(s)/request: "
                f"{result.per_second:,.0f} requests/s, {result.cpu_ms_per_request:.2f} CPU ms "
                f"per request ({result.failed} not 200)",
                flush=True,
            )
            measured.append(Measured(rows_per_request, server.name, result))
    return measured


def render(
    measured: Sequence[Measured],
    compared: dict[int, list[int]],
    workers: int,
    connections: int,
    seconds: float,
) -> str:
    rows = []
    for size in sorted({m.rows_per_request for m in measured}):
        by_name = {m.contender: m.result for m in measured if m.rows_per_request == size}
        ours, microsoft = by_name[OURS], by_name[MICROSOFT]
        ratio = ours.per_cpu_second / microsoft.per_cpu_second
        same = "identical" if not compared[size] else f"{len(compared[size])} differ"
        for name, result in by_name.items():
            rows.append(
                [
                    f"{name}, {size:,} row(s) per request",
                    f"{result.per_second:,.0f}",
                    f"{result.cpu_ms_per_request:.2f}",
                    f"{result.per_cpu_second:,.0f}",
                    str(result.failed),
                ]
            )
        verdict = "ahead" if ratio > 1 and not compared[size] else "**missed**"
        rows.append(
            [
                f"**ours / Microsoft's, {size:,} row(s)**",
                f"{ours.per_second / microsoft.per_second:.2f}x",
                f"{ours.cpu_ms_per_request / microsoft.cpu_ms_per_request:.2f}x",
                f"**{ratio:.2f}x** ({verdict})",
                f"answers {same}",
            ]
        )
    columns = [
        "server",
        "requests/s",
        "server CPU ms per request",
        "requests per CPU second (goal: ours ahead)",
        "not 200",
    ]
    return (
        f"Each server hosts `model_server/score.py` with the demo model, {workers} worker "
        f"processes (WORKER_COUNT), loaded one at a time by the same client: {connections} "
        f"keep-alive connections (one per scoring subtask), one request in flight on each, "
        f"{seconds:.0f} s per figure after a warm-up. CPU: the server's processes (psutil, user + "
        f"system) over the window; the client shares the machine. Answers: {COMPARED} bodies of "
        "each size sent to every server first; status, Content-Type and body compared byte for "
        "byte.\n\n" + report.table(columns, rows)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="timed window per figure")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=4, help="scoring subtasks")
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args(argv)
    workers = model_server_workers()
    with tempfile.TemporaryDirectory(prefix="ccflink-endpoint-bench-") as name:
        folder = Path(name)
        settings = Settings(folder, jars_dir=folder)
        ensure_model(settings)
        rows = feature_rows(settings.data_dir / "training", 5000)
        bodies = {size: request_bodies(rows, size, BODIES) for size in (1, 1000)}
        servers_to_start = contenders(settings.model_dir, workers)
        ports = free_port_numbers(len(servers_to_start))
        with ExitStack() as stack:
            servers = [
                stack.enter_context(started(folder / f"server-{n}", contender, port))
                for n, (contender, port) in enumerate(zip(servers_to_start, ports, strict=True))
            ]
            compared = {
                size: differences(*(answers(s.url, KEY, sized[:COMPARED]) for s in servers))
                for size, sized in bodies.items()
            }
            measured = measure(servers, bodies, args.connections, args.seconds, args.warmup)
    body = render(measured, compared, workers, args.connections, args.seconds)
    print(body)
    if not args.no_report:
        given = sys.argv[1:] if argv is None else argv
        command = report.command_line("benchmarks.endpoint_vs_azmlinfsrv", given)
        machine = report.machine(["flask", "gunicorn", "onnxruntime"])
        title = "### Ours vs azureml-inference-server-http"
        report.write_section(SECTION, report.header(title, command, machine) + "\n" + body)


if __name__ == "__main__":
    main()
