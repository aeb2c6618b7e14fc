"""A database URL's secrets never show, wherever they are written in it."""

from __future__ import annotations

import pytest

from canary.url_secrets import safe_link, safe_url, scrub

URLS = [
    "postgresql://canary:S3cret&1@127.0.0.1:5999/db",
    "postgresql://canary@127.0.0.1:5999/db?password=S3cret%261&sslmode=require",
    "snowflake://bob@acct/db?private_key_passphrase=S3cret%261",
]


@pytest.mark.parametrize("url", URLS)
def test_a_password_in_the_user_part_or_the_query_is_hidden(url: str) -> None:
    shown = safe_url(url)
    assert "S3cret" not in shown and "***" in shown
    error = "connection failed for password S3cret&1 (S3cret%261 as sent)"
    assert scrub(error, url) == "connection failed for password *** (*** as sent)"


def test_a_url_without_secrets_is_shown_as_it_is() -> None:
    url = "postgresql://canary@127.0.0.1:5999/db?sslmode=require"
    assert safe_url(url) == url and scrub("nothing here", url) == "nothing here"
    assert safe_url("not a url") == "(an unparsable SQLAlchemy URL)"


def test_a_web_link_keeps_where_it_goes_without_secrets_or_personal_data() -> None:
    url = "https://admin:S3cret@bi.example:8443/d/4?who=al%40x.example&token=S3cret&v=5.2#t"
    assert safe_link(url) == "https://bi.example:8443/d/4?who=***%40***&token=***&v=5.2#t"
    plain = "https://bi.example/explore/m/v?fields=a.b&f%5Ba.c%5D=7+days"
    assert safe_link(plain) == plain


def test_a_drivers_own_secret_parameters_are_hidden() -> None:
    """Snowflake's connector takes key-pair, MFA and OAuth secrets as URL parameters."""
    secrets = {
        "private_key_file_pwd": "S3cret",
        "passcode": "123456",
        "oauth_client_secret": "0auth-S3cret",
    }
    url = "snowflake://canary@org-acct/DB/SCH?warehouse=WH&" + "&".join(
        f"{k}={v}" for k, v in secrets.items()
    )
    for shown in (safe_url(url), scrub(f"failed: {url}", url)):
        assert "warehouse=WH" in shown
        assert not any(f"={v}" in shown for v in secrets.values()), shown
