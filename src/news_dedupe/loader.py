"""Turn the paths a user gives into documents: files, folders, globs, stdin, compressed streams.

The loader streams: a file is read in chunks, decompressed and decoded as it goes, split into
lines, and each document is yielded as soon as it is complete, so memory holds about one
document at a time (a file with no separators is one document, held whole).

Problems the user should hear about but that do not stop the run (a binary file passed over,
a guessed encoding, a renamed duplicate id) are reported through the `warn` callback as
`LoadWarning`s; problems that make the input unusable raise `InputError` with a one-line message
naming the file and the place.
"""

from __future__ import annotations

import bz2
import codecs
import errno
import glob
import gzip
import lzma
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any

from .charsets import choose_legacy
from .dates import BadDate, parse_date
from .document import Document
from .errors import ConfigError, InputError
from .loader_formats import (
    OnBad,
    Part,
    TextSplitter,
    html_article,
    is_blank,
    read_csv,
    read_jsonl,
    read_parquet,
    read_warc,
)

__all__ = ["WARNING_KINDS", "LoadOptions", "LoadWarning", "file_id", "flag_large", "load", "split_text"]

WARNING_KINDS = (
    "binary",
    "encoding",
    "encoding-guess",
    "empty",
    "only-separators",
    "duplicate-id",
    "bad-record",
    "separator-style",
    "separator-doubt",
    "decoded-as",
    "large-document",
    "bad-date",
)

STDIN_NAME = "<stdin>"
_CHUNK = 1 << 20  # bytes read at a time
_SAMPLE = 1 << 16  # bytes looked at to choose an encoding (at least; the first chunk is used whole)
_ZSTD_SLICE = 1 << 14  # compressed bytes given to zstd at a time
_BINARY_WINDOW = 8192  # a NUL byte in this many first bytes means a binary file
_COMPRESSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd", ".zstd": "zstd"}
# What compressed data begins with, so that a compressed file or stream without its suffix is still
# read (a bzip2 or zstd header has no NUL byte to mark it as binary: it would be read as garbled text).
_MAGIC = re.compile(
    rb"(?P<gzip>\x1f\x8b\x08)|(?P<bzip2>BZh[1-9](?:1AY&SY|\x17rE8P\x90))|(?P<xz>\xfd7zXZ\x00)"
    rb"|(?P<zstd>\x28\xb5\x2f\xfd)"
)
_SUFFIX = {"gzip": ".gz", "bzip2": ".bz2", "xz": ".xz", "zstd": ".zst"}
_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".html": "html",
    ".htm": "html",
    ".warc": "warc",
}
_BOMS = (  # longest first: the UTF-32-LE mark starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32-LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32-BE"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16-LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16-BE"),
)
_GLOB_MAGIC = re.compile(r"[*?[]")


@dataclass(frozen=True)
class LoadOptions:
    """How to read the input: record fields, a separator that overrides detection, strictness.

    `separator` is a regular expression searched in each line; a line where it matches starts a
    document and its named group ``id``, if any, names it (else ids are ``path#n``).
    """

    id_field: str = "id"
    text_field: str = "text"
    separator: str | None = None
    skip_bad_records: bool = False
    date_field: str = "date"  # "" reads no dates

    def __post_init__(self) -> None:
        for label, value in (("--id-field", self.id_field), ("--text-field", self.text_field)):
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{label} must be a non-empty field name")
        if self.separator is not None:
            _compile_separator(self.separator)

    def __str__(self) -> str:
        parts = [f"id_field={self.id_field!r}", f"text_field={self.text_field!r}"]
        parts.append(f"separator={self.separator!r}" if self.separator is not None else "separator=auto")
        parts.append(f"skip_bad_records={self.skip_bad_records}")
        parts.append(f"date_field={self.date_field!r}")
        return "LoadOptions(" + ", ".join(parts) + ")"


