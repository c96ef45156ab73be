"""split_statements: what ends a statement, what does not, and where each one starts."""

from __future__ import annotations

import pytest

from emulator.dialect.splitter import Statement, split_statements
from emulator.dialect.text import DialectError


def texts(script: str) -> list[str]:
    return [s.text for s in split_statements(script)]


def test_plain_semicolons_split() -> None:
    assert texts("SELECT 1; SELECT 2;") == ["SELECT 1", "SELECT 2"]


def test_semicolon_in_string_does_not_split() -> None:
    assert texts("SELECT 'a;b' FROM t; SELECT 2") == ["SELECT 'a;b' FROM t", "SELECT 2"]


def test_escaped_quote_in_string_keeps_string_open() -> None:
    assert texts("SELECT 'it''s; here'; SELECT 2") == ["SELECT 'it''s; here'", "SELECT 2"]


def test_semicolon_in_backticks_does_not_split() -> None:
    assert texts("SELECT `a;b` FROM t; SELECT 2") == ["SELECT `a;b` FROM t", "SELECT 2"]


def test_semicolon_in_line_comment_does_not_split() -> None:
    script = "SELECT 1 -- not; the end\nFROM t;\nSELECT 2"
    result = texts(script)
    assert len(result) == 2
    assert result[0].startswith("SELECT 1")
    assert result[0].endswith("FROM t")
    assert "not; the end" not in result[0]
    assert result[1] == "SELECT 2"


def test_semicolon_in_block_comment_does_not_split() -> None:
    script = "SELECT 1 /* one; two\n three; */ FROM t; SELECT 2"
    result = texts(script)
    assert len(result) == 2
    assert result[0].split() == ["SELECT", "1", "FROM", "t"]
    assert result[1] == "SELECT 2"


def test_block_comment_separates_tokens() -> None:
    # A comment is whitespace in SQL: removing it must not glue the tokens around it.
    assert texts("SELECT a/* x */FROM t")[0].split() == ["SELECT", "a", "FROM", "t"]


def test_comment_markers_inside_strings_are_kept() -> None:
    assert texts("SELECT '-- x; /* y */' FROM t") == ["SELECT '-- x; /* y */' FROM t"]


def test_trailing_statement_without_semicolon() -> None:
    assert texts("SELECT 1;\nSELECT 2\n") == ["SELECT 1", "SELECT 2"]


def test_empty_statements_and_blank_script_are_skipped() -> None:
    assert texts(";;  ;\n;SELECT 1;;\n ; ") == ["SELECT 1"]
    assert split_statements("") == []
    assert split_statements("  \n -- only a comment\n/* and another */ ;") == []


def test_line_and_column_of_each_statement_start() -> None:
    script = "SELECT 1;\n\n  SELECT 2;   SELECT 3;\n\tINSERT INTO t\nVALUES (1)"
    statements = split_statements(script)
    assert [(s.line, s.column) for s in statements] == [(1, 1), (3, 3), (3, 15), (4, 2)]
    assert statements[3].text == "INSERT INTO t\nVALUES (1)"


def test_positions_after_comments() -> None:
    script = (
        "-- header; comment\n/* block\n   spanning; lines */  CREATE TABLE t (a INT);\n"
        "-- x\n   SELECT 1"
    )
    statements = split_statements(script)
    assert statements == [
        Statement("CREATE TABLE t (a INT)", 3, 24),
        Statement("SELECT 1", 5, 4),
    ]


def test_position_after_multiline_string() -> None:
    script = "SELECT 'a\nb;\nc';  SELECT 2"
    statements = split_statements(script)
    assert [s.text for s in statements] == ["SELECT 'a\nb;\nc'", "SELECT 2"]
    assert (statements[1].line, statements[1].column) == (3, 6)


def test_block_comment_on_one_line_advances_column() -> None:
    statements = split_statements("/* c */ SELECT 1")
    assert (statements[0].line, statements[0].column) == (1, 9)


def test_a_statement_set_stays_one_statement() -> None:
    script = (
        "CREATE TABLE a (x INT);\n"
        "EXECUTE STATEMENT SET\nBEGIN\n"
        "  INSERT INTO a SELECT 1;\n"
        "  INSERT INTO a SELECT 2;\n"
        "END;\n"
        "SHOW TABLES;"
    )
    statements = split_statements(script)
    assert [s.text.split()[0] for s in statements] == ["CREATE", "EXECUTE", "SHOW"]
    assert statements[1].line == 2
    assert statements[1].text.count("INSERT INTO a") == 2
    assert statements[1].text.endswith("END")


def test_a_statement_set_without_end_is_an_error() -> None:
    with pytest.raises(DialectError, match="has no END"):
        split_statements("EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1;")
