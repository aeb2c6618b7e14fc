"""Database URLs as people may see them: passwords hidden, in the user part or the query."""

from __future__ import annotations

from urllib.parse import quote_plus

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

#: query parameters that carry a secret (``?password=...`` is as good as ``user:password@``)
SECRET_PARAMETERS = frozenset(
    {"password", "passwd", "pwd", "secret", "token", "access_token", "client_secret",
     "private_key", "private_key_passphrase", "credentials_base64", "credentials_path"}
)  # fmt: skip
_HIDDEN = "***"


def _parsed(url: str | URL) -> URL | None:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        return None


def _secret_values(parsed: URL) -> list[str]:
    values = [parsed.password] if parsed.password else []
    for key, value in parsed.query.items():
        if key.lower() in SECRET_PARAMETERS:
            values += [value] if isinstance(value, str) else list(value)
    return [str(v) for v in values if v]


def safe_url(url: str | URL) -> str:
    """``url`` with every password and secret query parameter replaced by ``***``."""
    parsed = _parsed(url)
    if parsed is None:
        return "(an unparsable SQLAlchemy URL)"
    query = {k: _HIDDEN if k.lower() in SECRET_PARAMETERS else v for k, v in parsed.query.items()}
    shown = parsed.set(query=query).render_as_string(hide_password=True)
    return shown.replace(quote_plus(_HIDDEN), _HIDDEN)


def scrub(text: str, url: str | URL) -> str:
    """``text`` with the secrets of ``url`` (as written and as URL-encoded) blanked out."""
    parsed = _parsed(url)
    for secret in _secret_values(parsed) if parsed is not None else []:
        text = text.replace(secret, _HIDDEN).replace(quote_plus(secret), _HIDDEN)
    return text