@dataclass(frozen=True)
class LoadWarning:
    """Something about the input worth telling the user; `skipped` when something was passed over.

    `kind` is one of WARNING_KINDS; "separator-style" and "decoded-as" are information for
    --verbose. `message` is one line that names the file and the place.
    """

    kind: str
    path: str
    place: str
    message: str
    skipped: bool

    def __str__(self) -> str:
        return self.message


Warn = Callable[[LoadWarning], None]


def load(
    paths: Sequence[str], options: LoadOptions = LoadOptions(), warn: Warn | None = None
) -> Iterator[Document]:
    """Yield documents in a deterministic order (paths in the order given; folders recursive, sorted).

    A path is a file (split at separators when it has them, else one document whose id is the
    path), a folder (every file in it, recursively, in sorted order, hidden names left out,
    each real folder walked once so symbolic-link loops end), ``-`` for standard input, or a glob
    pattern (``*.txt``, ``**/*.jsonl``) when no file has that literal name. Paths that do not
    exist, globs that match nothing and folders without files are reported here, before anything
    is read.
    """
    if isinstance(paths, str):
        paths = [paths]
    expanded = [_expand(p) for p in paths]
    return _Loader(options, warn)(expanded)


def split_text(
    text: str, name: str, separator: str | None = None
) -> tuple[list[tuple[str, str, int]], str | None]:
    """Split one file's decoded text into (id, body, line_number) parts; return also the name of the
    detected separator style (None when the file is one document).

    Bodies are returned as found, blank ones included (`load` skips those with a warning). For
    one-line headers the line end before the next header belongs to the separator, so joining
    ``"==> a <==\\n" + body_a + "\\n==> b <==\\n" + body_b`` splits back into exactly those bodies.
    """
    splitter = TextSplitter(name, _compile_separator(separator) if separator is not None else None)
    parts = [(ident, body, line) for ident, body, line, _ in splitter.parts(text.split("\n"))]
    return parts, splitter.style.name if splitter.style else None


# A news article is a few thousand words; a document past either of these is something else (a
# whole feed dump, a book, a log) and costs seconds and hundreds of MB to profile.
LARGE_CHARS = 1_000_000
LARGE_WORDS = 100_000


def flag_large(documents: Iterable[Document], warn: Warn | None, max_segments: int) -> Iterator[Document]:
    """The documents, with a "large-document" warning (naming it, its size in characters and about
    how many words) for each far larger than a news article: LARGE_CHARS characters or LARGE_WORDS
    words; it says too when alignment will read only its first `max_segments` prose segments."""
    for doc in documents:
        text = doc.text
        if warn is not None and len(text) >= 2 * LARGE_WORDS - 1:  # fewer cannot hold that many words
            words = text.count(" ") + text.count("\n") + text.count("\t") + 1  # about: no list of them
            if len(text) >= LARGE_CHARS or words >= LARGE_WORDS:
                warn(_large(doc, words, max_segments))
        yield doc


def _large(doc: Document, words: int, max_segments: int) -> LoadWarning:
    from .text import mark_prose, segments

    size = len(doc.text)
    head = doc.text[:LARGE_CHARS]  # segmenting a few hundred MB to count would cost what profiling does
    prose = sum(s.prose for s in mark_prose(segments(head))) * size / len(head)
    where = doc.source or doc.id
    message = (
        f"{where}: document {doc.id!r} is {size / 1e6:,.1f} million characters "
        f"(about {round(words, -3):,} words), "
        "far larger than a news article: slow to read and profile"
    )
    if prose > max_segments:
        message += f"; alignment reads only its first {max_segments:,} segments (max_segments)"
    return LoadWarning("large-document", where, "", message, False)


# --- paths ------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _compile_separator(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.MULTILINE)
    except re.error as e:
        raise ConfigError(f"--separator: not a valid regular expression ({e})") from None


