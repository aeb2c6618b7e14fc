"""URLs as people may see them: database URLs with their passwords hidden (in the user part
or the query), web links without user or password and with personal data masked."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit, urlunsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from canary.masking import mask_text

#: query parameters that carry a secret (``?password=...`` is as good as ``user:password@``)
SECRET_PARAMETERS = frozenset(
    {"password", "passwd", "pwd", "secret", "token", "access_token", "client_secret",
     "private_key", "private_key_passphrase", "credentials_base64", "credentials_path",
     "passcode", "session_token", "master_token", "oauth_client_secret", "proxy_password",
     "private_key_file_pwd"}
)  # fmt: skip
#: ... and any parameter whose name has one of these in it (a driver's own spelling)
SECRET_PARTS = ("pwd", "password", "passwd", "secret", "token", "passcode", "credential")


def secret_parameter(name: str) -> bool:
    """Whether a URL's query parameter ``name`` carries a secret."""
    key = name.lower()
    return key in SECRET_PARAMETERS or any(part in key for part in SECRET_PARTS)


_HIDDEN = "***"


def _parsed(url: str | URL) -> URL | None:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        return None


def _secret_values(parsed: URL) -> list[str]:
    values = [parsed.password] if parsed.password else []
    for key, value in parsed.query.items():
        if secret_parameter(key):
            values += [value] if isinstance(value, str) else list(value)
    return [str(v) for v in values if v]


def safe_url(url: str | URL) -> str:
    """``url`` with every password and secret query parameter replaced by ``***``."""
    parsed = _parsed(url)
    if parsed is None:
        return "(an unparsable SQLAlchemy URL)"
    query = {k: _HIDDEN if secret_parameter(k) else v for k, v in parsed.query.items()}
    shown = parsed.set(query=query).render_as_string(hide_password=True)
    return shown.replace(quote_plus(_HIDDEN), _HIDDEN)


def scrub(text: str, url: str | URL) -> str:
    """``text`` with the secrets of ``url`` (as written and as URL-encoded) blanked out."""
    parsed = _parsed(url)
    for secret in _secret_values(parsed) if parsed is not None else []:
        text = text.replace(secret, _HIDDEN).replace(quote_plus(secret), _HIDDEN)
    return text


def safe_link(url: str) -> str:
    """A web link fit to show: without ``user:password@``, its secret query parameters
    hidden and personal data in the others masked (a dashboard filtered on an email)."""
    parts = urlsplit(url)
    query = [
        (k, _HIDDEN if secret_parameter(k) else mask_text(v))
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host, query=urlencode(query, safe="*")))
