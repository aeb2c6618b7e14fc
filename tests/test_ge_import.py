"""GE imported without scipy.stats and altair until an expectation reads them."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# In a process of its own: the test run has imported both long before.
_PROGRAM = textwrap.dedent(
    """
    import sys
    import pandas as pd
    from canary.checks.validate import GreatExpectations

    ge = GreatExpectations()
    ge.prepare()
    ge._ready()
    for name in ("scipy.stats", "altair"):
        assert type(sys.modules[name]).__name__ == "_Deferred", (name, sys.modules[name])

    kl = {
        "type": "expect_column_kl_divergence_to_be_less_than",
        "kwargs": {
            "column": "kind",
            "partition_object": {"values": ["a", "b"], "weights": [0.5, 0.5]},
            "threshold": 0.1,
        },
    }
    suite = {"name": "kl", "expectations": [kl]}
    frame = pd.DataFrame({"kind": ["a"] * 9 + ["b"]})
    (result,) = ge.run(suite, frame, {})
    assert result.exception_info.get("raised_exception") is not True, result.exception_info
    assert result.success is False, result.result
    assert result.result["observed_value"] > 0.1, result.result

    import scipy
    import scipy.stats

    assert type(scipy.stats).__name__ == "module" and scipy.stats is sys.modules["scipy.stats"]
    print("ok")
    """
)


def test_ge_loads_scipy_stats_only_when_an_expectation_uses_it() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"
