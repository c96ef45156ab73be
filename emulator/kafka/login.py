"""Check that a cluster takes our credentials, and say plainly why not.

A wrong API key or secret otherwise surfaces as "Broker transport failure": the real reason
is only in librdkafka's log, so this asks for the cluster's metadata with that log captured.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from emulator.process import ServiceError


class LoginError(ServiceError):
    """The cluster cannot be reached, or refused the credentials."""


class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def check_login(bootstrap_servers: str, security: Mapping[str, str], timeout: float = 10.0) -> None:
    """Return when the cluster answers a metadata request with these settings."""
    captured = _Captured()
    logger = logging.getLogger(f"{__name__}.probe")
    logger.propagate = False
    logger.addHandler(captured)
    try:
        admin = AdminClient({"bootstrap.servers": bootstrap_servers, **security, "logger": logger})
        admin.list_topics(timeout=timeout)
    except KafkaException as error:
        admin.poll(0.5)  # librdkafka hands its log lines over on poll
        refused = [line for line in captured.lines if "authentication" in line.lower()]
        who = security.get("sasl.username")
        if refused:
            reason = refused[-1].split(": ", 2)[-1]
            raise LoginError(
                f"Kafka at {bootstrap_servers} refused API key {who}: {reason}. "
                "Check sasl.username / sasl.password in the profile"
            ) from None
        raise LoginError(
            f"Kafka at {bootstrap_servers} did not answer within {timeout:.0f} s "
            f"({error.args[0].str()}); check bootstrap.servers and security.protocol"
        ) from None
    finally:
        logger.removeHandler(captured)
