"""Keys written in CREATE CONNECTION and CREATE MODEL are never shown, stored with a statement
or echoed by an error; only the connection or model version keeps them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator import cli
from emulator.catalog import Catalog
from emulator.dialect.secrets import mask_secrets
from emulator.dialect.splitter import split_statements
from emulator.sql.context import Context
from emulator.sql.errors import StatementError
from emulator.sql.session import Session

SECRET = "s3cr3t-endpoint-key-WXYZ"
CONNECTION = (
    "CREATE CONNECTION fraud_ep WITH ('type' = 'azureml', "
    f"'endpoint' = 'http://localhost:8000/score', 'api-key' = '{SECRET}')"
)
MODEL = (
    "CREATE MODEL fraud INPUT (amount DOUBLE) OUTPUT (flag INT) WITH ("
    "'provider' = 'azureml', 'task' = 'classification', "
    f"'azureml.endpoint' = 'http://localhost:8000/score', 'azureml.api_key' = '{SECRET}')"
)


def test_the_value_of_each_secret_option_is_masked_and_nothing_else() -> None:
    text = (
        f"WITH ('api-key' = '{SECRET}', 'key.format' = 'raw', 'openai.api_key'='short',\n"
        f"  'sasl.jaas.config' = 'password=\"{SECRET}\";', 'endpoint' = 'http://x')"
    )
    masked = mask_secrets(text)
    assert SECRET not in masked and "short" not in masked
    assert "'api-key' = '*****WXYZ'" in masked and "'openai.api_key'='*****'" in masked
    assert "'key.format' = 'raw'" in masked and "'endpoint' = 'http://x'" in masked
    assert mask_secrets(masked) == masked


def test_quotes_in_comments_escapes_and_an_unterminated_secret_are_handled() -> None:
    text = f"-- it's mine\nWITH ('note' = 'it''s', 'API_KEY' = 'a''{SECRET}"
    masked = mask_secrets(text)
    assert SECRET not in masked
    assert masked.startswith("-- it's mine\nWITH ('note' = 'it''s', 'API_KEY' = '*****")
    assert mask_secrets("SELECT 'api-key', '=' FROM t") == "SELECT 'api-key', '=' FROM t"


@pytest.fixture
def session(tmp_path: Path) -> Session:
    """A session on a catalog in tmp_path; catalog statements need no Flink."""
    session = Session.__new__(Session)
    session.context = Context(
        settings=None, catalog=Catalog.for_state(tmp_path), flink=None, say=lambda _: None
    )
    return session


def _run(session: Session, sql: str) -> None:
    for statement in split_statements(sql):
        session.execute(statement)


def test_the_statement_store_keeps_the_masked_text_and_the_key_only_where_it_is_used(
    session: Session, tmp_path: Path
) -> None:
    _run(session, f"{CONNECTION};\n{MODEL};")
    stored = json.loads((tmp_path / "catalog.json").read_text())
    assert SECRET not in json.dumps(stored["statements"])
    assert [s["sql"].count("*****WXYZ") for s in stored["statements"]] == [1, 1]
    catalog = Catalog.for_state(tmp_path)
    assert catalog.connections["fraud_ep"].api_key == SECRET
    assert catalog.models["fraud"].get(None).options["azureml.api_key"] == SECRET


@pytest.mark.parametrize(
    "secret", [SECRET, "cut-where-the-line-ends-" * 3], ids=["whole", "cut-at-80"]
)
def test_an_error_quoting_the_statement_masks_the_key(
    session: Session, tmp_path: Path, secret: str
) -> None:
    failing = f"CREATE CONNECTION c WITH ('api-key' = '{secret}', 'endpoint' = 'http://x')"
    with pytest.raises(StatementError) as raised:
        _run(session, failing)
    message = str(raised.value)
    assert "connection type '(none)' is not emulated" in message
    assert f"'api-key' = '*****{secret[-4:]}'" in message
    assert secret[:12] not in message
    (record,) = Catalog.for_state(tmp_path).statements.values()
    assert record.status == "FAILED" and secret not in record.sql


def test_show_create_model_masks_every_secret_option(session: Session) -> None:
    _run(session, f"{MODEL};")
    (statement,) = split_statements("SHOW CREATE MODEL fraud")
    shown = session.execute(statement).rows[0][0]
    assert SECRET not in shown and "'azureml.api_key' = '*****WXYZ'" in shown


def test_statement_list_and_describe_never_show_a_key_even_from_an_older_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CCFLINK_HOME", str(tmp_path))
    record = {"name": "cli-conn", "sql": CONNECTION, "status": "COMPLETED", "created_at": "t"}
    (tmp_path / "catalog.json").write_text(json.dumps({"statements": [record]}))
    assert cli.main(["flink", "statement", "list"]) == 0
    assert cli.main(["flink", "statement", "describe", "cli-conn"]) == 0
    out = capsys.readouterr().out
    assert "cli-conn" in out and SECRET not in out and "*****WXYZ" in out
    Catalog.for_state(tmp_path).save()  # the next save of any process rewrites it masked
    assert SECRET not in (tmp_path / "catalog.json").read_text()
