"""What one file holds: separator styles that split a text into documents, and record formats.

Everything here works on the lines of one decoded file (line ends already ``\\n`` and removed, so
``"\\n".join(lines)`` is the text); ``loader`` does paths, bytes, compression and encodings.
Each reader yields parts ``(id, body, line, date)``: the document id (a name from the file, the file
name, or ``name#n``), its text, the line where it starts and the record's date as the record
writes it (None for plain text).
"""

from __future__ import annotations

import csv
import html
import json
import re
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import NoReturn

from .errors import InputError

# (id, text, place number, the record's raw date value or None: `dates.parse_date` reads it)
Part = tuple[str, str, int, object]
# Called with (line number, reason[, fix]) for a record that cannot be used; raises or records a
# warning. `fix`, when given, is the option that would read the record (said before --skip-bad-records).
OnBad = Callable[..., None]


def is_blank(text: str) -> bool:
    """True for text with nothing but whitespace in it (a form feed counts as something)."""
    return not text.strip() and "\f" not in text


# --- separator styles -------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """One way of marking where a document starts; `template` is how users know it."""

    name: str
    template: str


HEAD = Style("head", "==> NAME <==")
EQUALS = Style("equals", "=== NAME ===")
EQUALS_PREFIX = Style("equals-prefix", "===== NAME")
DASHES = Style("dashes", "--- NAME ---")
MORE = Style("more", ":::::::::::::: / NAME / ::::::::::::::")
WIKIEXTRACTOR = Style("wikiextractor", '<doc id="…">…</doc>')
TREC = Style("trec", "<DOC><DOCNO>…</DOCNO>…</DOC>")
FORM_FEED = Style("form-feed", "form feed (\\f)")
CUSTOM = Style("custom", "--separator regex")
STYLES = {
    s.name: s for s in (HEAD, EQUALS, EQUALS_PREFIX, DASHES, MORE, WIKIEXTRACTOR, TREC, FORM_FEED, CUSTOM)
}

