"""The detection bench's report: a column per generator, false alerts per check and week, causes."""

from __future__ import annotations

from collections import Counter

from bench.detection import RULES, Tally, report


def _tallies() -> dict[str, Tally]:
    return {rule: Tally(detected=3, scenarios=4, monitor_weeks=104) for rule in RULES}


def test_the_right_cause_share_counts_breakages_and_product_changes_apart() -> None:
    tally = Tally()
    tally.causes = {
        "object-null": Counter({("object-null", "pipeline"): 2}),
        "stale-copy": Counter({("unexplained", "pipeline"): 1, ("stale-copy", "pipeline"): 1}),
        "usage-drop": Counter({("none", ""): 1}),
    }
    assert tally.named(["object-null", "stale-copy", "schema-rename"]) == (3, 4)
    assert tally.named(["usage-drop"]) == (0, 1)


def test_the_report_has_a_column_per_generator_and_the_causes_of_each() -> None:
    results = {name: _tallies() for name in ("sample", "calendar", "holiday")}
    canary = results["holiday"]["canary"]
    canary.false_alerts = 3
    canary.by_check_week.update({("level (page_views)", 15): 2, ("level (creators)", 52): 1})
    canary.causes = {
        "object-null": Counter({("object-null", "pipeline"): 1}),
        "stale-copy": Counter({("stale-missing", "pipeline"): 1}),
    }
    lines = report(results)
    assert all(f"{name} (" in lines[0] for name in ("sample", "calendar", "holiday"))
    assert lines[0].index("holiday (reported on)") > lines[0].index("sample (tuned on)")
    assert (
        "holiday: canary false alerts per check and ISO week: "
        "level (creators) W52 1; level (page_views) W15 2"
    ) in lines
    assert "holiday: right cause for 1 of 2 breakages (50%), 0 of 0 product changes" in lines
    assert not any(line.startswith("sample: right cause") for line in lines)
