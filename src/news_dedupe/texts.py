"""Documents' texts after detection: the headline of each member in the text report, the passages
of the HTML report, the corpus without its duplicates (`--write-unique`).

Detection keeps no text (a run of a million documents could not), so the CLI sets each document's
text (or only its first line, when a headline is all it needs) aside in an unnamed temporary file
as the input is read (`TextSpool.tap`), and reads back those it needs once the clusters are known:
nothing a document in memory, the input read once (stdin and pipes cannot be read twice), and
no warning given twice.
"""

from __future__ import annotations

import json
import re
import struct
import tempfile
import unicodedata
from collections.abc import Collection, Iterable, Iterator
from typing import IO

from .config import Config
from .document import Document
from .errors import DedupeError
from .text import mark_prose, segments

# A headline is a document's first non-empty line; a line longer than this is prose, not a
# headline, and nothing shows more of it.
HEADLINE_CHARS = 200
_RECORD = struct.Struct("<II")  # bytes of the id, bytes of the text


def headline(text: str, limit: int = HEADLINE_CHARS) -> str:
    """The first non-empty line of `text`, on one line: control characters become spaces,
    invisible formatting characters (bidirectional overrides, zero-width marks) are dropped and
    runs of spaces are one, so that no text can move a terminal's cursor or reorder a line."""
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start : min(end, start + limit * 2)]
        start = end + 1
        if not line.isprintable():  # most headlines: nothing to take out (no control or format character)
            line = "".join(map(_printable, line))
        clean = " ".join(line.split())
        if clean:
            return clean[:limit]
    return ""


def _printable(c: str) -> str:
    category = unicodedata.category(c)
    if category == "Cf":
        return ""
    return " " if category in ("Cc", "Zl", "Zp") else c


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: wide and full-width characters (CJK) take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fit(text: str, width: int) -> str:
    """`text` cut to `width` columns (an ellipsis marks the cut) and padded with spaces to them."""
    if display_width(text) <= width:
        return text + " " * (width - display_width(text))
    out, used = [], 0
    for c in text:
        w = display_width(c)
        if used + w > width - 1:
            break
        out.append(c)
        used += w
    kept = "".join(out).rstrip()  # "Iran is…", not "Iran is …"
    return kept + "…" + " " * (width - 1 - display_width(kept))


def prose_spans(text: str, config: Config) -> list[tuple[int, int]]:
    """Where each prose segment of `text` lies in it, as (start, end) offsets: the segments
    `verify.profile` makes (the same functions, the same cap), whose indexes `PairScores.matched_a`
    and `matched_b` hold.

    A segment keeps its sentences' text joined by single spaces, so it is found in its line as
    written, else with any run of spaces between its words; else its whole line is given. Pieces
    of one long sentence (cut at 60 tokens) share that sentence's span."""
    prose = [s for s in mark_prose(segments(text)) if s.prose][: config.max_segments]
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    lines = text.split("\n")
    spans: list[tuple[int, int]] = []
    cursor: tuple[int, int] = (0, 0)  # (line number, offset in it) where the last segment ended
    last: tuple[int, str, tuple[int, int]] | None = None
    for s in prose:
        if last is not None and last[:2] == (s.line, s.text):
            spans.append(last[2])
            continue
        line = lines[s.line - 1]
        begin = cursor[1] if cursor[0] == s.line else 0
        at = line.find(s.text, begin)
        if at >= 0:
            found = (at, at + len(s.text))
        else:
            words = [re.escape(w) for w in s.text.split()]
            match = re.compile(r"\s+".join(words)).search(line, begin) if words else None
            found = match.span() if match else (0, len(line))
        base = starts[s.line - 1]
        span = (base + found[0], base + found[1])
        spans.append(span)
        cursor = (s.line, found[1])
        last = (s.line, s.text, span)
    return spans


def spool_for(fmt: str, unique: bool) -> TextSpool | None:
    """A spool of what a report in `fmt`, and `--write-unique` when `unique`, need of each text:
    the whole text for an HTML report or the unique corpus, the first line for a text report
    (its headlines), nothing (None) for the others."""
    if unique or fmt == "html":
        return TextSpool()
    return TextSpool(headlines_only=True) if fmt == "text" else None


class TextSpool:
    """Each document's text, or its headline only, as it is read, in an unnamed temporary file
    (in TMPDIR): id and text, length-prefixed, in input order. Nothing is kept in memory."""

    def __init__(self, headlines_only: bool = False, directory: str | None = None) -> None:
        self.headlines_only = headlines_only
        self.directory = directory
        try:
            self._file: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - closed by close()
        except OSError as err:
            raise self._error(err) from err

    def _error(self, err: OSError) -> DedupeError:
        return DedupeError(
            f"{self.directory or tempfile.gettempdir()}: cannot keep the documents' texts in a temporary"
            f" file there ({err.strerror}); set TMPDIR to a folder with room (the size of the input)"
        )

    def tap(self, documents: Iterable[Document]) -> Iterator[Document]:
        """`documents`, each written to the spool as it passes."""
        for doc in documents:
            text = headline(doc.text) if self.headlines_only else doc.text
            key, body = doc.id.encode("utf-8", "surrogatepass"), text.encode("utf-8", "surrogatepass")
            try:
                self._file.write(_RECORD.pack(len(key), len(body)) + key + body)
            except OSError as err:
                raise self._error(err) from err
            yield doc

    def items(self, wanted: Collection[str] | None = None) -> Iterator[tuple[str, str]]:
        """(id, text) of every document spooled, in input order, or of those in `wanted` only
        (the others are skipped over, not decoded)."""
        try:
            self._file.flush()
            self._file.seek(0)
            while True:
                head = self._file.read(_RECORD.size)
                if len(head) < _RECORD.size:
                    return
                n_key, n_body = _RECORD.unpack(head)
                key = self._file.read(n_key).decode("utf-8", "surrogatepass")
                if wanted is not None and key not in wanted:
                    self._file.seek(n_body, 1)
                    continue
                yield key, self._file.read(n_body).decode("utf-8", "surrogatepass")
        except OSError as err:
            raise self._error(err) from err

    def texts(self, wanted: Collection[str]) -> dict[str, str]:
        """The texts (or headlines) of the documents in `wanted`, by id."""
        return dict(self.items(wanted))

    def jsonl(self, drop: Collection[str]) -> Iterator[str]:
        """Every document but those in `drop`, in input order, as JSON Lines `{"id", "text"}`
        (the form text-dedup and datatrove write a deduplicated corpus in)."""
        for doc_id, text in self.items():
            if doc_id not in drop:
                yield json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n"

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> TextSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
