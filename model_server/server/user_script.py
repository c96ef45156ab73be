"""Hosting the scoring script as Azure does: AZUREML_* set, file imported, `init()` once, `run()`.

The script is imported by file path, not as a package module, because Azure ships it as a loose
`score.py` beside the model; the same file must run unchanged here and there.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from model_server.server.config import ENTRY_SCRIPT_ENV, MODEL_DIR_ENV

# Module attributes a scoring script may set (at import or in init()) to describe its API.
INPUT_SAMPLE, OUTPUT_SAMPLE = "input_sample", "output_sample"
_UNSUPPORTED_PARAMETERS = {
    inspect.Parameter.VAR_POSITIONAL,
    inspect.Parameter.VAR_KEYWORD,
    inspect.Parameter.POSITIONAL_ONLY,
}


def load_entry_script(entry_script: Path) -> ModuleType:
    """Import the scoring script by file path; check `run` takes what Azure passes it."""
    spec = importlib.util.spec_from_file_location("azureml_entry_script", entry_script)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import scoring script {entry_script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    for name in ("init", "run"):
        if not callable(getattr(module, name, None)):
            raise AttributeError(f"{entry_script} does not define {name}()")
    parameters = inspect.signature(module.run).parameters.values()
    if any(p.kind in _UNSUPPORTED_PARAMETERS for p in parameters):
        raise TypeError("run() may not take *args, **kwargs or positional-only parameters")
    return module


class UserScript:
    """One imported, initialised scoring script, called the way azmlinfsrv calls it."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.passes_headers = "request_headers" in inspect.signature(module.run).parameters

    @classmethod
    def start(cls, entry_script: Path, model_dir: Path) -> UserScript:
        """Publish where the script and model are, import the script and run its `init()`."""
        os.environ[MODEL_DIR_ENV] = str(model_dir)
        os.environ[ENTRY_SCRIPT_ENV] = str(entry_script)
        module = load_entry_script(entry_script)
        module.init()
        return cls(module)

    def run(self, raw_data: str, headers: dict[str, str]) -> Any:
        """`run(raw_data)`, with `request_headers=` only when the script asks for them."""
        if self.passes_headers:
            return self.module.run(raw_data, request_headers=headers)
        return self.module.run(raw_data)

    @property
    def input_sample(self) -> Any:
        return getattr(self.module, INPUT_SAMPLE, None)

    @property
    def output_sample(self) -> Any:
        return getattr(self.module, OUTPUT_SAMPLE, None)
