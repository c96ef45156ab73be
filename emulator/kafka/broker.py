"""A single-node Apache Kafka broker in KRaft mode, run from the official jars.

The broker is both controller and broker (combined mode), listens on the configured host only,
and keeps its log directory in the state folder, so topics survive `down`/`up`.

Next to the unauthenticated PLAINTEXT listener that everything local uses, a SASL_PLAINTEXT
listener (port `kafka_sasl`, 0 for none) authenticates API keys with SASL/PLAIN, as Confluent
Cloud does, and authorizes them with Kafka's own ACLs (KRaft's StandardAuthorizer); PLAINTEXT
clients are `User:ANONYMOUS`, a super user, so they are never refused. Keys are checked by
ccflink's callback handler (emulator/kafka/plain-auth, built by `make setup`) against the
credentials file in the state folder. See emulator/kafka/security.py.

Under `ccflink up --secure` there is no PLAINTEXT listener: clients, the broker's own
inter-broker traffic and its controller all log in with SASL/PLAIN on the client port, so no
principal is anonymous. The broker logs in with a key of its own; it and the stack's admin key
(security.ensure_stack_keys) are the only super users.
"""

from __future__ import annotations

import base64
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from emulator.config import Settings
from emulator.process import ManagedProcess, ServiceError
from emulator.profiles import read_properties

NAME = "kafka"
# One broker of a local stack: its page cache does the caching, so a small heap keeps the
# stack's resident memory under 4 GB with room to spare (the pipeline's runs peak below it).
BROKER_HEAP = "-Xmx512m"

_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


def data_dir(settings: Settings) -> Path:
    return settings.state_dir / "kafka" / "data"


def _config_dir(settings: Settings) -> Path:
    return settings.state_dir / "kafka" / "config"


SASL_LISTENER = "SASL_PLAINTEXT"
MECHANISM = "PLAIN"  # the SASL listener's only mechanism, as on Confluent Cloud
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
SUPER_USERS = "User:ANONYMOUS"  # the PLAINTEXT and CONTROLLER listeners' principal
# emulator/kafka/plain-auth: checks PLAIN logins against `credentials_file`, re-read on change.
PLAIN_AUTH_JAR = "ccflink-plain-auth.jar"
PLAIN_CALLBACK_HANDLER = "io.ccflink.kafka.ApiKeyPlainCallbackHandler"
PLAIN_FILE_OPTION = "ccflink.credentials.file"  # its JAAS option


def secrets_dir(settings: Settings) -> Path:
    return settings.state_dir / "secrets"


def credentials_file(settings: Settings) -> Path:
    """The API keys' salted hashes, read by the broker and the registry (security.py writes it)."""
    return secrets_dir(settings) / "api-key-credentials"


def broker_login_file(settings: Settings) -> Path:
    """Under --secure, the broker's own key and secret (0600; security.ensure_stack_keys)."""
    return secrets_dir(settings) / "broker.properties"


def _login(path: Path) -> tuple[str, str]:
    """(sasl.username, sasl.password) of a client properties file."""
    if not path.is_file():
        raise ServiceError(f"kafka: {path} is missing: `ccflink up --secure` writes it")
    properties = read_properties(path, {})
    return properties["sasl.username"], properties["sasl.password"]


def _jaas_string(value: str) -> str:
    """`value` as a quoted JAAS option, escaped for JAAS, then for the .properties file."""
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return quoted.replace("\\", "\\\\")


def _sasl_properties(settings: Settings) -> list[str]:
    """The SASL listener's PLAIN login, and ACL authorization with PLAINTEXT as super user."""
    prefix = f"listener.name.{SASL_LISTENER.lower()}"
    plain_login = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f"{PLAIN_FILE_OPTION}={_jaas_string(str(credentials_file(settings)))};"
    )
    return [
        f"{prefix}.sasl.enabled.mechanisms={MECHANISM}",
        f"{prefix}.plain.sasl.jaas.config={plain_login}",
        f"{prefix}.plain.sasl.server.callback.handler.class={PLAIN_CALLBACK_HANDLER}",
        f"authorizer.class.name={AUTHORIZER}",
        f"super.users={SUPER_USERS}",
        "allow.everyone.if.no.acl.found=false",
    ]


def server_properties(settings: Settings) -> str:
    host, ports = settings.host, settings.ports
    if settings.secure:
        listeners = [f"{SASL_LISTENER}://{host}:{ports.kafka}"]
        protocols = [f"{SASL_LISTENER}:SASL_PLAINTEXT", "CONTROLLER:SASL_PLAINTEXT"]
        security = _secure_properties(settings)
        inter_broker = SASL_LISTENER
    else:
        listeners = [f"PLAINTEXT://{host}:{ports.kafka}"]
        protocols = ["PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"]
        if ports.kafka_sasl:
            listeners.append(f"{SASL_LISTENER}://{host}:{ports.kafka_sasl}")
            protocols.append(f"{SASL_LISTENER}:SASL_PLAINTEXT")
        security = _sasl_properties(settings) if ports.kafka_sasl else []
        inter_broker = "PLAINTEXT"
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@{host}:{ports.kafka_controller}",
            f"listeners={','.join([*listeners, f'CONTROLLER://{host}:{ports.kafka_controller}'])}",
            f"advertised.listeners={','.join(listeners)}",
            "controller.listener.names=CONTROLLER",
            f"inter.broker.listener.name={inter_broker}",
            f"listener.security.protocol.map={','.join(protocols)}",
            *security,
            f"log.dirs={data_dir(settings)}",
            # Confluent Cloud does not create topics on first use: tables create them.
            "auto.create.topics.enable=false",
            "num.partitions=1",
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "",
        ]
    )


