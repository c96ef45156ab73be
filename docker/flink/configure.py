"""Image build step: PyFlink's conf/ in FLINK_CONF_DIR with overrides.yaml applied.

Usage: python configure.py OVERRIDES_YAML TARGET_CONF_DIR (ccflink is installed in the image).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from emulator.flink.cluster import write_flink_conf


def main(overrides_path: str, target: str) -> None:
    write_flink_conf(Path(target), yaml.safe_load(Path(overrides_path).read_text()))


if __name__ == "__main__":
    main(*sys.argv[1:3])
