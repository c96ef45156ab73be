"""The KRaft cluster id never looks like a command-line option."""

from __future__ import annotations

import base64
import uuid

from emulator.kafka.broker import new_cluster_id

# 0xF8 as the first byte makes URL-safe base64 begin with "-".
_DASH_FIRST = uuid.UUID(bytes=b"\xf8" + bytes(15))
_PLAIN = uuid.UUID(bytes=b"\x10" + bytes(15))


def test_an_id_starting_with_a_dash_is_redrawn() -> None:
    draws = iter([_DASH_FIRST, _DASH_FIRST, _PLAIN])

    cluster_id = new_cluster_id(lambda: next(draws))

    assert base64.urlsafe_b64encode(_DASH_FIRST.bytes).decode().startswith("-")
    assert cluster_id == base64.urlsafe_b64encode(_PLAIN.bytes).decode().rstrip("=")


def test_ids_are_22_url_safe_characters() -> None:
    for _ in range(500):
        cluster_id = new_cluster_id()
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
        assert uuid.UUID(bytes=base64.urlsafe_b64decode(cluster_id + "==")).bytes
