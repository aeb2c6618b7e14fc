"""Masking speed: 1,000 labels of 10,000 characters, masked and cut for display.

    .venv/bin/python -m bench.masking

Prints the time to make the labels fit to show beside the time the former email pattern
(quadratic in a label's length) takes in the same run. The former is timed on a few labels
and scaled to 1,000: whole, it would take minutes. Both are CPU seconds of this process
(the machine's other work does not count). Target: well under a second.
"""

from __future__ import annotations

import random
import re
import time

from canary.display import shown_label
from canary.masking import mask_text

LABELS, LENGTH = 1_000, 10_000
FORMER_SAMPLE = 5
#: The email pattern masking used before: every start position scanned to the run's end.
FORMER_EMAIL = re.compile(r"[\w.+-]+@([\w-]+\.)+[\w-]+")


def labels(n: int = LABELS, length: int = LENGTH) -> list[str]:
    """Long labels of several shapes: one unbroken word, words, with an email, IP, key or
    token."""
    rng = random.Random(1)
    out = []
    for i in range(n):
        body = {
            0: "x" * length,
            1: " ".join("insight" for _ in range(length // 8)),
            2: "a." * (length // 2),
        }[i % 3]
        tails = ["", f" ops{i}@acme.example", " 10.0.0.1", " 2001:db8::1", " LK-AB12-CD34-EF56"]
        fake_token = " " + "-".join(("xoxb", "1234567890", "abcdef"))  # made up, built in parts
        tail = rng.choice([*tails, fake_token, " " + "0a" * 16])
        out.append(f"{i}-{body}"[: length - len(tail)] + tail)
    return out


def main() -> None:
    shown = labels()
    started = time.process_time()
    for label in shown:
        shown_label(label)
    now = time.process_time() - started

    started = time.process_time()
    for label in shown[:FORMER_SAMPLE]:
        mask_text(FORMER_EMAIL.sub("***@***", label))
    former = (time.process_time() - started) * LABELS / FORMER_SAMPLE

    print(f"{LABELS:,} labels of {LENGTH:,} characters, masked and cut for display:")
    print(f"  now:                  {now:.3f} s of CPU")
    print(f"  former email pattern: {former:.1f} s of CPU (timed on {FORMER_SAMPLE}, scaled)")


if __name__ == "__main__":
    main()
