"""The unit every stage passes along: one document's id, text and where it came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Document:
    """One article as the loader found it.

    `source` names the file and place (``corpus.txt:120``, ``feed.jsonl:7``, ``<stdin>``) so
    that warnings and reports can point a user back to the input. `date` is when it was
    published, in seconds since the epoch (UTC), when its record gives one (`dates.parse_date`).
    """

    id: str
    text: str
    source: str = ""
    date: float | None = None
