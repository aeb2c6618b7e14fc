from __future__ import annotations

import pytest

from canary.config_base import SecretRef
from canary.errors import SecretError
from canary.secrets import resolve


def test_environment_comes_first() -> None:
    ref = SecretRef(env="SLACK_BOT_TOKEN", prefect_block="canary-slack-token")
    got = resolve("slack_token", ref, {"SLACK_BOT_TOKEN": "xoxb-123"})
    assert got.value.get_secret_value() == "xoxb-123"
    assert got.origin == "env SLACK_BOT_TOKEN"
    assert "xoxb-123" not in repr(got) and "xoxb-123" not in str(got)


def test_prefect_block_is_not_looked_up_without_an_api(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    ref = SecretRef(env="SLACK_BOT_TOKEN", prefect_block="canary-slack-token")
    with temporary_settings(restore_defaults={PREFECT_API_URL}), pytest.raises(SecretError) as info:
        resolve("slack_token", ref, {})
    text = str(info.value)
    assert "env SLACK_BOT_TOKEN" in text and "skipped: no PREFECT_API_URL" in text


def test_a_reference_names_at_least_one_place() -> None:
    with pytest.raises(ValueError, match="env or prefect_block"):
        SecretRef()