# One-line headers: group 1 is the name. Order matters: `===== a =====` is EQUALS, not EQUALS_PREFIX.
_LINE_HEADERS: tuple[tuple[Style, re.Pattern[str]], ...] = (
    (HEAD, re.compile(r"==> (.+) <==\s*")),
    (EQUALS, re.compile(r"={3,}[ \t]+(.+?)[ \t]+={3,}\s*")),
    (EQUALS_PREFIX, re.compile(r"={5,}[ \t]+(.+?)(?:[ \t]+=+)?\s*")),
    (DASHES, re.compile(r"-{3,}[ \t]+(.+?)[ \t]+-{3,}\s*")),
)
_MORE_RULE = re.compile(r":{10,}\s*")
_WIKI_OPEN = re.compile(r"<doc(\s[^>]*)?>(.*)")
_WIKI_ID = re.compile(r"""\bid\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_WIKI_CLOSE = re.compile(r"\s*</doc>\s*")
_TREC_OPEN = re.compile(r"[ \t]*<DOC>(.*)", re.IGNORECASE)
_TREC_DOCNO = re.compile(r"<DOCNO>\s*(.*?)\s*</DOCNO>", re.IGNORECASE)
_SGML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9_.:-]*(?:\s[^<>]*)?/?>")


class _Lookahead:
    """Lines with a few lines of look-ahead (the `more` header is three lines long)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._it = iter(lines)
        self._ahead: deque[str] = deque()
        self.taken = 0  # lines handed out so far: the next line is number taken + 1

    def peek(self, i: int = 0) -> str | None:
        while len(self._ahead) <= i:
            try:
                self._ahead.append(next(self._it))
            except StopIteration:
                return None
        return self._ahead[i]

    def take(self) -> str:
        line = self.peek()
        if line is None:
            raise StopIteration
        self._ahead.popleft()
        self.taken += 1
        return line


# A header seen at the look-ahead position: (style, name or "", body text on the header line, lines).
_Header = tuple[Style, str, "str | None", int]


def _header(src: _Lookahead, only: Style | None = None) -> _Header | None:
    """The header starting at the next line, of style `only` if given, else of any style."""
    line = src.peek()
    if line is None:
        return None
    for style, pattern in _LINE_HEADERS:
        if only is None or only is style:
            m = pattern.fullmatch(line)
            if m and m.group(1).strip():
                return style, m.group(1).strip(), None, 1
    if (only is None or only is MORE) and _MORE_RULE.fullmatch(line):
        name, rule = src.peek(1), src.peek(2)
        if name is not None and rule is not None and not is_blank(name) and _MORE_RULE.fullmatch(rule):
            return MORE, name.strip(), None, 3
    if only is None or only is WIKIEXTRACTOR:
        m = _WIKI_OPEN.fullmatch(line)
        if m and m.group(1):
            ident = _WIKI_ID.search(m.group(1))
            name = html.unescape(ident.group(1) or ident.group(2) or "").strip() if ident else ""
            return WIKIEXTRACTOR, name, m.group(2) or None, 1
    if only is None or only is TREC:
        m = _TREC_OPEN.fullmatch(line)
        if m:
            return TREC, "", m.group(1) or None, 1
    return None


def _finish(style: Style, name: str, lines: list[str]) -> tuple[str, str]:
    """The (name, body) of one document of `style` from the lines that follow its header."""
    if style is WIKIEXTRACTOR:
        return name, "\n".join(x for x in lines if not _WIKI_CLOSE.fullmatch(x)).strip("\n")
    if style is TREC:
        kept = []
        for line in lines:
            m = _TREC_DOCNO.search(line)
            if m and not name:
                name = m.group(1)
            stripped = _SGML_TAG.sub("", _TREC_DOCNO.sub("", line))
            if stripped != line and not stripped.strip():
                continue  # a line of tags only
            kept.append(stripped)
        return name, "\n".join(kept).strip("\n")
    # One-line and `more` headers: the line end before the next header belongs to the separator,
    # so "HEADER\n" + body + "\n" + "HEADER\n" + ... splits back into exactly those bodies.
    return name, "\n".join(lines)


class TextSplitter:
    """Split the lines of one text file into documents, streaming one document at a time.

    Auto-detection splits only when the first non-blank line is a header and a second header of
    the same style follows, so a line that merely looks like a separator inside an article never
    splits it. Failing that, form feeds split pages. A `separator` regex replaces detection: every
    line it matches (``re.search``) starts a document, its group ``id`` (if any) names it.
    After iteration, `style` is the style used, or None when the file was one document.
    """

    def __init__(self, name: str, separator: re.Pattern[str] | None = None) -> None:
        self.name = name
        self.separator = separator
        self.style: Style | None = None
        # (line, message) of lines that look like separators but were not split at (see
        # `_split_here`); the caller takes them out as warnings.
        self.doubts: list[tuple[int, str]] = []
        self._tail: bool | None = None  # a `==> NAME <==` file as `tail` writes it? (second header)
        self._names: dict[str, int] = {}  # header names so far, and their lines

    def parts(self, lines: Iterable[str]) -> Iterator[Part]:
        """Yield (id, body, line) for each document; bodies may be blank (the caller skips them)."""
        if self.separator is not None:
            yield from self._custom(lines, self.separator)
            return
        src = _Lookahead(lines)
        lead: list[str] = []
        while (line := src.peek()) is not None and is_blank(line):
            lead.append(src.take())
        found = _header(src)
        if found is None:
            yield from self._plain(chain(lead, _drain(src)))
            return
        style, name, rest, size = found
        first_line = src.taken + 1
        self._names = {name: first_line}
        seen = lead + [src.take() for _ in range(size)]
        body_start = len(seen)
        # Look for a second header of the same style, keeping what we read for the fallback.
        while (following := self._split_here(src, style, seen[-1])) is None:
            if src.peek() is None:
                yield from self._plain(seen)  # only one header: the file is one document
                return
            seen.append(src.take())
        self.style = style
        body = ([rest] if rest is not None else []) + seen[body_start:]
        del seen
        ordinal = 1
        while True:
            doc_name, text = _finish(style, name, body)
            yield doc_name or f"{self.name}#{ordinal}", text, first_line, None
            if following is None:
                return
            ordinal += 1
            _, name, rest, size = following
            first_line = src.taken + 1
            header = [src.take() for _ in range(size)]
            body = [rest] if rest is not None else []
            following = None
            while src.peek() is not None:
                following = self._split_here(src, style, body[-1] if body else header[-1])
                if following is not None:
                    break
                body.append(src.take())

    def _split_here(self, src: _Lookahead, style: Style, previous: str) -> _Header | None:
        """The header of `style` at the next line, if the file is split there; `previous` is the
        line before it.

        `tail -n +1 a b` writes a blank line before each header but the first (when the file
        before ends with a line end) and never repeats a name (unless given a file twice). When the
        second `==> NAME <==` header follows a blank line, the file is taken for tail's output and
        a later header line without a blank line before it, or repeating an earlier name, is a line
        of the article that looks like one (a quoted log): it is kept as text, with a warning
        (`doubts`). Files written otherwise (no blank lines) split at every such line, as before.
        """
        found = _header(src, style)
        if found is None or style is not HEAD:
            return found
        blank = is_blank(previous)
        if self._tail is None:
            self._tail = blank
        if not self._tail:
            return found
        number = src.taken + 1
        earlier = self._names.get(found[1])
        if not blank:
            why = "tail writes a blank line before each header after the first"
        elif earlier is not None:
            why = f"it repeats the name of the document at line {earlier}"
        else:
            self._names[found[1]] = number
            return found
        fix = "--separator '^==> (?P<id>.+) <==$' splits at every such line"
        line = src.peek()
        self.doubts.append((number, f"{line!r} looks like a separator but is kept as text: {why} ({fix})"))
        return None

    def _plain(self, lines: Iterable[str]) -> Iterator[Part]:
        """One document, unless form feeds split it into pages (blank first and last pages dropped)."""
        current: list[str] = []
        start = 1
        ordinal = 0
        pending: tuple[str, int] | None = None  # the last page, held back in case it is the final blank one
        for number, line in enumerate(lines, 1):
            if "\f" not in line:
                current.append(line)
                continue
            pieces = line.split("\f")
            current.append(pieces[0])
            for piece in pieces[1:]:
                text = "\n".join(current)
                if pending is not None:
                    ordinal += 1
                    yield f"{self.name}#{ordinal}", pending[0], pending[1], None
                    pending = (text, start)
                elif self.style is not None or not is_blank(text):
                    pending = (text, start)
                self.style = FORM_FEED
                current, start = [piece], number
        text = "\n".join(current)
        if self.style is None:
            yield self.name, text, 1, None
            return
        if pending is not None:
            ordinal += 1
            yield f"{self.name}#{ordinal}", pending[0], pending[1], None
        if not is_blank(text):
            yield f"{self.name}#{ordinal + 1}", text, start, None

    def _custom(self, lines: Iterable[str], separator: re.Pattern[str]) -> Iterator[Part]:
        """Split at every line the user's regex matches; text before the first one is a document too."""
        current: list[str] = []
        name: str | None = None
        start = 1
        ordinal = 0
        for number, line in enumerate(lines, 1):
            m = separator.search(line)
            if m is None:
                current.append(line)
                continue
            text = "\n".join(current)
            keep = self.style is not None or not is_blank(text)  # a blank preamble is no document
            self.style = CUSTOM
            if keep:
                ordinal += 1
                yield name or f"{self.name}#{ordinal}", text, start, None
            name = (m.groupdict().get("id") or "").strip() or None
            current, start = [], number
        text = "\n".join(current)
        if self.style is None:
            yield self.name, text, 1, None
        else:
            yield name or f"{self.name}#{ordinal + 1}", text, start, None


def _drain(src: _Lookahead) -> Iterator[str]:
    while src.peek() is not None:
        yield src.take()


# --- record formats ---------------------------------------------------------------------------


def _record_id(value: object) -> str | None:
    """The id a record gives: None when it gives none (missing, null, empty), "" when unusable."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def read_jsonl(
    lines: Iterable[str],
    name: str,
    id_field: str,
    text_field: str,
    on_bad: OnBad,
    ident: str = "",
    date_field: str = "",
) -> Iterator[Part]:
    """One document per JSON object per line; blank lines ignored; a record without id is
    ident#line (`ident`: the file's id, its name unless given); its date is `date_field`'s."""
    ident = ident or name
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            on_bad(number, f"not valid JSON ({e.msg})")
            continue
        except RecursionError:
            on_bad(number, "not valid JSON (nested too deeply)")
            continue
        if not isinstance(record, dict):
            on_bad(number, f"not a JSON object (found {type(record).__name__})")
            continue
        if text_field not in record:
            on_bad(number, f"no {text_field!r} field ({_fields(record)})", _text_field_fix(record, id_field))
            continue
        text = record[text_field]
        if not isinstance(text, str):
            on_bad(number, f"field {text_field!r} is not a string")
            continue
        given = _record_id(record.get(id_field))
        if given == "":
            on_bad(number, f"field {id_field!r} is not a string or a number")
            continue
        yield given or f"{ident}#{number}", text, number, record.get(date_field) if date_field else None


def _fields(record: dict[str, object] | list[str]) -> str:
    keys = [str(k) for k in record]
    shown = ", ".join(keys[:10]) + (", …" if len(keys) > 10 else "")
    return f"fields: {shown}" if keys else "no fields"


def _text_field_fix(record: dict[str, object], id_field: str) -> str:
    """How to read a record that lacks the text field: name the field (not the id) holding its
    longest string."""
    best, longest = "", 0  # ties: the first such field
    for key, value in record.items():
        if key != id_field and isinstance(value, str) and len(value.strip()) > longest:
            best, longest = str(key), len(value.strip())
    if not best:
        return "choose the text field with --text-field"
    return f"choose the text field with --text-field (here perhaps --text-field {best})"


def _raise_csv_limit() -> None:
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:  # a C long smaller than sys.maxsize (Windows)
            limit //= 2


def _with_line_ends(lines: Iterable[str]) -> Iterator[str]:
    previous: str | None = None
    for line in lines:
        if previous is not None:
            yield previous + "\n"
        previous = line
    if previous:
        yield previous


# After the last line of a TSV file: a quote that opens a field closes at this line, so a field
# still open at the end of the file shows as a field holding the mark. Noncharacters: no text has them.
_END_MARK = "\ufdd0end of input\ufdd1"


def _unclosed(start: int, end: int) -> str:
    return f"a quoted field is never closed: lines {start}-{end} would be one field"


def read_csv(
    lines: Iterable[str],
    name: str,
    delimiter: str,
    id_field: str,
    text_field: str,
    on_bad: OnBad,
    ident: str = "",
    date_field: str = "",
) -> Iterator[Part]:
    """One document per row of a CSV/TSV file whose first row names the columns; a row without
    id is ident#line (`ident`: the file's id, its name unless given); its date is the
    `date_field` column's.

    A row whose fields do not fit the header is a bad record: too few to reach the text column,
    or more non-empty fields than the header names (text cut at an unquoted comma). CSV is parsed
    strictly, so a stray quote cannot silently join the rows that follow into one field; TSV is
    often written without quoting (a text may start with a quotation mark), so it is parsed
    leniently, but a quote still open at the end of the file is a bad record there too.
    """
    _raise_csv_limit()
    kind = "TSV" if delimiter == "\t" else "CSV"
    strict = kind == "CSV"
    source: Iterable[str] = _with_line_ends(lines)
    if not strict:
        source = chain(source, ['"' + _END_MARK + "\n"])
    reader = csv.reader(source, delimiter=delimiter, strict=strict)
    header: list[str] | None = None
    text_at = id_at = -1
    done = 0  # physical lines read so far
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            start = done + 1
            if str(e) == "unexpected end of data":  # a quote opened in this record never closes
                reason = _unclosed(start, reader.line_num)
            else:
                at = f" on line {reader.line_num}" if reader.line_num != start else ""
                reason = f"malformed {kind} ({e}{at})"
            if header is None:
                raise InputError(f"{name}: line {start}: cannot read the header row ({reason})") from None
            on_bad(start, reason)
            done = reader.line_num
            continue
        number, done = done + 1, reader.line_num
        if not strict and row and _END_MARK in row[-1]:
            if row == [_END_MARK + "\n"]:
                return  # the mark on a line of its own: every quote was closed
            reason = _unclosed(number, done - 1)
            if header is None:
                raise InputError(f"{name}: line {number}: cannot read the header row ({reason})")
            on_bad(number, reason)
            return
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header is None:
            header = [h.strip() for h in row]
            if text_field not in header:
                raise InputError(
                    f"{name}: line {number}: no {text_field!r} column in the header ({_fields(header)}); "
                    "choose the text column with --text-field"
                )
            text_at = header.index(text_field)
            id_at = header.index(id_field) if id_field in header else -1
            date_at = header.index(date_field) if date_field and date_field in header else -1
            continue
        if len(row) <= text_at:
            on_bad(number, f"{len(row)} fields where the header has {len(header)}, no {text_field!r}")
            continue
        if len(row) > len(header) and any(field.strip() for field in row[len(header) :]):
            sep = "tab" if kind == "TSV" else "comma"
            extra = f"{len(row)} fields where the header has {len(header)}"
            on_bad(number, f"{extra} (a {sep} in an unquoted field?)")
            continue
        given = row[id_at] if 0 <= id_at < len(row) else ""
        date = row[date_at] if 0 <= date_at < len(row) else None
        yield given or f"{ident or name}#{number}", row[text_at], number, date


# --- optional formats: Parquet, saved HTML pages, WARC archives ---------------------------------
# Their libraries are imported only when such a file is met; a missing one names the extra.


def _need(module: str, name: str, what: str, extra: str) -> NoReturn:
    raise InputError(f"{name}: {what} needs the {module} package: install news-dedupe[{extra}]")


def read_parquet(
    source: object,
    name: str,
    id_field: str,
    text_field: str,
    on_bad: OnBad,
    ident: str = "",
    part: int = 0,
    parts: int = 1,
    date_field: str = "",
) -> Iterator[Part]:
    """One document per row of a Parquet file; the third item of each part is the row number; a
     row without id is ident#row (`ident`: the file's id, its name unless given). With `parts`
     above 1, only the rows of the `part`-th of `parts` contiguous ranges of its row groups
    , read by themselves, numbered as in the whole file."""
    ident = ident or name
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        _need("pyarrow", name, "reading Parquet files", "parquet")
    failures = (OSError, ValueError, pa.ArrowException)
    try:
        table = pq.ParquetFile(source)
    except failures as e:
        raise InputError(f"{name}: not a readable Parquet file ({e})") from None
    columns = table.schema_arrow.names
    if text_field not in columns:
        raise InputError(
            f"{name}: no {text_field!r} column ({_fields(columns)}); choose the text column with --text-field"
        )
    wanted = [text_field] + ([id_field] if id_field in columns and id_field != text_field else [])
    if date_field in columns and date_field not in wanted:
        wanted.append(date_field)
    row, groups = 0, None
    if parts > 1:
        count = table.metadata.num_row_groups
        groups = [g for g in range(count) if g * parts // count == part]
        before = groups[0] if groups else count
        row = sum(table.metadata.row_group(g).num_rows for g in range(before))
        if not groups:
            return
    batches = table.iter_batches(batch_size=1024, columns=wanted, row_groups=groups)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except failures as e:
            raise InputError(f"{name}: record {row + 1}: cannot read the Parquet data ({e})") from None
        for record in batch.to_pylist():
            row += 1
            text = record[text_field]
            if not isinstance(text, str):
                on_bad(row, f"field {text_field!r} is not a string")
                continue
            given = _record_id(record.get(id_field))
            if given == "":
                on_bad(row, f"field {id_field!r} is not a string or a number")
                continue
            yield given or f"{ident}#{row}", text, row, record.get(date_field) if date_field else None


def parquet_row_groups(path: str) -> int:
    """How many row groups the Parquet file `path` has (its footer only); 1 when it cannot be
    read (its reader then says why)."""
    try:
        import pyarrow.parquet as pq

        return max(1, pq.ParquetFile(path).metadata.num_row_groups)
    except Exception:  # unreadable, or no pyarrow: the file's one partition reports it
        return 1


def html_article(page: str | bytes, name: str, url: str | None = None) -> tuple[str | None, str]:
    """(URL, main text) of a saved web page, by trafilatura; the text is "" when none is found."""
    try:
        import trafilatura
    except ImportError:
        _need("trafilatura", name, "extracting article text from HTML", "html")
    try:
        found = trafilatura.bare_extraction(page, url=url, with_metadata=True)
    except Exception as e:  # a third-party parser on arbitrary input: report, never crash
        raise InputError(f"{name}: cannot extract text from the HTML ({type(e).__name__}: {e})") from None
    if found is None:
        return url, ""
    found_url = getattr(found, "url", None) if not isinstance(found, dict) else found.get("url")
    text = getattr(found, "text", None) if not isinstance(found, dict) else found.get("text")
    return url or found_url or None, text or ""


def read_warc(stream: object, name: str, ident: str = "") -> Iterator[Part]:
    """One document per HTML page (response or resource, status 2xx) in a WARC archive; its id is
    the page's WARC-Target-URI (else ident#record, `ident` the file's id, its name unless given),
    its third item the record number. Other records are passed over."""
    ident = ident or name
    try:
        from warcio.archiveiterator import ArchiveIterator
    except ImportError:
        _need("warcio", name, "reading WARC archives", "warc")
    number = 0
    records = iter(ArchiveIterator(stream))
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except InputError:
            raise  # from the stream below: a truncated or corrupt compressed file
        except Exception as e:  # a third-party parser on arbitrary input: report, never crash
            raise InputError(f"{name}: record {number + 1}: not a readable WARC record ({e})") from None
        number += 1
        if record.rec_type not in ("response", "resource"):
            continue
        http = record.http_headers
        if http is not None and not str(http.get_statuscode() or "200").startswith("2"):
            continue
        content_type = (http or record.rec_headers).get_header("Content-Type") or ""
        if "html" not in content_type.lower():
            continue
        url = record.rec_headers.get_header("WARC-Target-URI")
        try:
            payload = record.content_stream().read()
        except InputError:
            raise
        except Exception as e:  # e.g. a broken chunked or gzip Content-Encoding
            raise InputError(f"{name}: record {number}: cannot read the payload ({e})") from None
        found_url, text = html_article(payload, f"{name}: record {number}", url)
        yield found_url or f"{ident}#{number}", text, number, record.rec_headers.get_header("WARC-Date")
