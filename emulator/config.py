"""Where the local stack keeps its state, which ports it listens on, and every environment
variable ccflink reads (this module is the only one that reads them).

Everything is derived from environment variables with ecosystem defaults (Kafka 9092, Schema
Registry 8081, Flink REST 8082 because the registry owns 8081, model server 5001), so tests can
run a second stack on free ports in a temporary state folder without touching a developer's.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from common.errors import CcflinkError
from emulator import profiles
from emulator.profiles import Profile

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The address every service binds: loopback unless `up --secure` (check_exposure).
HOST_ENV = "CCFLINK_HOST"
LOOPBACK = "127.0.0.1"
PROFILE_ENV = "CCFLINK_PROFILE"
PROFILES_DIR_ENV = "CCFLINK_PROFILES_DIR"
# Azure ML's inference server takes its gunicorn worker count from WORKER_COUNT (default 1).
# Two here: one row per request is bound by Python's per-request cost, not by ONNX.
WORKER_COUNT_ENV = "WORKER_COUNT"
DEFAULT_WORKER_COUNT = 2
# Flink's own images take cluster configuration from FLINK_PROPERTIES; so does `ccflink up`.
FLINK_PROPERTIES_ENV = "FLINK_PROPERTIES"
REGISTRY_USERS_FILE_ENV = "CCFLINK_SCHEMA_REGISTRY_BASIC_AUTH_FILE"
REGISTRY_MAX_REQUEST_BYTES_ENV = "CCFLINK_SCHEMA_REGISTRY_MAX_REQUEST_BYTES"
# A registration is one `_schemas` record, and librdkafka's producer sends records of up to
# 1,000,000 bytes (message.max.bytes); the pipeline's largest body is 4 KB (29 KB for all 394
# Kaggle transaction columns).
DEFAULT_REGISTRY_MAX_REQUEST_BYTES = 1_000_000
# The endpoint key `flink connection create/update --api-key` take when given no value, so that
# it need not be on the command line (seen in `ps`, kept in shell history).
CONNECTION_API_KEY_ENV = "CCFLINK_CONNECTION_API_KEY"
# "off": statements reading another's exactly-once output commit on their own clock only
# (emulator/flink/chained_commits.py).
CHAINED_COMMITS_ENV = "CCFLINK_CHAINED_COMMITS"


class ConfigError(CcflinkError):
    """An environment variable or a state file holds what ccflink cannot use."""

    exit_code = 2


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
    # The browser workspace (CCFLINK_UI_PORT), always on loopback.
    ui: int = 8090


@dataclass(frozen=True)
class Settings:
    """One stack: its state folder, host, ports, and the jar cache it runs from."""

    state_dir: Path
    jars_dir: Path
    host: str = LOOPBACK
    ports: Ports = field(default_factory=Ports)
    # Another cluster's Kafka, registry and Flink (`ccflink --profile`); None: this stack's.
    # Under `up --secure`, this stack's own admin key (client_properties_file).
    profile: Profile | None = None
    # `ccflink up --secure`: every client needs an API key, as on Confluent Cloud.
    secure: bool = False

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
    def workspace_url(self) -> str:
        """The browser workspace: on loopback whatever the stack's host (emulator/workspace)."""
        return f"http://{LOOPBACK}:{self.ports.ui}"

    @property
    def flink_host(self) -> str:
        """Where Flink listens: loopback under --secure, since its REST API and RPC have no
        authentication of their own; else the stack's host."""
        return LOOPBACK if self.secure else self.host

    @property
    def own_flink(self) -> bool:
        """Whether statements run on this stack's Flink cluster (no profile names another)."""
        return self.profile is None or not self.profile.flink_rest_url

    @property
    def flink_rest_url(self) -> str:
        if self.profile is not None and self.profile.flink_rest_url:
            return self.profile.flink_rest_url.rstrip("/")
        return f"http://{self.flink_host}:{self.ports.flink_rest}"

    @property
    def client_properties_file(self) -> Path:
        """Under --secure, the stack's admin API key as a Confluent client configuration
        (0600): ccflink's own clients use it, and `--profile FILE` or your clients can."""
        return self.state_dir / "secrets" / "client.properties"

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
    def savepoints_dir(self) -> Path:
        """Where statements' savepoints go (`statement stop`, `drain`, `down`)."""
        return self.state_dir / "savepoints"

    @property
    def checkpoints_dir(self) -> Path:
        """Where Flink keeps statements' checkpoints, one folder per job, retained on cancel."""
        return self.state_dir / "flink" / "checkpoints"

    @property
    def python(self) -> str:
        """The Python Flink's workers run: this environment's, unless a profile names another."""
        if self.profile is not None and self.profile.python_executable:
            return self.profile.python_executable
        return sys.executable

    @property
    def model_api_key_file(self) -> Path:
        """The local endpoint's key; the model server's start makes it (mode 0600)."""
        return self.state_dir / "secrets" / "model-server.key"

    def model_api_key(self) -> str:
        """The local endpoint's key, as the model server's start wrote it."""
        if not self.model_api_key_file.exists():
            raise ConfigError(
                f"the local model endpoint has no key yet ({self.model_api_key_file}): "
                "`ccflink up` starts the endpoint and makes one"
            )
        return self.model_api_key_file.read_text().strip()


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse to bind services where other machines reach them unless every client needs a
    key: the open default authenticates nobody."""
    if not settings.secure and not is_loopback(settings.host):
        raise ConfigError(
            f"{HOST_ENV}={settings.host} would open Kafka, the Schema Registry and the model "
            f"server to other machines with no authentication: use `ccflink up --secure` (every "
            f"client needs an API key; Flink stays on {LOOPBACK}), or unset {HOST_ENV}"
        )


def port_variable(name: str) -> str:
    """The environment variable that sets the port `name` (a field of Ports)."""
    return f"CCFLINK_{name.upper()}_PORT"


def _port(name: str, default: int) -> int:
    variable = port_variable(name)
    value = os.environ.get(variable, str(default))
    if not value.strip().isdigit():
        raise ConfigError(f"{variable}={value!r}: give a port number")
    return int(value)


def jars_dir() -> Path:
    """The jar cache `make setup` fills (CCFLINK_JARS_DIR)."""
    return Path(os.environ.get("CCFLINK_JARS_DIR", PROJECT_ROOT / ".ccflink" / "jars")).resolve()


def profile_reference() -> str | None:
    """The profile `ccflink` uses when `--profile` is not given (CCFLINK_PROFILE)."""
    return os.environ.get(PROFILE_ENV) or None


def profiles_dir() -> Path:
    """Where profiles named without a path live (CCFLINK_PROFILES_DIR)."""
    return Path(os.environ.get(PROFILES_DIR_ENV, Path.home() / ".ccflink" / "profiles"))


def load_profile(name_or_path: str) -> Profile:
    """A profile by name (in CCFLINK_PROFILES_DIR) or path; `${NAME}` values from the env."""
    return profiles.load_profile(name_or_path, profiles_dir(), os.environ)


def model_server_workers() -> int:
    """Model server processes, from WORKER_COUNT as Azure ML reads it."""
    value = os.environ.get(WORKER_COUNT_ENV, str(DEFAULT_WORKER_COUNT))
    if not value.strip().isdigit() or int(value) < 1:
        raise ConfigError(f"{WORKER_COUNT_ENV}={value!r}: give a whole number >= 1")
    return int(value)


def flink_properties_text() -> str:
    """FLINK_PROPERTIES: `key: value` lines for the session cluster's configuration."""
    return os.environ.get(FLINK_PROPERTIES_ENV, "")


