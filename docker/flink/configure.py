"""Image build step: copy PyFlink's conf/ to FLINK_CONF_DIR and apply overrides.yaml to it.

Usage: python configure.py OVERRIDES_YAML TARGET_CONF_DIR
Flat keys ("rest.port") are written nested, as emulator/flink/cluster.py writes them.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pyflink
import yaml


def nest(config: dict, dotted: str, value: object) -> None:
    node = config
    *parents, leaf = dotted.split(".")
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


def main(overrides_path: str, target: str) -> None:
    source = Path(pyflink.__file__).resolve().parent / "conf"
    target_dir = Path(target)
    if target_dir.exists():
        shutil.rmtree(target_dir)
    shutil.copytree(source, target_dir)
    config = yaml.safe_load((target_dir / "config.yaml").read_text()) or {}
    for key, value in yaml.safe_load(Path(overrides_path).read_text()).items():
        nest(config, key, value)
    (target_dir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


if __name__ == "__main__":
    main(*sys.argv[1:3])
