"""The Looker client secret never shows: not in logs, output, results, files or exceptions,
not even when a misbehaving server echoes the login form back in its error."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from canary.cli import main
from canary.config import load_config
from canary.dashboards import catalog
from canary.errors import SourceError
from canary.pipeline import RunOptions, build_source, plan
from canary.sample.warehouse import FILE_NAME
from tests.conftest import AS_OF, LATEST_WEEK, NOW
from tests.looker_fake import CLIENT_SECRET, Faults, looker_config, serving

pytestmark = pytest.mark.integration
MONITOR = "code-insights-canary"
WRONG_SECRET = "wr0ng/secret+echoed=by&proxy"


def forms(secret: str) -> list[str]:
    return [secret, quote_plus(secret), quote(secret, safe="")]


def files_text(root: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", errors="replace") for p in root.rglob("*") if p.is_file()
    )


def test_the_client_secret_never_leaks(
    shared_sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    exceptions: list[str] = []
    with serving(shared_sample / FILE_NAME, monkeypatch, Faults(echo_login=True)) as fake:
        config = looker_config(tmp_path, fake.base_url, [MONITOR])
        args = ["--config", str(config)]
        run = ["run", *args, "--as-of", AS_OF.isoformat(), "--quiet"]
        assert main([*run, "--json", str(tmp_path / "ok.json")]) == 0
        assert main(["doctor", *args]) == 0

        monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", WRONG_SECRET)
        assert main([*run, "--json", str(tmp_path / "rejected.json")]) == 3
        assert main(["doctor", *args]) == 2
        loaded = load_config(config)
        p = plan(loaded, MONITOR, RunOptions(now=NOW), tmp_path)
        source = build_source(loaded, loaded.monitors[MONITOR], RunOptions(now=NOW), tmp_path)
        with pytest.raises(SourceError) as err:
            source.pull(catalog().dashboards["canary"].tile("creators"), LATEST_WEEK)
        exceptions += [str(err.value), repr(err.value), repr(source), repr(p)]
    out, errors = capsys.readouterr()

    rejected = (tmp_path / "rejected.json").read_text()
    # the server did echo the form: canary masked it before it reached the results
    assert "client_secret=**********" in rejected
    assert "Looker rejected the client id or secret" in exceptions[0]
    everything = "\n".join([caplog.text, out, errors, files_text(tmp_path), *exceptions])
    assert "Looker rejected the client id or secret" in out + errors + rejected
    for secret in (CLIENT_SECRET, WRONG_SECRET):
        for form in forms(secret):
            assert form not in everything
