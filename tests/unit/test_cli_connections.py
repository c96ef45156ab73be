"""`ccflink flink connection ...`: connections in the catalog, keys readable by the owner."""

from __future__ import annotations

import getpass
import io
import stat
import sys
from pathlib import Path

import pytest

from emulator import cli
from emulator.catalog import Catalog

SECRET = "super-secret-endpoint-key-1234"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CCFLINK_HOME", str(tmp_path))
    return tmp_path


def _create(name: str = "fraud-ep") -> int:
    return cli.main(
        ["flink", "connection", "create", name, "--cloud", "azure", "--region", "westeurope",
         "--type", "azureml", "--endpoint", "https://x.westeurope.inference.ml.azure.com/score",
         "--api-key", SECRET]
    )  # fmt: skip


def test_create_records_cloud_region_and_keeps_the_key_private(state: Path) -> None:
    assert _create() == 0
    connection = Catalog.for_state(state).connections["fraud-ep"]
    assert (connection.cloud, connection.region, connection.api_key) == (
        "azure",
        "westeurope",
        SECRET,
    )
    assert stat.S_IMODE((state / "catalog.json").stat().st_mode) == 0o600


def test_create_twice_is_refused(state: Path) -> None:
    assert _create() == 0
    assert _create() == 1


def test_list_and_describe_never_print_the_key(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _create()
    assert cli.main(["flink", "connection", "list", "--type", "azureml"]) == 0
    assert cli.main(["flink", "connection", "describe", "fraud-ep"]) == 0
    out = capsys.readouterr().out
    assert "fraud-ep" in out and "AZUREML" in out
    assert SECRET not in out
    assert "*****1234" in out


def test_update_changes_only_the_key_and_delete_removes(state: Path) -> None:
    _create()
    assert cli.main(["flink", "connection", "update", "fraud-ep", "--api-key", "new-key"]) == 0
    connection = Catalog.for_state(state).connections["fraud-ep"]
    assert connection.api_key == "new-key"
    assert connection.endpoint.endswith("/score")
    assert cli.main(["flink", "connection", "delete", "fraud-ep", "--force"]) == 0
    assert "fraud-ep" not in Catalog.for_state(state).connections
    assert cli.main(["flink", "connection", "describe", "fraud-ep"]) == 1


def test_list_filters_by_cloud_and_region(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _create("in-europe")
    cli.main(
        ["flink", "connection", "create", "in-us", "--cloud", "azure", "--region", "eastus",
         "--type", "azureml", "--endpoint", "https://y/score", "--api-key", SECRET]
    )  # fmt: skip
    capsys.readouterr()
    assert cli.main(["flink", "connection", "list", "--region", "eastus"]) == 0
    listed = capsys.readouterr().out
    assert "in-us" in listed and "in-europe" not in listed
    assert cli.main(["flink", "connection", "list", "--cloud", "AZURE"]) == 0
    listed = capsys.readouterr().out
    assert "in-us" in listed and "in-europe" in listed
    assert cli.main(["flink", "connection", "list", "--cloud", "aws"]) == 0
    assert "in-" not in capsys.readouterr().out


def test_update_stores_cloud_and_region_when_given(state: Path) -> None:
    _create()
    moved = ["--cloud", "azure", "--region", "northeurope", "--api-key", "k2"]
    assert cli.main(["flink", "connection", "update", "fraud-ep", *moved]) == 0
    connection = Catalog.for_state(state).connections["fraud-ep"]
    assert (connection.cloud, connection.region, connection.api_key) == (
        "azure",
        "northeurope",
        "k2",
    )


# --- the key kept off the command line ------------------------------------------------------

KEY_ENV = "CCFLINK_CONNECTION_API_KEY"
WITHOUT_KEY = ["flink", "connection", "create", "fraud-ep", "--type", "azureml",
               "--endpoint", "http://localhost:5001/score"]  # fmt: skip


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("flag", [[], ["--api-key"]], ids=["no-flag", "flag-without-value"])
def test_the_key_comes_from_its_environment_variable(
    state: Path, monkeypatch: pytest.MonkeyPatch, flag: list[str]
) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    assert cli.main([*WITHOUT_KEY, *flag]) == 0
    assert Catalog.for_state(state).connections["fraud-ep"].api_key == SECRET
    monkeypatch.setenv(KEY_ENV, "rotated-key")
    assert cli.main(["flink", "connection", "update", "fraud-ep", "--api-key"]) == 0
    assert Catalog.for_state(state).connections["fraud-ep"].api_key == "rotated-key"


def test_without_a_key_nor_a_terminal_the_command_says_where_to_give_it(
    state: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    assert cli.main([*WITHOUT_KEY, "--api-key"]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith("error: --api-key: no API key for connection 'fraud-ep'")
    assert KEY_ENV in captured.out and "Traceback" not in captured.out + captured.err
    assert not (state / "catalog.json").exists()


def test_at_a_terminal_the_key_is_asked_for_without_echo(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setattr(sys, "stdin", Terminal())
    prompts: list[str] = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt: prompts.append(prompt) or SECRET)
    assert cli.main(WITHOUT_KEY) == 0
    assert Catalog.for_state(state).connections["fraud-ep"].api_key == SECRET
    assert prompts == ["API key for connection 'fraud-ep' (not echoed): "]
    monkeypatch.setattr(getpass, "getpass", lambda prompt: "")
    assert cli.main(["flink", "connection", "update", "fraud-ep"]) == 2


def test_the_help_names_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["flink", "connection", "create", "--help"])
    assert KEY_ENV in " ".join(capsys.readouterr().out.split())
