"""docker/: the compose file and Dockerfiles are consistent (no Docker engine runs them here).

Checks every service, image or build context, Dockerfile and the files it copies, published
port, listening port and volume, against each other, the README's defaults and the project's
pinned versions.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
import yaml

from emulator.config import Ports

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "docker-compose.yml"
SERVICES = {"kafka", "schema-registry", "flink-jobmanager", "flink-taskmanager", "model-server"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def readme_ports() -> dict[str, int]:
    """The service table of README.md: service name -> default port."""
    ports = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        match = re.match(r"\|\s*([^|]+?)\s*\|\s*`(?:http://)?127\.0\.0\.1:(\d+)", line)
        if match:
            ports[match.group(1)] = int(match.group(2))
    return ports


def published(service: dict) -> list[tuple[str, int, int]]:
    """(host ip, host port, container port) of each short-syntax port mapping."""
    out = []
    for entry in service.get("ports", []):
        host_ip, host_port, container = str(entry).split(":")
        out.append((host_ip, int(host_port), int(container.split("/")[0])))
    return out


def build_of(service: dict) -> tuple[Path, Path] | None:
    build = service.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        build = {"context": build}
    context = (DOCKER / build["context"]).resolve()
    return context, context / build.get("dockerfile", "Dockerfile")


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def ignored(relative: str, patterns: list[str]) -> bool:
    """.dockerignore semantics, enough for ours: last matching pattern wins, `!` re-includes,
    a pattern matching a parent folder matches what is inside it."""
    path = PurePosixPath(relative)
    candidates = [str(path)] + [str(p) for p in path.parents if str(p) != "."]
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        bare = pattern.removeprefix("**/")
        hit = any(
            fnmatch.fnmatchcase(c, pattern) or fnmatch.fnmatchcase(PurePosixPath(c).name, bare)
            if pattern.startswith("**/")
            else fnmatch.fnmatchcase(c, pattern)
            for c in candidates
        )
        if hit:
            result = not negate
    return result


def dockerignore(dockerfile: Path) -> list[str]:
    path = dockerfile.with_name(dockerfile.name + ".dockerignore")
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


# --------------------------------------------------------------------------- services, images


def test_services(services: dict, compose: dict) -> None:
    assert set(services) == SERVICES
    assert compose.get("name") == "ccflink"


def test_every_service_has_a_pinned_image_or_a_build(services: dict) -> None:
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        image = service.get("image", "")
        if image:
            repository, _, tag = image.rpartition(":")
            assert repository and tag and tag != "latest", f"{name}: pin {image}"
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["schema-registry"]["image"].startswith("confluentinc/cp-schema-registry:")


def test_image_versions_follow_the_project_pins(services: dict) -> None:
    pom = (ROOT / "pom.xml").read_text()
    kafka_version = re.search(r"<kafka.version>([^<]+)<", pom).group(1)
    assert services["kafka"]["image"] == f"apache/kafka:{kafka_version}"
    requirements = (ROOT / "requirements.txt").read_text()
    flink_version = re.search(r"^apache-flink==(\S+)$", requirements, re.M).group(1)
    for name in ("flink-jobmanager", "flink-taskmanager"):
        assert services[name]["image"].endswith(f":{flink_version}"), name


def test_build_contexts_dockerfiles_and_copied_files_exist(services: dict) -> None:
    built = 0
    for name, service in services.items():
        build = build_of(service)
        if build is None:
            continue
        built += 1
        context, dockerfile = build
        assert context.is_dir(), f"{name}: no build context {context}"
        assert dockerfile.is_file(), f"{name}: no Dockerfile {dockerfile}"
        assert context == ROOT, f"{name}: the Dockerfiles copy project files"
        patterns = dockerignore(dockerfile)
        assert patterns, f"{name}: keep .venv and .ccflink out of the context"
        steps = instructions(dockerfile)
        assert steps[0][0] == "FROM" or any(w == "FROM" for w, _ in steps)
        stage_names = {args.split()[-1] for word, args in steps if word == "FROM"}
        target = service["build"].get("target") if isinstance(service["build"], dict) else None
        assert target is None or target in stage_names, f"{name}: no stage {target}"
        for word, args in steps:
            if word == "FROM":
                image = args.split()[0]
                pinned = ":" in image and not image.endswith(":latest")
                assert image in stage_names or pinned, f"{name}: pin {image}"
            if word not in ("COPY", "ADD"):
                continue
            parts = [p for p in args.split() if not p.startswith("--")]
            if any(p.startswith("--from=") for p in args.split()):
                continue
            for source in parts[:-1]:
                assert (context / source).exists(), f"{name}: {source} is missing"
                assert not ignored(source, patterns), f"{name}: {source} is .dockerignored"
        assert ignored(".venv", patterns) and ignored(".ccflink/jars/x.jar", patterns)
    assert built == 3  # JobManager, TaskManager (same image) and model server


def test_same_image_same_build(services: dict) -> None:
    jobmanager, taskmanager = services["flink-jobmanager"], services["flink-taskmanager"]
    assert jobmanager["image"] == taskmanager["image"]
    assert build_of(jobmanager) == build_of(taskmanager)


# --------------------------------------------------------------------------- ports


def test_published_ports_match_the_readme_and_config_defaults(services: dict) -> None:
    readme = readme_ports()
    expected = {
        readme["Kafka broker"],
        readme["Schema Registry"],
        readme["Flink"],
        readme["Model endpoint"],
    }
    defaults = Ports()
    assert expected == {
        defaults.kafka,
        defaults.schema_registry,
        defaults.flink_rest,
        defaults.model_server,
    }
    mappings = [m for s in services.values() for m in published(s)]
    host_ports = [host for _, host, _ in mappings]
    assert len(host_ports) == len(set(host_ports)), "a host port is published twice"
    assert set(host_ports) == expected
    for host_ip, host, container in mappings:
        assert host_ip == "127.0.0.1", "the README promises 127.0.0.1 only"
        assert host == container


def test_shared_namespace_listens_without_collisions(services: dict) -> None:
    owner = "kafka"
    listening: dict[int, str] = {}
    for name, service in services.items():
        mode = service.get("network_mode")
        if name == owner:
            assert mode is None
        else:
            assert mode == f"service:{owner}", name
            assert "ports" not in service, f"{name}: publish on the namespace owner"
            assert owner in service.get("depends_on", {}) or service.get("depends_on"), name
        for port in service.get("x-listens", []):
            assert port not in listening, f"{name} and {listening.get(port)} both use {port}"
            listening[port] = name
    for _, _, container in published(services[owner]):
        assert container in listening, f"published port {container} has no listener"


def test_service_configs_use_the_declared_ports(services: dict) -> None:
    defaults = Ports()
    kafka_env = services["kafka"]["environment"]
    assert f":{defaults.kafka}" in kafka_env["KAFKA_LISTENERS"]
    assert kafka_env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://127.0.0.1:{defaults.kafka}"
    assert f":{defaults.kafka_controller}" in kafka_env["KAFKA_CONTROLLER_QUORUM_VOTERS"]
    assert services["kafka"]["x-listens"] == [defaults.kafka, defaults.kafka_controller]

    registry_env = services["schema-registry"]["environment"]
    assert registry_env["SCHEMA_REGISTRY_LISTENERS"].endswith(f":{defaults.schema_registry}")
    assert registry_env["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"].endswith(
        f"127.0.0.1:{defaults.kafka}"
    )
    assert services["schema-registry"]["x-listens"] == [defaults.schema_registry]

    flink = yaml.safe_load((DOCKER / "flink" / "overrides.yaml").read_text())
    assert flink["rest.port"] == defaults.flink_rest
    assert flink["jobmanager.rpc.port"] == defaults.flink_rpc
    assert services["flink-jobmanager"]["x-listens"] == [defaults.flink_rest, defaults.flink_rpc]
    assert (
        flink["python.executable"] == flink["python.client.executable"] == ("/usr/local/bin/python")
    )  # the python:3.11 base image's interpreter, the one `ccflink sql` runs in there

    entrypoint = (DOCKER / "model-server" / "entrypoint.sh").read_text()
    assert f"--port {defaults.model_server}" in entrypoint
    assert services["model-server"]["x-listens"] == [defaults.model_server]


def test_healthchecks_probe_the_right_ports(services: dict) -> None:
    defaults = Ports()
    expected = {
        "kafka": defaults.kafka,
        "schema-registry": defaults.schema_registry,
        "flink-jobmanager": defaults.flink_rest,
        "model-server": defaults.model_server,
    }
    for name, port in expected.items():
        test = " ".join(services[name]["healthcheck"]["test"])
        assert f"127.0.0.1:{port}" in test, name


def test_depends_on_points_at_services_with_healthchecks(services: dict) -> None:
    for name, service in services.items():
        for other, condition in service.get("depends_on", {}).items():
            assert other in services, f"{name} depends on unknown {other}"
            if condition.get("condition") == "service_healthy":
                assert "healthcheck" in services[other], f"{other} has no healthcheck"


def test_exposed_ports_match_the_listeners(services: dict) -> None:
    for name in ("flink-jobmanager", "model-server"):
        _, dockerfile = build_of(services[name])
        exposed = {
            int(p.split("/")[0])
            for word, args in instructions(dockerfile)
            if word == "EXPOSE"
            for p in args.split()
        }
        assert set(services[name]["x-listens"]) <= exposed, name


# --------------------------------------------------------------------------- volumes, layout


def test_volumes_are_declared_and_used(compose: dict, services: dict) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, service in services.items():
        for entry in service.get("volumes", []):
            source, target = str(entry).split(":")[:2]
            assert target.startswith("/"), f"{name}: {entry}"
            if source.startswith((".", "/")):
                assert (DOCKER / source).exists(), f"{name}: bind source {source} is missing"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
                used.add(source)
    assert used == declared, f"unused volumes: {declared - used}"
    assert "/var/lib/kafka/data" in services["kafka"]["volumes"][0]
    assert services["kafka"]["environment"]["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"


def test_model_server_has_the_azure_ml_layout(services: dict) -> None:
    _, dockerfile = build_of(services["model-server"])
    env = " ".join(args for word, args in instructions(dockerfile) if word == "ENV")
    model_dir = re.search(r"AZUREML_MODEL_DIR=(\S+)", env).group(1)
    entry_script = re.search(r"AZUREML_ENTRY_SCRIPT=(\S+)", env).group(1)
    assert model_dir.startswith("/var/azureml-app/azureml-models/")
    assert entry_script == "/var/azureml-app/score.py"
    (volume,) = services["model-server"]["volumes"]
    assert model_dir.startswith(volume.split(":")[1] + "/"), "the model must persist"
    copies = [args for word, args in instructions(dockerfile) if word == "COPY"]
    assert "model_server/score.py score.py" in copies
    assert "CCFLINK_MODEL_API_KEYS" in services["model-server"]["environment"]


def test_flink_image_carries_the_connector_jars() -> None:
    dockerfile = DOCKER / "ccflink" / "Dockerfile"
    text = dockerfile.read_text()
    assert "COPY pom.xml" in text and "-Djars.dir=/jars" in text
    assert "COPY --from=jars /jars/flink /opt/ccflink/jars/flink" in text
    assert "CCFLINK_JARS_DIR=/opt/ccflink/jars" in text
    pom = (ROOT / "pom.xml").read_text()
    assert "flink-sql-connector-kafka" in pom and "flink-sql-avro-confluent-registry" in pom


def test_flink_configure_script_keeps_java17_options(tmp_path: Path) -> None:
    target = tmp_path / "conf"
    subprocess.run(
        [
            sys.executable,
            str(DOCKER / "flink" / "configure.py"),
            str(DOCKER / "flink" / "overrides.yaml"),
            str(target),
        ],
        check=True,
    )
    config = yaml.safe_load((target / "config.yaml").read_text())
    assert config["rest"]["port"] == Ports().flink_rest
    assert config["rest"]["bind-address"] == "0.0.0.0"
    assert "--add-opens" in config["env"]["java"]["opts"]["all"]
    assert (target / "log4j-console.properties").exists()


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
@pytest.mark.parametrize("script", ["flink/entrypoint.sh", "model-server/entrypoint.sh"])
def test_entrypoints_are_valid_bash(script: str) -> None:
    path = DOCKER / script
    assert path.read_text().startswith("#!/usr/bin/env bash")
    subprocess.run(["bash", "-n", str(path)], check=True)


def test_readme_says_it_is_not_exercised() -> None:
    text = (DOCKER / "README.md").read_text()
    assert "Not exercised here" in text
    assert "docker compose -f docker/docker-compose.yml up" in text
