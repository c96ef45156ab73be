"""Microsoft's azureml-inference-server-http, kept out of the project's venv.

It installs next to our pins without changing any of them, but brings ~27 packages (Azure SDK,
OpenTelemetry, pydantic) the project does not otherwise need. So it lives in its own venv under
.ccflink/ (git-ignored), built once with requirements.txt as constraints; a `.pth` file adds
the project venv's site-packages after its own, so the scoring script finds numpy and
onnxruntime. If the running interpreter already has the server installed, that one is used.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.config import PROJECT_ROOT
from emulator.ports import free_port_numbers
from tests.servers import Server

AMLIS_VERSION = "1.5.1"
AMLIS_VENV = Path(
    os.environ.get(
        "CCFLINK_AZMLINFSRV_VENV", PROJECT_ROOT / ".ccflink" / f"azmlinfsrv-{AMLIS_VERSION}"
    )
)
_READY = ".ccflink-ready"


def _build_venv(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--progress-bar",
            "off",
            "-c",
            str(PROJECT_ROOT / "requirements.txt"),
            f"azureml-inference-server-http=={AMLIS_VERSION}",
        ],
        check=True,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Last on the path: the server's own packages win, numpy/onnxruntime come from ours.
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib) / "zz_ccflink_project.pth").write_text("\n".join(sorted(ours)) + "\n")
    (folder / _READY).write_text(f"{time.monotonic() - started:.1f} s\n")


@pytest.fixture(scope="session")
def azmlinfsrv() -> list[str]:
    """The command that starts Microsoft's server (`azmlinfsrv` console script)."""
    if importlib.util.find_spec("azureml_inference_server_http") is not None:
        return [
            sys.executable,
            "-c",
            "from azureml_inference_server_http.amlserver import run; run()",
        ]
    if not (AMLIS_VENV / _READY).is_file():
        _build_venv(AMLIS_VENV)
    return [str(AMLIS_VENV / "bin" / "azmlinfsrv")]


@pytest.fixture(scope="session")
def start_pair(azmlinfsrv: list[str]) -> Iterator:
    """start_pair(script, model_dir, key) -> (microsoft, ours), both answering GET /."""
    servers: list[Server] = []

    def start(script: Path, model_dir: Path, key: str) -> tuple[Server, Server]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AZUREML_")}
        ms_port, our_port = free_port_numbers(2)
        microsoft = Server(
            "azmlinfsrv",
            [
                *azmlinfsrv,
                "--entry_script",
                str(script),
                "--model_dir",
                str(model_dir),
                "--port",
                str(ms_port),
            ],
            ms_port,
            env,
        )
        ours = Server(
            "model_server",
            [
                sys.executable,
                "-m",
                "model_server",
                "--entry-script",
                str(script),
                "--model-dir",
                str(model_dir),
                "--port",
                str(our_port),
            ],
            our_port,
            {**env, "CCFLINK_MODEL_API_KEYS": key},
        )
        servers.extend([microsoft, ours])
        microsoft.wait()
        ours.wait()
        return microsoft, ours

    try:
        yield start
    finally:
        for server in servers:
            server.close()
