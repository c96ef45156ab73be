"""BENCHMARKS.md sections: a benchmark rewrites its own section and nothing else."""

from __future__ import annotations

import pytest

from benchmarks.report import END_MARKER, replace_section, start_marker, table, write_section

DOCUMENT = f"""# Benchmarks

Hand-written prose before.

{start_marker("produce_throughput")}
old producer figures
{END_MARKER}

Why the producer is fast (hand-written).

{start_marker("pipeline_end_to_end")}
old pipeline figures
{END_MARKER}

Where the time goes (hand-written).
"""


def test_replacing_one_section_keeps_the_others_and_the_prose() -> None:
    updated = replace_section(DOCUMENT, "produce_throughput", "new producer figures")
    assert "new producer figures" in updated
    assert "old producer figures" not in updated
    assert "old pipeline figures" in updated
    for prose in ("Hand-written prose before.", "Why the producer is fast", "Where the time goes"):
        assert prose in updated
    assert updated.count(END_MARKER) == 2


def test_replacing_is_stable_when_run_twice() -> None:
    once = replace_section(DOCUMENT, "pipeline_end_to_end", "figures\n")
    assert replace_section(once, "pipeline_end_to_end", "figures") == once


def test_a_name_that_is_a_prefix_of_another_does_not_match_it() -> None:
    text = f"{start_marker('pipeline_end_to_end/batched')}\nbatched\n{END_MARKER}\n"
    updated = replace_section(text, "pipeline_end_to_end", "all")
    assert "batched\n" in updated
    assert updated.endswith(f"{start_marker('pipeline_end_to_end')}\nall\n{END_MARKER}\n")


def test_a_new_section_is_appended_after_everything() -> None:
    updated = replace_section(DOCUMENT, "new_bench", "first figures")
    assert updated.startswith(DOCUMENT.rstrip())
    assert updated.endswith(f"{start_marker('new_bench')}\nfirst figures\n{END_MARKER}\n")


def test_an_unterminated_section_or_a_marker_in_the_body_is_refused() -> None:
    broken = f"{start_marker('x')}\nno end marker\n\nprose that must survive\n"
    with pytest.raises(ValueError, match="no"):
        replace_section(broken, "x", "body")
    with pytest.raises(ValueError, match="may not contain"):
        replace_section(DOCUMENT, "x", f"a body with {END_MARKER}")


def test_write_section_creates_then_updates_the_file(tmp_path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    write_section("a", "one", path)
    write_section("b", "two", path)
    write_section("a", "three", path)
    text = path.read_text()
    assert "one" not in text
    assert text.index("three") < text.index("two")


def test_table_aligns_numbers_right() -> None:
    assert table(["what", "n"], [["rows", "1,000"]]) == (
        "| what | n |\n| --- | ---: |\n| rows | 1,000 |"
    )