def _expand(path: str) -> list[str] | str:
    """`path` itself when it names something (or is stdin), else the sorted files a glob matches."""
    if path == "-":
        return path
    if os.path.lexists(path):
        if os.path.isdir(path) and next(_walk(path, set()), None) is None:
            raise InputError(f"{path}: no files found in the folder")
        return path
    if _GLOB_MAGIC.search(path):
        matches = sorted(glob.glob(path, recursive=True))
        if not matches:
            raise InputError(f"{path}: no such file (the pattern matches nothing)")
        return matches
    raise InputError(f"{path}: no such file")


def _walk(folder: str, seen: set[str]) -> Iterator[str]:
    """Files under `folder`, recursive and sorted; a real folder already seen is not walked again."""
    real = os.path.realpath(folder)
    if real in seen:
        return
    seen.add(real)
    try:
        names = sorted(os.listdir(folder))
    except PermissionError:
        raise InputError(f"{folder}: permission denied") from None
    except OSError as e:
        raise InputError(f"{folder}: cannot list the folder ({e.strerror or e})") from None
    for entry in names:
        if entry.startswith("."):
            continue
        path = os.path.join(folder, entry)
        if os.path.isdir(path):
            yield from _walk(path, seen)
        elif os.path.isfile(path):
            yield path
        elif os.path.islink(path):
            raise InputError(f"{path}: {_broken_link(path)}")
        # sockets, FIFOs and devices inside a folder are not documents


def _broken_link(path: str) -> str:
    """Why a symbolic link leads nowhere: its target is missing, or links point at each other."""
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop (the links point at each other)"
    return "no such file (broken symbolic link)"


def file_id(path: str, folder: str | None = None) -> str:
    """The id of a file's document (or the base of its documents' ids: `ID#3`), the same from
    any working folder: for a file found in a `folder` given, the folder's own name and the path
    inside it (`batch/2024/a.txt`); for a file given itself (or matched by a glob), the name of
    the folder holding it and its own (`batch/a.txt`, whether `batch/a.txt` or `a.txt` was typed
    in `batch`). Separators are `/` everywhere.
    """
    if folder is None:
        top, inside = os.path.dirname(os.path.abspath(path)), [os.path.basename(path)]
    else:
        top, inside = os.path.abspath(folder), os.path.relpath(path, folder).split(os.sep)
    return "/".join([name, *inside] if (name := os.path.basename(top)) else inside)


def _kind_of(name: str) -> tuple[str | None, str]:
    """(compression, format) from a file name: ``x.jsonl.gz`` is gzip-compressed JSON Lines."""
    lower = name.lower()
    compression = None
    for suffix, method in _COMPRESSIONS.items():
        if lower.endswith(suffix):
            compression, lower = method, lower[: -len(suffix)]
            break
    fmt = _FORMATS.get(os.path.splitext(lower)[1], "text")
    return compression, fmt


# --- bytes ------------------------------------------------------------------------------------


def _open(path: str) -> IO[bytes]:
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder") from None
    except OSError as e:
        raise InputError(f"{path}: cannot open ({e.strerror or e})") from None


class _TextToBytes:
    """A binary view of a text-mode standard input that has no `.buffer` (tests, notebooks)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        text = self._stream.read(size)
        try:
            return text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # lone surrogates that no bytes could have made
            return text.encode("utf-8", "replace")


def _raw_chunks(stream: Any, name: str) -> Iterator[bytes]:
    while True:
        try:
            chunk = stream.read(_CHUNK)
        except OSError as e:
            raise InputError(f"{name}: cannot read ({e.strerror or e})") from None
        if not chunk:
            return
        yield chunk


def _decompressor(stream: Any, method: str) -> Any:
    if method == "gzip":
        return gzip.GzipFile(fileobj=stream, mode="rb")
    if method == "bzip2":
        return bz2.BZ2File(stream, mode="rb")
    return lzma.LZMAFile(stream, mode="rb")


def _decompressed(stream: Any, name: str, method: str | None) -> Iterator[bytes]:
    """The file's bytes, decompressed; a broken stream raises InputError naming the method."""
    if method is None:
        yield from _raw_chunks(stream, name)
        return
    if method == "zstd":
        yield from _zstd_chunks(stream, name)
        return
    # Closing these readers leaves the underlying file open: it belongs to the caller.
    with _decompressor(stream, method) as reader:
        while True:
            try:
                chunk = reader.read(_CHUNK)
            except (EOFError, OSError, zlib.error, lzma.LZMAError) as e:
                raise InputError(f"{name}: truncated or corrupt {method} stream ({e})") from None
            if not chunk:
                return
            yield chunk


