"""Microsoft's azureml-inference-server-http, kept out of the project's venv.

It installs next to our pins without changing any of them, but brings ~27 packages (Azure SDK,
OpenTelemetry, pydantic) the project does not otherwise need. So it lives in its own venv under
.ccflink/ (git-ignored), built once with requirements.txt as constraints; a `.pth` file adds
the project venv's site-packages after its own, so the scoring script finds numpy and
onnxruntime. If the running interpreter already has the server installed, that one is used.
The contract tests (tests/contract) and the endpoint benchmark both start it from here.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from emulator.config import PROJECT_ROOT

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


def azmlinfsrv_command() -> list[str]:
    """The command that starts Microsoft's server (its `azmlinfsrv` console script)."""
    if importlib.util.find_spec("azureml_inference_server_http") is not None:
        return [
            sys.executable,
            "-c",
            "from azureml_inference_server_http.amlserver import run; run()",
        ]
    if not (AMLIS_VENV / _READY).is_file():
        _build_venv(AMLIS_VENV)
    return [str(AMLIS_VENV / "bin" / "azmlinfsrv")]
