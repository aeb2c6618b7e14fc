"""What of a result may reach people: sample rows and text masked per config, by default.

Results arrive with personal columns masked already; this applies the alert settings on
top (per column ``mask`` or ``drop``) and masks emails, IPs and license keys in every
string again, so nothing reaches Slack unmasked even from a source that forgot.
"""

from __future__ import annotations

import re
from typing import Any

from canary.alerts.policy import Masking
from canary.masking import mask_text, mask_value

_EXAMPLES = re.compile(r"; e\.g\. .*$", re.DOTALL)


def masked_rows(rows: list[dict[str, Any]], masking: Masking) -> list[dict[str, Any]]:
    """At most ``masking.sample_rows`` rows with the per-column rules applied."""
    rules = masking.columns
    out = []
    for row in rows[: masking.sample_rows]:
        out.append(
            {
                column: mask_value(value, rules.get(column) == "mask")
                for column, value in row.items()
                if rules.get(column) != "drop"
            }
        )
    return out


def masked_reason(reason: str, column: str | None, masking: Masking) -> str:
    """``reason`` fit to show: example values of a masked column are cut out."""
    columns = (column or "").split(",")
    if any(masking.columns.get(c) for c in columns):
        reason = _EXAMPLES.sub(".", reason)
    return mask_text(reason)


def masked_value(value: Any) -> Any:
    """Strings anywhere in ``value`` with emails, IPs and license keys masked."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: masked_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked_value(v) for v in value]
    return value
