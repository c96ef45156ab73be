"""The whole local stack: start in dependency order, stop in reverse, report health.

The supervisor starts last and stops first: it replaces a TaskManager that dies on its own.

`up` starts only what does not run, after checking that no other program holds those
services' ports; when a start fails it stops what it started, and leaves running what was
healthy before it.

Three chains start side by side, since only the registry depends on another service: Kafka
then the Schema Registry (it stores schemas in Kafka), the Flink session cluster, and the
model server (after `prepare_model`, e.g. the demo's training when there is no model). Most
of a start is JVMs warming up and waiting on each other's ports, so overlapping them shortens
`make up`. The workspace (the browser front end) starts after them: its statements need them all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from emulator import config, model_endpoint, ports, supervisor, workspace_service
from emulator.config import LOOPBACK, Settings
from emulator.flink import cluster
from emulator.kafka import broker, security
from emulator.ports import PortInUseError
from emulator.process import ManagedProcess
from emulator.schema_registry import service as schema_registry

SERVICE_NAMES = [
    broker.NAME,
    schema_registry.NAME,
    cluster.JOBMANAGER,
    cluster.TASKMANAGER,
    model_endpoint.NAME,
    workspace_service.NAME,
    supervisor.NAME,
]


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    pid: int | None
    running: bool
    healthy: bool
    address: str
    log: str
    memory_bytes: int = 0


def _address(settings: Settings, name: str) -> str:
    return {
        broker.NAME: settings.bootstrap_servers,
        schema_registry.NAME: settings.schema_registry_url,
        cluster.JOBMANAGER: settings.flink_rest_url,
        cluster.TASKMANAGER: f"(slots on {settings.flink_rest_url})",
        model_endpoint.NAME: f"{settings.model_server_url}/score",
        workspace_service.NAME: settings.workspace_url,
        supervisor.NAME: "(starts a lost TaskManager again)",
    }[name]


_HEALTH: dict[str, Callable[[Settings], bool]] = {
    broker.NAME: broker.is_ready,
    schema_registry.NAME: schema_registry.is_ready,
    cluster.JOBMANAGER: lambda s: cluster.is_ready(s),
    cluster.TASKMANAGER: lambda s: cluster.is_ready(s),
    model_endpoint.NAME: model_endpoint.is_ready,
    workspace_service.NAME: workspace_service.is_ready,
    supervisor.NAME: lambda s: True,  # running is healthy
}


# The ports (fields of config.Ports) each service listens on; the TaskManager's and the
# supervisor's are none or chosen by the kernel. A port 0 (no SASL listener) is not checked.
_PORT_FIELDS: dict[str, tuple[str, ...]] = {
    broker.NAME: ("kafka", "kafka_controller", "kafka_sasl"),
    schema_registry.NAME: ("schema_registry",),
    cluster.JOBMANAGER: ("flink_rest", "flink_rpc"),
    model_endpoint.NAME: ("model_server",),
    workspace_service.NAME: ("ui",),
}

Step = tuple[str, Callable[[], object]]


def up(
    settings: Settings,
    say: Callable[[str], None] = print,
    prepare_model: model_endpoint.Prepare | None = None,
    *,
    model_server: bool = True,
) -> Settings:
    """Start every service that is not already running; on a failed start, stop what this
    call started. Returns the settings the stack runs with: under `secure`, with its admin key
    (made on the first secure start), which ccflink's clients then need.

    `prepare_model` makes what the model server's scoring script loads, before it starts.
    `model_server=False` leaves the demo's endpoint out: a test serves its own model
    (`emulator/testing`). A host other machines reach is refused unless `secure`.
    """
    config.check_exposure(settings)
    config.chained_commits()  # a wrong value is refused here, not in the supervisor's log
    if settings.secure:
        security.ensure_stack_keys(settings)
        settings = config.with_stack_key(settings)
    already = {name for name in SERVICE_NAMES if ManagedProcess(name, settings).is_running()}
    starting = [
        name
        for name in SERVICE_NAMES
        if name not in already and (model_server or name != model_endpoint.NAME)
    ]
    _stop(settings, starting)  # what a dead service left running (and holding its ports)
    try:
        _require_free_ports(settings, starting, stack_runs=bool(already))
    except PortInUseError:
        if not already:
            config.forget(settings)
        raise
    config.save(settings)
    say = _one_line_at_a_time(say)
    chains: list[list[Step]] = [
        [
            (
                f"Kafka broker (KRaft) on {settings.bootstrap_servers}",
                lambda: broker.start(settings),
            ),
            (
                f"Schema Registry on {settings.schema_registry_url}",
                lambda: schema_registry.start(settings),
            ),
        ],
        [
            (
                f"Flink session cluster, REST and web UI on {settings.flink_rest_url}",
                lambda: cluster.start(settings),
            )
        ],
    ]
    if model_server:
        chains.append(
            [
                (
                    f"Model server (Azure ML endpoint) on {settings.model_server_url}",
                    lambda: model_endpoint.start(settings, prepare_model, say),
                )
            ]
        )
    with ThreadPoolExecutor(max_workers=len(chains)) as pool:
        outcomes = [pool.submit(_start_in_order, chain, say) for chain in chains]
    failures = [f.exception() for f in outcomes if f.exception() is not None]
    if not failures and workspace_service.NAME in starting:
        workspace = (
            f"Workspace on {settings.workspace_url}",
            lambda: workspace_service.start(settings),
        )
        try:
            _start_in_order([workspace], say)
        except Exception as error:
            failures.append(error)
    if failures:
        _stop(settings, starting)
        if not already:
            config.forget(settings)
        raise failures[0]
    supervisor.start(settings)
    return settings


def _stop(settings: Settings, names: list[str]) -> None:
    """Stop these services, newest first (for a dead one: end what it left running)."""
    for name in reversed(names):
        ManagedProcess(name, settings).stop()


def _require_free_ports(settings: Settings, names: list[str], *, stack_runs: bool) -> None:
    """Refuse before anything starts when another program holds one of these services' ports
    (Flink's on the address it binds: loopback under --secure; the workspace's on loopback)."""
    hosts = {cluster.JOBMANAGER: settings.flink_host, workspace_service.NAME: LOOPBACK}
    by_host: dict[str, list[ports.Wanted]] = {}
    for name in names:
        host = hosts.get(name, settings.host)
        for field in _PORT_FIELDS.get(name, ()):
            if port := getattr(settings.ports, field):
                wanted = ports.Wanted(name, port, config.port_variable(field))
                by_host.setdefault(host, []).append(wanted)
    try:
        for host, wanted in by_host.items():
            ports.require_free(host, wanted)
    except PortInUseError as error:
        if not stack_runs:
            raise
        raise PortInUseError(
            f"{error}\n(the part of the stack that runs keeps its ports: `ccflink down` first)"
        ) from None


def _one_line_at_a_time(say: Callable[[str], None]) -> Callable[[str], None]:
    """`say` for several threads: print() writes the text and its newline apart."""
    lock = threading.Lock()

    def locked(message: str) -> None:
        with lock:
            say(message)

    return locked


def _start_in_order(chain: list[Step], say: Callable[[str], None]) -> None:
    for description, start in chain:
        say(f"==> {description}")
        began = time.monotonic()
        start()
        say(f"    ready in {time.monotonic() - began:.1f} s: {description}")


def down(settings: Settings) -> list[str]:
    """Stop, newest first, the services this state folder started, after any other process it
    keeps a pid file for (a test's model servers, emulator/testing); returns those stopped."""
    others = sorted(
        path.stem for path in settings.pids_dir.glob("*.pid") if path.stem not in SERVICE_NAMES
    )
    names = [*others, *reversed(SERVICE_NAMES)]
    stopped = [name for name in names if ManagedProcess(name, settings).stop()]
    config.forget(settings)
    return stopped


def running(settings: Settings) -> bool:
    """Whether any service of this state folder runs."""
    return any(ManagedProcess(name, settings).is_running() for name in SERVICE_NAMES)


def status(settings: Settings) -> list[ServiceStatus]:
    result = []
    for name in SERVICE_NAMES:
        process = ManagedProcess(name, settings)
        running = process.is_running()
        healthy = False
        if running:
            try:
                healthy = _HEALTH[name](settings)
            except Exception:
                healthy = False
        result.append(
            ServiceStatus(
                name=name,
                pid=process.pid(),
                running=running,
                healthy=healthy,
                address=_address(settings, name),
                log=str(process.log_file),
                memory_bytes=process.memory_bytes(),
            )
        )
    return result