def registry_users_file() -> str | None:
    """The registry's basic-auth users file, when one is set (off by default)."""
    return os.environ.get(REGISTRY_USERS_FILE_ENV) or None


def registry_max_request_bytes() -> int:
    """The largest request body the registry reads (bigger ones are answered 413)."""
    value = os.environ.get(REGISTRY_MAX_REQUEST_BYTES_ENV, str(DEFAULT_REGISTRY_MAX_REQUEST_BYTES))
    if not value.strip().isdigit() or int(value) < 1:
        raise ConfigError(
            f"{REGISTRY_MAX_REQUEST_BYTES_ENV}={value!r}: give a number of bytes >= 1"
        )
    return int(value)


def chained_commits() -> bool:
    """Whether a statement reading another's output commits right after it (on by default)."""
    value = os.environ.get(CHAINED_COMMITS_ENV, "on").strip().lower()
    if value not in ("on", "off"):
        raise ConfigError(f"{CHAINED_COMMITS_ENV}={value!r}: give on or off")
    return value == "on"


def connection_api_key() -> str | None:
    """The endpoint key from CCFLINK_CONNECTION_API_KEY, when set."""
    return os.environ.get(CONNECTION_API_KEY_ENV) or None


def settings_from_env() -> Settings:
    """Settings for the stack this shell talks to: the saved ones if it runs, else the env's."""
    state_dir = Path(os.environ.get("CCFLINK_HOME", PROJECT_ROOT / ".ccflink")).resolve()
    saved = load_saved(state_dir)
    if saved is not None:
        return saved
    defaults = Ports()
    ports = Ports(**{name: _port(name, value) for name, value in asdict(defaults).items()})
    host = os.environ.get(HOST_ENV, LOOPBACK)
    return Settings(state_dir=state_dir, jars_dir=jars_dir(), host=host, ports=ports)


def _saved_path(state_dir: Path) -> Path:
    return state_dir / "stack.json"


def save(settings: Settings) -> None:
    """Record the running stack's ports so later commands (status, logs, sql) find it."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "jars_dir": str(settings.jars_dir),
        "host": settings.host,
        "ports": asdict(settings.ports),
        "secure": settings.secure,
    }
    _saved_path(settings.state_dir).write_text(json.dumps(data, indent=2))


def load_saved(state_dir: Path) -> Settings | None:
    path = _saved_path(state_dir)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    settings = Settings(
        state_dir=state_dir,
        jars_dir=Path(data["jars_dir"]),
        host=data["host"],
        ports=Ports(**data["ports"]),
        secure=data.get("secure", False),
    )
    return with_stack_key(settings) if settings.secure else settings


def with_stack_key(settings: Settings) -> Settings:
    """A --secure stack's settings with its admin key, for ccflink's own clients."""
    path = settings.client_properties_file
    if not path.is_file():
        raise ConfigError(
            f"the stack in {settings.state_dir} runs with --secure but its admin key is "
            f"missing ({path}): `ccflink down`, then `ccflink up --secure` makes a new one"
        )
    return replace(settings, profile=profiles.load_profile(str(path), path.parent, os.environ))


def forget(settings: Settings) -> None:
    _saved_path(settings.state_dir).unlink(missing_ok=True)
