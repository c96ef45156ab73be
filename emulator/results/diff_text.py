"""A comparison report as text tables, for reading in a terminal."""

from __future__ import annotations

from emulator.results.diff import ComparisonReport, confusion_labels
from emulator.results.text import show, table


def _compared(report: ComparisonReport) -> str:
    if report.field == report.cloud_field:
        return repr(report.field)
    return f"local {report.field!r} with cloud {report.cloud_field!r}"


def format_report(report: ComparisonReport, min_agreement: float | None = None) -> str:
    """The report as readable text tables; with `min_agreement`, a PASS/FAIL verdict too."""
    out = [f"Comparing {_compared(report)} on key {report.key!r}"]
    if report.field_reason:
        out.append(f"(no --field given: {report.field_reason})")
    out.append("")
    out += table(
        ["", "local", "cloud"],
        [
            ["rows read", str(report.local.rows), str(report.cloud.rows)],
            ["distinct keys", str(report.local.keys), str(report.cloud.keys)],
            ["rows without key", str(report.local.missing_key), str(report.cloud.missing_key)],
            [
                "duplicated keys",
                str(report.local.duplicate_keys),
                str(report.cloud.duplicate_keys),
            ],
            [
                "duplicate rows dropped",
                str(report.local.duplicate_rows),
                str(report.cloud.duplicate_rows),
            ],
            [f"null {report.field}", str(report.local.field_nulls), str(report.cloud.field_nulls)],
            ["only on this side", str(report.only_local), str(report.only_cloud)],
        ],
    )
    for name, side in (("local", report.local), ("cloud", report.cloud)):
        if side.duplicate_examples:
            shown = ", ".join(show(k) for k in side.duplicate_examples)
            out.append(f"duplicated {name} keys (last row used): {shown}")
    if report.only_local_examples:
        out.append("only local: " + ", ".join(show(k) for k in report.only_local_examples))
    if report.only_cloud_examples:
        out.append("only cloud: " + ", ".join(show(k) for k in report.only_cloud_examples))

    out.append("")
    agreement = report.agreement
    rate = "n/a (no key matched)" if agreement is None else f"{agreement:.4%}"
    out.append(
        f"matched rows: {report.matched}   agreeing on {report.field}: {report.agreements}   "
        f"agreement: {rate}"
    )
    if min_agreement is not None:
        verdict = "PASS" if report.passes(min_agreement) else "FAIL"
        out.append(f"minimum agreement {min_agreement:.2%}: {verdict}")

    if report.confusion:
        local_labels, cloud_labels = confusion_labels(report)
        out += ["", f"{report.field}: local (rows) vs cloud (columns)"]
        headers = ["local \\ cloud", *(show(b) for b in cloud_labels)]
        rows = [
            [show(a), *(str(report.confusion.get((a, b), 0)) for b in cloud_labels)]
            for a in local_labels
        ]
        out += table(headers, rows)

    if report.mismatches:
        out += ["", f"first mismatching keys ({report.mismatch_count} in all)"]
        out += table(
            [report.key, "local", "cloud"],
            [[show(m.key), show(m.local), show(m.cloud)] for m in report.mismatches],
        )

    if report.numeric:
        out += ["", "numeric columns (absolute differences over matched rows)"]
        out += table(
            ["column", "compared", "differing", "max", "mean"],
            [
                [n.field, str(n.compared), str(n.differing), n.max_abs_diff, n.mean_abs_diff]
                for n in report.numeric
            ],
        )
        for n in report.numeric:
            if n.largest:
                out += ["", f"largest differences in {n.field}"]
                out += table(
                    [report.key, "local", "cloud", "|diff|"],
                    [[show(k), show(x), show(y), d] for k, x, y, d in n.largest],
                )
    if report.other_differences:
        out += ["", "other columns differing (matched rows)"]
        out += table(["column", "rows"], [[c, str(n)] for c, n in report.other_differences.items()])
    return "\n".join(out) + "\n"