def _secure_properties(settings: Settings) -> list[str]:
    """--secure: PLAIN logins checked against the credentials file on the client and
    controller listeners, the broker logging in to both with its own key, ACLs for everyone
    else."""
    broker_key, broker_secret = _login(broker_login_file(settings))
    admin_key, _ = _login(settings.client_properties_file)
    plain_login = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f"username={_jaas_string(broker_key)} password={_jaas_string(broker_secret)} "
        f"{PLAIN_FILE_OPTION}={_jaas_string(str(credentials_file(settings)))};"
    )
    per_listener = [
        line
        for listener in (SASL_LISTENER.lower(), "controller")
        for line in (
            f"listener.name.{listener}.sasl.enabled.mechanisms={MECHANISM}",
            f"listener.name.{listener}.plain.sasl.jaas.config={plain_login}",
            f"listener.name.{listener}.plain.sasl.server.callback.handler.class="
            f"{PLAIN_CALLBACK_HANDLER}",
        )
    ]
    return [
        *per_listener,
        f"sasl.mechanism.inter.broker.protocol={MECHANISM}",
        f"sasl.mechanism.controller.protocol={MECHANISM}",
        f"authorizer.class.name={AUTHORIZER}",
        f"super.users=User:{broker_key};User:{admin_key}",
        "allow.everyone.if.no.acl.found=false",
    ]


def _classpath(settings: Settings) -> str:
    jars = settings.jars_dir / "kafka"
    if not (jars / f"kafka_2.13-{_kafka_version(jars)}.jar").exists():
        raise ServiceError(f"Kafka jars are missing in {jars}: run `make setup` first.")
    if settings.ports.kafka_sasl and not (jars / PLAIN_AUTH_JAR).exists():
        raise ServiceError(
            f"{PLAIN_AUTH_JAR} (the SASL listener's API-key check) is missing in {jars}: "
            "run `make setup` first."
        )
    return f"{jars}/*"


def _kafka_version(jars: Path) -> str:
    for jar in jars.glob("kafka_2.13-*.jar"):
        return jar.name.removeprefix("kafka_2.13-").removesuffix(".jar")
    return "missing"


def new_cluster_id(random_uuid: Callable[[], uuid.UUID] = uuid.uuid4) -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding.

    Like Kafka's own ``Uuid.randomUuid``, redraw ids that start with ``-``: one in
    sixty-four does, and a command-line parser would take it for an option.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(random_uuid().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def prepare(settings: Settings) -> list[str]:
    """Write the broker config, format storage once, and return the start command."""
    config_dir = _config_dir(settings)
    config_dir.mkdir(parents=True, exist_ok=True)
    properties = config_dir / "server.properties"
    # Under --secure it holds the broker's own secret: only its owner may read it.
    properties.touch(mode=0o600)
    properties.chmod(0o600)
    properties.write_text(server_properties(settings))
    log4j = config_dir / "log4j2.properties"
    log4j.write_text(_LOG4J2)
    java = [
        "java",
        "-Xms256m",
        BROKER_HEAP,
        f"-Dlog4j2.configurationFile={log4j}",
        "-cp",
        _classpath(settings),
    ]
    if not (data_dir(settings) / "meta.properties").exists():
        formatted = subprocess.run(
            [
                *java,
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={new_cluster_id()}",
                f"--config={properties}",
            ],
            capture_output=True,
            text=True,
        )
        if formatted.returncode != 0:
            raise ServiceError(
                f"kafka: formatting the KRaft storage in {data_dir(settings)} failed:\n"
                f"{formatted.stdout}{formatted.stderr}"
            )
    return [*java, "kafka.Kafka", str(properties)]


def is_ready(settings: Settings) -> bool:
    """The broker answers a metadata request within a few seconds.

    librdkafka gives up within the 3 s it is given, so a broker that does not listen yet is
    asked again soon and `make up` goes on as soon as it answers.
    """
    admin = AdminClient(
        {"bootstrap.servers": settings.bootstrap_servers, **settings.kafka_security, "log_level": 0}
    )
    try:
        admin.list_topics(timeout=3)
    except KafkaException:
        return False
    return True


def start(settings: Settings) -> ManagedProcess:
    process = ManagedProcess(NAME, settings)
    process.start(prepare(settings))
    process.wait_ready(lambda: is_ready(settings), timeout=60, what="broker metadata")
    return process