def _zstd_chunks(stream: Any, name: str) -> Iterator[bytes]:
    try:
        import zstandard
    except ImportError:
        raise InputError(
            f"{name}: reading .zst files needs the zstandard package: install news-dedupe[zstd]"
        ) from None
    context = zstandard.ZstdDecompressor()
    frame = context.decompressobj()
    fed = False  # has the current frame been given any bytes?
    for chunk in _raw_chunks(stream, name):
        # Small slices keep each output piece small: zstd can expand data a thousandfold.
        for start in range(0, len(chunk), _ZSTD_SLICE):
            data = chunk[start : start + _ZSTD_SLICE]
            while data:
                try:
                    out = frame.decompress(data)
                except zstandard.ZstdError as e:
                    raise InputError(f"{name}: truncated or corrupt zstd stream ({e})") from None
                fed = True
                if out:
                    yield out
                if not frame.eof:
                    break
                data = frame.unused_data  # the next frame of a concatenated file
                frame, fed = context.decompressobj(), False
    if fed and not frame.eof:
        raise InputError(f"{name}: truncated or corrupt zstd stream (ended inside a frame)")


# --- text -------------------------------------------------------------------------------------


def _mostly_utf8(head: bytes, at_eof: bool) -> bool:
    """True when `head` is UTF-8 or reads as UTF-8 with a few bad bytes rather than another encoding."""
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(head, final=at_eof)
    bad = text.count("\ufffd")
    if not bad:
        return True
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return non_ascii - bad > bad


