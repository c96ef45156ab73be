"""Every fault drill: N transactions in, the fault injected mid-stream into the real stack,
every TransactionID out exactly once (none lost, none duplicated)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from emulator.catalog import Catalog, Connection
from emulator.config import Settings
from emulator.demo.pipeline import ensure_local_connection
from tests.faults import drills
from tests.faults.drills import DrillResult, Fault
from tests.faults.endpoint_proxy import EndpointProxy

pytestmark = [pytest.mark.integration, pytest.mark.faults]

PROXIED_CONNECTION = "drill-proxied-endpoint"


@pytest.fixture(scope="module")
def proxy(fault_stack: Settings) -> Iterator[EndpointProxy]:
    """The model server behind a proxy that can answer errors, as the drill's connection."""
    ensure_local_connection(fault_stack)
    endpoint = EndpointProxy(f"{fault_stack.model_server_url}/score")
    catalog = Catalog.for_state(fault_stack.state_dir)
    catalog.connections[PROXIED_CONNECTION] = Connection(
        name=PROXIED_CONNECTION,
        type="azureml",
        endpoint=endpoint.url,
        api_key=fault_stack.model_api_key(),
        cloud="local",
        region="local",
    )
    catalog.save()
    yield endpoint
    endpoint.close()


def errors_then_recovery(proxy: EndpointProxy) -> Fault:
    def inject(_settings: Settings) -> None:
        proxy.failing_with = 503
        time.sleep(5)
        proxy.failing_with = 500
        time.sleep(5)
        proxy.failing_with = None

    return Fault(
        "errors", "model server answering 503, then 500, for 10 s", inject, PROXIED_CONNECTION
    )


FAULTS = [
    Fault("tm_kill", "TaskManager SIGKILL (supervisor starts another)", drills.kill_taskmanager),
    Fault("jm_kill", "JobManager SIGKILL, then `ccflink up`", drills.kill_jobmanager_then_up),
    Fault("down_up", "`ccflink down`, then `ccflink up`", drills.down_then_up),
    Fault("model_down", "model server stopped for 30 s", drills.model_server_down),
    Fault("broker", "broker restart (SIGTERM, start), producers sending", drills.restart_broker),
]


def check(result: DrillResult, results: list[DrillResult]) -> None:
    results.append(result)
    assert (result.lost, result.duplicated) == (0, 0), result
    assert result.records_out == result.records_in


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_every_transaction_is_scored_once_through_the_fault(
    fault: Fault, fault_stack: Settings, drill_results: list[DrillResult], tmp_path
) -> None:
    check(drills.run_drill(fault_stack, fault, tmp_path), drill_results)


def test_every_transaction_is_scored_once_through_endpoint_errors(
    proxy: EndpointProxy, fault_stack: Settings, drill_results: list[DrillResult], tmp_path
) -> None:
    check(drills.run_drill(fault_stack, errors_then_recovery(proxy), tmp_path), drill_results)
