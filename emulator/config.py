"""Where the local stack keeps its state and which ports it listens on.

Everything is derived from environment variables with ecosystem defaults (Kafka 9092, Schema
Registry 8081, Flink REST 8082 because the registry owns 8081, model server 5001), so tests can
run a second stack on free ports in a temporary state folder without touching a developer's.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from emulator.profiles import Profile

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Ports:
    kafka: int = 9092
    kafka_controller: int = 9093
    # SASL/PLAIN listener with ACLs, for API keys (emulator/kafka/security.py); 0: none.
    kafka_sasl: int = 9094
    schema_registry: int = 8081
    flink_rest: int = 8082
    flink_rpc: int = 6123
    model_server: int = 5001


@dataclass(frozen=True)
class Settings:
    """One stack: its state folder, host, ports, and the jar cache it runs from."""

    state_dir: Path
    jars_dir: Path
    host: str = "127.0.0.1"
    ports: Ports = field(default_factory=Ports)
    # Another cluster's Kafka, registry and Flink (`ccflink --profile`); None: this stack's.
    profile: Profile | None = None

    @property
    def bootstrap_servers(self) -> str:
        if self.profile is not None:
            return self.profile.bootstrap_servers
        return f"{self.host}:{self.ports.kafka}"

    @property
    def kafka_security(self) -> dict[str, str]:
        """librdkafka's security.* / sasl.* / ssl.* settings for the cluster in use."""
        return dict(self.profile.kafka_security) if self.profile is not None else {}

    @property
    def schema_registry_url(self) -> str:
        if self.profile is not None and self.profile.schema_registry_url:
            return self.profile.schema_registry_url
        return f"http://{self.host}:{self.ports.schema_registry}"

    @property
    def registry_auth(self) -> tuple[str, str] | None:
        """(key, secret) for the registry's basic auth, when the profile gives one."""
        if self.profile is not None and self.profile.schema_registry_url:
            return self.profile.registry_auth
        return None

    @property
    def model_server_url(self) -> str:
        return f"http://{self.host}:{self.ports.model_server}"

    @property
    def flink_rest_url(self) -> str:
        if self.profile is not None and self.profile.flink_rest_url:
            return self.profile.flink_rest_url.rstrip("/")
        return f"http://{self.host}:{self.ports.flink_rest}"

    @property
    def model_dir(self) -> Path:
        """AZUREML_MODEL_DIR of the local endpoint: the trained ONNX model and its metadata."""
        return self.state_dir / "model"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def pids_dir(self) -> Path:
        return self.state_dir / "pids"

    @property
    def python(self) -> str:
        """The Python Flink's workers run: this environment's, unless a profile names another."""
        if self.profile is not None and self.profile.python_executable:
            return self.profile.python_executable
        return sys.executable

    def model_api_key(self) -> str:
        """The local endpoint's key: made once per state folder, kept readable by the owner only."""
        path = self.state_dir / "secrets" / "model-server.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_text(secrets.token_urlsafe(24))
            path.chmod(0o600)
        return path.read_text().strip()


def _port(name: str, default: int) -> int:
    return int(os.environ.get(f"CCFLINK_{name.upper()}_PORT", default))


def settings_from_env() -> Settings:
    """Settings for the stack this shell talks to: the saved ones if it runs, else the env's."""
    state_dir = Path(os.environ.get("CCFLINK_HOME", PROJECT_ROOT / ".ccflink")).resolve()
    saved = load_saved(state_dir)
    if saved is not None:
        return saved
    jars_dir = Path(os.environ.get("CCFLINK_JARS_DIR", PROJECT_ROOT / ".ccflink" / "jars"))
    defaults = Ports()
    ports = Ports(**{name: _port(name, value) for name, value in asdict(defaults).items()})
    host = os.environ.get("CCFLINK_HOST", "127.0.0.1")
    return Settings(state_dir=state_dir, jars_dir=jars_dir.resolve(), host=host, ports=ports)


def _saved_path(state_dir: Path) -> Path:
    return state_dir / "stack.json"


def save(settings: Settings) -> None:
    """Record the running stack's ports so later commands (status, logs, sql) find it."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "jars_dir": str(settings.jars_dir),
        "host": settings.host,
        "ports": asdict(settings.ports),
    }
    _saved_path(settings.state_dir).write_text(json.dumps(data, indent=2))


def load_saved(state_dir: Path) -> Settings | None:
    path = _saved_path(state_dir)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return Settings(
        state_dir=state_dir,
        jars_dir=Path(data["jars_dir"]),
        host=data["host"],
        ports=Ports(**data["ports"]),
    )


def forget(settings: Settings) -> None:
    _saved_path(settings.state_dir).unlink(missing_ok=True)
