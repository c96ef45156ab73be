"""The catalog shared by several `ccflink` processes: none undoes another's edits."""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
from pathlib import Path

import pytest

from emulator.catalog import Catalog, CatalogError, Connection, StatementRecord, TableEntry
from emulator.dialect.statements import ColumnDef

ROUNDS = 40


def _statement(name: str, status: str = "COMPLETED") -> StatementRecord:
    return StatementRecord(name, f"CREATE TABLE `{name}` (id INT)", status, "2026-01-01")


def _writer(path: str, who: str, start: multiprocessing.synchronize.Event) -> None:
    """A long-running process: one copy loaded at start, saved after each of its edits."""
    catalog = Catalog(Path(path))
    start.wait()
    for step in range(ROUNDS):
        catalog.statements[f"{who}-{step}"] = _statement(f"{who}-{step}")
        catalog.save()
        catalog.statements[f"{who}-0"].status = f"step {step}"  # changing its own entry
        catalog.save()


def test_two_processes_writing_at_once_keep_every_entry_of_both(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    spawn = multiprocessing.get_context("spawn")  # separate interpreters, as two `ccflink`s
    start = spawn.Event()
    writers = [spawn.Process(target=_writer, args=(str(path), who, start)) for who in "ab"]
    for writer in writers:
        writer.start()
    start.set()
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    saved = Catalog(path).statements
    for who in "ab":
        assert {f"{who}-{step}" for step in range(ROUNDS)} <= saved.keys()
        assert saved[f"{who}-0"].status == f"step {ROUNDS - 1}"
    assert len(saved) == 2 * ROUNDS


def _table(name: str) -> TableEntry:
    return TableEntry(name, [ColumnDef("id", "INT")])


def test_a_stale_copy_saves_only_its_own_changes(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    first = Catalog(path)
    first.tables["old"] = _table("old")
    first.statements["running"] = _statement("running", "RUNNING")
    first.save()
    shell = Catalog(path)  # loaded early, as the shell's
    held = shell.statements["running"]
    other = Catalog(path)  # another process: adds a table, drops one, stops a statement
    other.tables["clicks"] = _table("clicks")
    del other.tables["old"]
    other.statements["running"].status = "STOPPED"
    other.save()
    shell.statements["mine"] = _statement("mine")
    shell.save()
    saved = Catalog(path)
    assert set(saved.tables) == {"clicks"}  # B's table kept, its deletion not undone
    assert set(saved.statements) == {"running", "mine"}
    assert saved.statements["running"].status == "STOPPED"
    # The stale copy has taken in the other's edits, in the objects it already held.
    assert set(shell.tables) == {"clicks"}
    assert held.status == "STOPPED" and shell.statements["running"] is held


def test_a_deletion_and_a_change_here_are_saved_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    first = Catalog(path)
    first.connections["ep"] = Connection("ep", "azureml", "http://x/score", "key-1")
    first.tables["gone"] = _table("gone")
    first.save()
    mine = Catalog(path)
    other = Catalog(path)
    other.statements["theirs"] = _statement("theirs")
    other.save()
    mine.connections["ep"].api_key = "key-2"
    del mine.tables["gone"]
    mine.save()
    saved = Catalog(path)
    assert saved.connections["ep"].api_key == "key-2"
    assert "gone" not in saved.tables and "theirs" in saved.statements


def test_a_file_that_is_not_json_is_named_with_where_it_breaks(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text('{"tables": [\n')
    with pytest.raises(CatalogError, match=r"catalog\.json is not valid JSON \(line 2"):
        Catalog(path)


def test_refresh_takes_in_another_process_s_edits_and_keeps_unsaved_ones(
    tmp_path: Path,
) -> None:
    """The workspace's long-lived session sees a connection the CLI created after it opened."""
    path = tmp_path / "catalog.json"
    workspace = Catalog(path)
    workspace.tables["mine"] = _table("mine")  # not saved yet
    cli = Catalog(path)
    cli.connections["endpoint"] = Connection(
        "endpoint", "azureml", "http://127.0.0.1:1/score", "key", "local", "local"
    )
    cli.tables["theirs"] = _table("theirs")
    cli.save()
    assert "endpoint" not in workspace.connections
    changed = workspace.refresh()
    assert changed["connections"] == {"endpoint"} and changed["tables"] == {"theirs"}
    assert workspace.connections["endpoint"].endpoint == "http://127.0.0.1:1/score"
    assert workspace.tables.keys() == {"mine", "theirs"}
    del cli.tables["theirs"]
    cli.save()
    assert workspace.refresh()["tables"] == {"theirs"}
    assert workspace.tables.keys() == {"mine"}
    assert workspace.refresh() == {
        "tables": set(),
        "models": set(),
        "connections": set(),
        "statements": set(),
    }
    workspace.save()
    assert Catalog(path).tables.keys() == {"mine"}  # the unsaved entry survived the refreshes
