"""Profiles: the same pipeline pointed at another Kafka, Schema Registry and Flink cluster.

A profile is the client configuration Confluent Cloud hands out ("client.properties": Java
properties with `bootstrap.servers`, `security.protocol=SASL_SSL`, `sasl.mechanisms=PLAIN`,
`sasl.username`/`sasl.password` = API key and secret, `schema.registry.url`,
`basic.auth.user.info` = registry key:secret), plus two of ours: `flink.rest.url`, a Flink
cluster's REST address, and Flink's own `python.executable`, the Python its workers run.
`ccflink --profile cloud ...` reads `cloud.properties` from the profiles folder
(`CCFLINK_PROFILES_DIR`, default `~/.ccflink/profiles`); a path to a file works too.
`${NAME}` in a value is taken from the environment, so secrets need not be on disk.

What a profile does not set stays local: without `schema.registry.url` the local registry is
used, without `flink.rest.url` the local Flink cluster. The catalog (tables, models,
connections, statements) always stays in the local state folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import CcflinkError

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Client settings passed on to Kafka clients; the rest of a client.properties file (Java-only
# settings such as client.dns.lookup, acks, session.timeout.ms) is not ours to forward.
_KAFKA_PREFIXES = ("security.", "sasl.", "ssl.")
_ALIASES = {"sasl.mechanisms": "sasl.mechanism"}  # librdkafka's spelling, as Confluent writes it
# Login modules as the Flink Kafka SQL connector jar shades them.
_SHADED_SECURITY = "org.apache.flink.kafka.shaded.org.apache.kafka.common.security"
_FLINK_LOGIN_MODULES = {
    "PLAIN": f"{_SHADED_SECURITY}.plain.PlainLoginModule",
    "SCRAM-SHA-256": f"{_SHADED_SECURITY}.scram.ScramLoginModule",
    "SCRAM-SHA-512": f"{_SHADED_SECURITY}.scram.ScramLoginModule",
}


class ProfileError(CcflinkError):
    """A profile cannot be found or read; the message names the file and the line."""

    exit_code = 2


@dataclass(frozen=True)
class Profile:
    """Where the clients connect when a profile is in use, and with which credentials."""

    name: str
    bootstrap_servers: str
    kafka_security: dict[str, str] = field(default_factory=dict)  # security.*, sasl.*, ssl.*
    schema_registry_url: str | None = None
    registry_user_info: str | None = None  # "key:secret"
    flink_rest_url: str | None = None
    python_executable: str | None = None  # Flink's `python.executable` on that cluster

    def __repr__(self) -> str:  # never show the secrets
        return f"Profile({self.name!r}, bootstrap_servers={self.bootstrap_servers!r})"

    @property
    def registry_auth(self) -> tuple[str, str] | None:
        if self.registry_user_info is None:
            return None
        key, _, secret = self.registry_user_info.partition(":")
        return key, secret

    def flink_kafka_properties(self) -> dict[str, str]:
        """The Kafka SQL connector's `properties.*` options for these credentials.

        Flink's Kafka clients are Java: the key and secret go into a JAAS line with the
        connector jar's shaded login module, instead of librdkafka's sasl.username/password.
        """
        options = {
            f"properties.{key}": value
            for key, value in self.kafka_security.items()
            if key not in {"sasl.username", "sasl.password"}
        }
        username = self.kafka_security.get("sasl.username")
        if username is not None:
            mechanism = self.kafka_security.get("sasl.mechanism", "PLAIN").upper()
            module = _FLINK_LOGIN_MODULES.get(mechanism)
            if module is None:
                raise ProfileError(
                    f"profile {self.name!r}: sasl.mechanism {mechanism} is not supported for "
                    f"Flink; use one of {', '.join(_FLINK_LOGIN_MODULES)}"
                )
            password = self.kafka_security.get("sasl.password", "")
            options["properties.sasl.jaas.config"] = (
                f'{module} required username="{_jaas_escape(username)}" '
                f'password="{_jaas_escape(password)}";'
            )
        return options

    def flink_registry_options(self, prefix: str) -> dict[str, str]:
        """The avro-confluent format's basic-auth options (`prefix` is `key.` or `value.`)."""
        if self.registry_user_info is None:
            return {}
        return {
            f"{prefix}avro-confluent.basic-auth.credentials-source": "USER_INFO",
            f"{prefix}avro-confluent.basic-auth.user-info": self.registry_user_info,
        }


def _jaas_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def profile_path(name_or_path: str, folder: Path) -> Path:
    """The file itself if given a path, else `<folder>/<name>.properties`."""
    given = Path(name_or_path).expanduser()
    if given.suffix == ".properties" or given.is_file():
        return given
    return folder.expanduser() / f"{name_or_path}.properties"


def _expand(value: str, path: Path, number: int, environ: Mapping[str, str]) -> str:
    def lookup(match: re.Match[str]) -> str:
        variable = match.group(1)
        if variable not in environ:
            raise ProfileError(f"{path}:{number}: environment variable {variable} is not set")
        return environ[variable]

    return _REFERENCE.sub(lookup, value)


def read_properties(path: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """Java-properties `key=value` (or `key: value`) lines; `#` and `!` start comments."""
    properties: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        match = re.match(r"([^=:\s]+)\s*[=:]\s*(.*)$", line)
        if match is None:
            raise ProfileError(f"{path}:{number}: expected key=value, got {line!r}")
        key = _ALIASES.get(match.group(1), match.group(1))
        properties[key] = _expand(match.group(2).strip(), path, number, environ)
    return properties


def load_profile(name_or_path: str, folder: Path, environ: Mapping[str, str]) -> Profile:
    """Read and check one profile; errors say which file and what is missing.

    A name is looked up in `folder`; `${NAME}` in a value comes from `environ`.
    """
    path = profile_path(name_or_path, folder)
    if not path.is_file():
        raise ProfileError(
            f"profile {name_or_path!r}: no file {path}; write Confluent Cloud's client "
            f"configuration there (see README, 'Point at a real cluster')"
        )
    properties = read_properties(path, environ)
    if "bootstrap.servers" not in properties:
        raise ProfileError(f"{path}: bootstrap.servers is required")
    source = properties.get("basic.auth.credentials.source", "USER_INFO").upper()
    if source != "USER_INFO":
        raise ProfileError(f"{path}: basic.auth.credentials.source {source} is not supported")
    user_info = properties.get("basic.auth.user.info")
    if user_info is not None and ":" not in user_info:
        raise ProfileError(f"{path}: basic.auth.user.info must be KEY:SECRET")
    return Profile(
        name=path.stem,
        bootstrap_servers=properties["bootstrap.servers"],
        kafka_security={k: v for k, v in properties.items() if k.startswith(_KAFKA_PREFIXES)},
        schema_registry_url=properties.get("schema.registry.url"),
        registry_user_info=user_info,
        flink_rest_url=properties.get("flink.rest.url"),
        python_executable=properties.get("python.executable"),
    )
