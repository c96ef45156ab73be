"""What a key's registry role lets it do, as Confluent's RBAC roles on Schema Registry subjects.

A request is one operation on one resource, named as Confluent names them (Read, Write, Delete,
AlterCompatibility on `Subject: <name>`), so a refusal reads like Confluent's 40301:
"User is denied operation Delete on Subject: orders-value".

- ResourceOwner: everything. The default role, and the role of keys made before roles.
- DeveloperWrite: read, and register schemas; no deletes, no compatibility changes.
- DeveloperRead: read only: GETs, and the two POSTs that change nothing (looking a schema up
  under a subject, testing compatibility), which serializers send without registering.

The role names are the key store's (emulator/kafka/security.py keeps them with each key).
"""

from __future__ import annotations

from dataclasses import dataclass

READ, WRITE, DELETE, ALTER_COMPATIBILITY = "Read", "Write", "Delete", "AlterCompatibility"

ALLOWED: dict[str, frozenset[str]] = {
    "ResourceOwner": frozenset({READ, WRITE, DELETE, ALTER_COMPATIBILITY}),
    "DeveloperWrite": frozenset({READ, WRITE}),
    "DeveloperRead": frozenset({READ}),
}
GLOBAL = "the global compatibility level"


@dataclass(frozen=True)
class Operation:
    name: str
    resource: str


def operation(method: str, path: str) -> Operation:
    """The operation a request makes, from its method and path (any route, known or not)."""
    parts = [part for part in path.split("/") if part]
    subject = _subject(parts)
    resource = f"Subject: {subject}" if subject is not None else GLOBAL
    method = method.upper()
    if method in ("GET", "HEAD", "OPTIONS"):
        return Operation(READ, resource)
    if method == "POST" and parts[:1] == ["compatibility"]:
        return Operation(READ, resource)
    if method == "POST" and parts[:1] == ["subjects"] and len(parts) == 2:
        return Operation(READ, resource)  # a lookup
    if method == "DELETE":
        return Operation(DELETE, resource)
    if method == "PUT" and parts[:1] == ["config"]:
        return Operation(ALTER_COMPATIBILITY, resource)
    return Operation(WRITE, resource)


def _subject(parts: list[str]) -> str | None:
    if parts[:1] in (["subjects"], ["config"]) and len(parts) > 1:
        return parts[1]
    if parts[:2] == ["compatibility", "subjects"] and len(parts) > 2:
        return parts[2]
    return None


def refusal(role: str, method: str, path: str) -> str | None:
    """Confluent's 40301 message when `role` may not make this request; None if it may.

    A role the registry does not know (a hand-edited keys file) may do nothing.
    """
    wanted = operation(method, path)
    if wanted.name in ALLOWED.get(role, frozenset()):
        return None
    return f"User is denied operation {wanted.name} on {wanted.resource}"