def _decoded(
    chunks: Iterator[bytes], codec: str, label: str, offset: int, report: Callable[..., None]
) -> Iterator[str]:
    """Decode strictly until the first bad byte, report its offset once, then decode with U+FFFD."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    strict = True
    for chunk in chunks:
        if strict:
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as e:
                _report_bad_byte(report, label, offset - len(pending) + e.start)
                decoder, strict = codecs.getincrementaldecoder(codec)("replace"), False
                text = decoder.decode(pending + chunk)
        else:
            text = decoder.decode(chunk)
        offset += len(chunk)
        if text:
            yield text
    try:
        text = decoder.decode(b"", final=True)
    except UnicodeDecodeError as e:
        pending = decoder.getstate()[0]
        _report_bad_byte(report, label, offset - len(pending) + e.start)
        text = pending.decode(codec, "replace")
    if text:
        yield text


def _report_bad_byte(report: Callable[..., None], label: str, offset: int) -> None:
    report("encoding", f"byte {offset}", f"invalid {label}, decoded with replacement", False)


def _lines(texts: Iterable[str]) -> Iterator[str]:
    """The lines of a text given in pieces, CRLF and CR read as LF, without line ends.

    Exactly ``text.split("\\n")`` of the whole text, so a text ending in a newline ends with "".
    """
    partial: list[str] = []
    carry = ""  # a CR at the end of a piece: it may be the first half of CRLF
    for text in texts:
        if carry:
            text, carry = carry + text, ""
        if text.endswith("\r"):
            text, carry = text[:-1], "\r"
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        pieces = text.split("\n")
        if len(pieces) == 1:
            partial.append(text)
            continue
        partial.append(pieces[0])
        yield "".join(partial)
        yield from pieces[1:-1]
        partial = [pieces[-1]]
    if carry:
        yield "".join(partial)
        partial = []
    yield "".join(partial)


# --- the loader -------------------------------------------------------------------------------


class _Loader:
    """One call of `load`: options, the warning callback and the ids given out so far."""

    def __init__(self, options: LoadOptions, warn: Warn | None) -> None:
        self.options = options
        self._warn = warn
        self._separator = _compile_separator(options.separator) if options.separator is not None else None
        self._ids: set[str] = set()
        self._next_suffix: dict[str, int] = {}
        # Of a Parquet file, read the part-th of parts ranges of its row groups (the Dask engine's)
        self._row_groups = (0, 1)
        self._ident = ""  # the id of the file being read (see `file_id`), the base of its documents'

    def __call__(self, expanded: list[list[str] | str]) -> Iterator[Document]:
        for item in expanded:
            for path in [item] if isinstance(item, str) else item:
                if path == "-":
                    self._ident = STDIN_NAME
                    yield from self._source(STDIN_NAME, None)
                elif os.path.isdir(path):
                    for file in _walk(path, set()):
                        self._ident = file_id(file, path)
                        yield from self._source(file, file)
                else:
                    self._ident = file_id(path)
                    yield from self._source(path, path)

    def _emit(self, kind: str, name: str, place: str, message: str, skipped: bool) -> None:
        if self._warn is not None:
            where = f"{name}: {place}: " if place else f"{name}: "
            self._warn(LoadWarning(kind, name, place, where + message, skipped))

    def _source(self, name: str, path: str | None) -> Iterator[Document]:
        """The documents of one file (`path`) or of standard input (`path` None)."""
        compression, fmt = _kind_of(name) if path is not None else (None, "text")
        if path is None:
            stdin: Any = sys.stdin
            stream = getattr(stdin, "buffer", None) or _TextToBytes(stdin)
            context: Any = nullcontext(stream)
        else:
            context = _open(path)
        with context as raw:
            if fmt in ("parquet", "warc"):
                yield from self._archive(name, raw, compression, fmt)
                return
            chunks = _decompressed(raw, name, compression)
            head: list[bytes] = []
            size = 0
            for chunk in chunks:
                head.append(chunk)
                size += len(chunk)
                if size >= _SAMPLE:
                    break
            first = b"".join(head)
            method = _compression_of(first) if compression is None else None
            if method is not None:  # compressed data on stdin or under another name
                if path is not None:
                    message = f"{method} data without a {_SUFFIX[method]} suffix, decompressed"
                    self._emit("decoded-as", name, "", message, False)
                yield from self._unnamed_compressed(name, fmt, first, chunks, method)
                return
            texts = self._text(name, first, size < _SAMPLE, chunks)
            if texts is None:
                return
            yield from self._documents(name, fmt, _lines(texts))

    def _archive(self, name: str, raw: Any, compression: str | None, fmt: str) -> Iterator[Document]:
        """Parquet tables and WARC archives: binary containers with their own records."""
        opts = self.options
        if fmt == "parquet":
            if compression is not None:
                raise InputError(f"{name}: compressed Parquet files are not supported; decompress it first")
            on_bad = self._on_bad(name, "record")
            parts = read_parquet(
                raw,
                name,
                opts.id_field,
                opts.text_field,
                on_bad,
                self._ident,
                *self._row_groups,
                date_field=opts.date_field,
            )
        else:
            chunks = _decompressed(raw, name, compression)
            first = next(chunks, b"")
            if not first:
                self._emit("empty", name, "", "empty file, skipped", True)
                return
            method = _compression_of(first) if compression is None else None
            if method is not None:  # a compressed archive without its suffix
                chunks = _decompressed(_Replay(first, chunks), name, method)
                first = next(chunks, b"")
            if not first.startswith(b"WARC/"):
                raise InputError(f"{name}: not a WARC archive (it does not begin with 'WARC/')")
            parts = read_warc(_Replay(first, chunks), name, self._ident)
        yield from self._yield_parts(name, parts, "record")

    def _unnamed_compressed(
        self, name: str, fmt: str, first: bytes, rest: Iterator[bytes], method: str
    ) -> Iterator[Document]:
        """A compressed stream that its name does not announce: decompressed as it comes."""
        chunks = _decompressed(_Replay(first, rest), name, method)
        head = next(chunks, b"")
        texts = self._text(name, head, False, chunks)
        if texts is not None:
            yield from self._documents(name, fmt, _lines(texts))

    def _text(self, name: str, head: bytes, at_eof: bool, rest: Iterator[bytes]) -> Iterator[str] | None:
        """Choose the encoding from the first bytes; None when the file is skipped (empty, binary)."""

        def report(kind: str, place: str, message: str, skipped: bool) -> None:
            self._emit(kind, name, place, message, skipped)

        if not head:
            report("empty", "", "empty file, skipped", True)
            return None
        chunks = _prepend(head, rest)
        for bom, codec, label in _BOMS:
            if head.startswith(bom):
                if codec != "utf-8":
                    report("decoded-as", "", f"decoded as {label} (byte order mark)", False)
                return _decoded(_strip_first(chunks, len(bom)), codec, label, len(bom), report)
        if head.startswith(b"%PDF-"):  # an uncompressed PDF may hold no NUL byte
            report("binary", "", "a PDF file, not supported (extract its text first), skipped", True)
            return None
        nul = head.find(b"\x00", 0, _BINARY_WINDOW)
        if nul >= 0:
            report("binary", f"byte {nul}", "NUL byte, looks like a binary file, skipped", True)
            return None
        if not _mostly_utf8(head, at_eof):
            encoding, doubtful = choose_legacy(head[: 4 * _SAMPLE])
            if encoding is not None:
                if doubtful:
                    message = (
                        f"decoded as {encoding}, an unlikely guess for text of mostly ASCII letters: "
                        "check its accented letters and symbols, or convert the file to UTF-8"
                    )
                    report("encoding-guess", "", message, False)
                else:
                    report("decoded-as", "", f"decoded as {encoding}", False)
                return _decoded(chunks, encoding, encoding, 0, report)
        return _decoded(chunks, "utf-8", "UTF-8", 0, report)

    def _documents(self, name: str, fmt: str, lines: Iterator[str]) -> Iterator[Document]:
        """Documents from the lines of one file, with the warnings about what was passed over."""
        opts = self.options
        if fmt == "jsonl":
            on_bad = self._on_bad(name, "line")
            parts = read_jsonl(
                lines, name, opts.id_field, opts.text_field, on_bad, self._ident, opts.date_field
            )
            yield from self._yield_parts(name, parts, "line")
        elif fmt in ("csv", "tsv"):
            delimiter = "\t" if fmt == "tsv" else ","
            on_bad = self._on_bad(name, "line")
            parts = read_csv(
                lines, name, delimiter, opts.id_field, opts.text_field, on_bad, self._ident, opts.date_field
            )
            yield from self._yield_parts(name, parts, "line")
        elif fmt == "html":
            url, text = html_article("\n".join(lines), name)
            yield from self._yield_parts(name, iter([(url or self._ident, text, 1, None)]), "", single=True)
        else:
            splitter = TextSplitter(self._ident, self._separator)
            yield from self._yield_parts(name, splitter.parts(lines), "line", splitter)

    def _yield_parts(
        self,
        name: str,
        parts: Iterator[Part],
        unit: str,
        splitter: TextSplitter | None = None,
        single: bool = False,
    ) -> Iterator[Document]:
        """Documents from the parts of one file: blank ones skipped, ids made unique, style told.

        Blank documents before the first real one are held back: when none follows, the file is
        reported once as only separators (one thing passed over), not once per separator.
        """
        yielded = seen = 0
        held: list[tuple[str, str]] = []  # (place, message) of blank documents not yet reported
        for ident, body, number, raw_date in parts:
            self._doubts(name, splitter)
            seen += 1
            whole = single or (splitter is not None and splitter.style is None)
            place = "" if whole else f"{unit} {number}"
            if is_blank(body):
                if whole:
                    message = "empty file, skipped" if not single else "no text found, skipped"
                    self._emit("empty", name, "", message, True)
                elif yielded == 0 and splitter is not None:
                    held.append((place, f"document {ident!r} is empty, skipped"))
                else:
                    self._emit("empty", name, place, f"document {ident!r} is empty, skipped", True)
                continue
            for held_place, message in held:
                self._emit("empty", name, held_place, message, True)
            held = []
            yielded += 1
            source = name if whole else f"{name}:{number}" if unit == "line" else f"{name}:{place}"
            try:
                date = parse_date(raw_date)
            except BadDate as e:
                date = None
                self._emit("bad-date", name, place, f"{e}: read as undated", False)
            yield Document(self._unique(ident, name, place), body, source, date)
        self._doubts(name, splitter)
        style = splitter.style if splitter is not None else None
        if style is not None:
            if yielded == 0:
                self._emit("only-separators", name, "", "only separators, no text, skipped", True)
            else:
                message = f"split at {style.name} separators ({style.template}): {yielded} documents"
                self._emit("separator-style", name, "", message, False)
        elif splitter is None and seen == 0:
            self._emit("empty", name, "", f"no {'records' if unit == 'line' else 'documents'}, skipped", True)

    def _doubts(self, name: str, splitter: TextSplitter | None) -> None:
        """Warn of the lines that look like separators but were kept as text."""
        if splitter is not None:
            for number, message in splitter.doubts:
                self._emit("separator-doubt", name, f"line {number}", message, False)
            splitter.doubts.clear()

    def _on_bad(self, name: str, unit: str) -> OnBad:
        def on_bad(number: int, reason: str, fix: str = "") -> None:
            if not self.options.skip_bad_records:
                fix = f"{fix}, or " if fix else ""
                raise InputError(
                    f"{name}: {unit} {number}: {reason}; {fix}use --skip-bad-records to pass over bad records"
                )
            self._emit("bad-record", name, f"{unit} {number}", f"{reason}, record skipped", True)

        return on_bad

    def _unique(self, ident: str, name: str, place: str) -> str:
        """`ident`, or `ident~2`, `ident~3`… when it was given out already (with a warning)."""
        if ident not in self._ids:
            self._ids.add(ident)
            return ident
        n = self._next_suffix.get(ident, 2)
        while f"{ident}~{n}" in self._ids:
            n += 1
        self._next_suffix[ident] = n + 1
        renamed = f"{ident}~{n}"
        self._ids.add(renamed)
        self._emit("duplicate-id", name, place, f"duplicate id {ident!r}, renamed {renamed!r}", False)
        return renamed


def _compression_of(head: bytes) -> str | None:
    """The compression method whose header `head` begins with, or None."""
    m = _MAGIC.match(head)
    return m.lastgroup if m else None


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _strip_first(chunks: Iterator[bytes], n: int) -> Iterator[bytes]:
    first = next(chunks, b"")
    yield first[n:]
    yield from chunks


class _Replay:
    """A readable stream over bytes already read followed by the chunks still to come.

    Reads of any size cost time linear in what they return: the buffer is sliced only when a
    new chunk is appended to what is left of it.
    """

    def __init__(self, first: bytes, rest: Iterator[bytes]) -> None:
        self._buffer = first
        self._at = 0
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) - self._at < size:
            more = next(self._rest, b"")
            if not more:
                break
            self._buffer = self._buffer[self._at :] + more
            self._at = 0
        end = len(self._buffer) if size < 0 else self._at + size
        out = self._buffer[self._at : end]
        self._at += len(out)
        return out
