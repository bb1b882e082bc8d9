"""What every `dedupe` command shares: exit codes, the report's output, warnings and progress on
stderr, the input and detection options, and the mapping of library errors to exit codes.

`cli` (find, eval, explain) and `cli_index` (check, index) both import it; neither imports the
other's commands but `cli`, which registers `cli_index`'s in its group.
"""

from __future__ import annotations

import functools
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import click

from .config import PRESETS, Config
from .document import Document
from .errors import DedupeError
from .loader import LoadOptions, LoadWarning, flag_large, load

EXIT_DUPLICATES = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


class Output:
    """Where the report goes: stdout, or a file replaced atomically (no half-written file).

    A path that is not a regular file (a FIFO, /dev/null) is written to directly: replacing it
    would destroy it. A replaced file keeps its permissions; a new one gets the umask's, as if
    the shell had created it.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path

    def write(self, text: str | Iterable[str]) -> None:
        """Write `text`, or its pieces as they come (a failure midway leaves no file behind)."""
        chunks = [text] if isinstance(text, str) else text
        if not self.path or self.path == "-":
            click.echo("".join(chunks), nl=False)  # whole or not at all, as a file is
            return
        target = os.path.realpath(self.path)  # replace a symbolic link's target, not the link
        try:
            mode: int | None = os.stat(target).st_mode
        except OSError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            try:
                with open(target, "w", encoding="utf-8", newline="") as fh:
                    fh.writelines(chunks)
            except OSError as err:
                raise DedupeError(f"{self.path}: cannot write output ({err.strerror})") from err
            return
        try:
            fd, tmp = tempfile.mkstemp(prefix=".dedupe-", dir=os.path.dirname(target))
        except OSError as err:
            raise DedupeError(f"{self.path}: cannot write output ({err.strerror})") from err
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                os.fchmod(fh.fileno(), stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
                fh.writelines(chunks)
            os.replace(tmp, target)
        except BaseException as err:
            os.unlink(tmp)
            if isinstance(err, OSError):
                raise DedupeError(f"{self.path}: cannot write output ({err.strerror})") from err
            raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Messages:
    """Warnings and progress on stderr; nothing on stdout.

    Warnings of one kind (a LoadWarning's kind, or the `kind` of a note) are printed one by one up
    to CAP, unless --verbose; `finish` then says how many more of each kind there were.
    """

    CAP = 5

    def __init__(self, verbose: bool, quiet: bool, hint: str = "--verbose shows them all") -> None:
        self.verbose, self.quiet = verbose, quiet
        self.skipped = 0
        self.hint = hint  # how to see the warnings held back, if the command can show them
        self._shown: dict[str, int] = {}
        self._held: dict[str, int] = {}
        self._stage: tuple[str, float, int] | None = None  # the stage in progress, its start and count

    def warn(self, w: LoadWarning) -> None:
        if w.skipped:
            self.skipped += 1
        informational = w.kind in ("separator-style", "decoded-as")
        if self.quiet or (informational and not self.verbose):
            return
        if informational:
            click.echo(w.message, err=True)
        else:
            self._say(w.kind, w.message)

    def info(self, text: str) -> None:
        if self.verbose and not self.quiet:
            click.echo(text, err=True)

    def note(self, text: str, kind: str = "note") -> None:
        """A warning about a document the pipeline passed over (counted in the report, not here)."""
        if not self.quiet:
            self._say(kind, text)

    def _say(self, kind: str, text: str) -> None:
        shown = self._shown.get(kind, 0)
        if shown >= self.CAP and not self.verbose:
            self._held[kind] = self._held.get(kind, 0) + 1
            return
        self._shown[kind] = shown + 1
        click.echo("warning: " + text, err=True)

    def finish(self) -> None:
        """One line for each kind of warning held back: how many more there were."""
        for kind, count in self._held.items():
            more = f"{count} more {kind} warning" + ("" if count == 1 else "s")
            click.echo(f"warning: … and {more}" + (f" ({self.hint})" if self.hint else ""), err=True)
        self._held.clear()

    def progress(self, stage: str, done: int, total: int) -> None:
        """One self-erasing status line, only for a person watching a terminal: the count, and
        while a stage with a known total runs, its share done and the time left at its pace."""
        if self.quiet or not sys.stderr.isatty():
            return
        now = time.monotonic()
        if self._stage is None or self._stage[0] != stage:
            self._stage = (stage, now, done)
        if stage == "read":
            text = f"read {done:,} documents" + (" - finding candidates" if total else "")
        elif stage == "candidates":
            text = f"verifying {done:,} candidate pairs"
        elif stage.startswith("dask "):  # a stage of the Dask engine: its tasks done
            text = f"{stage[5:]}: {done:,} of {total:,} tasks"
        else:
            text = f"verified {done:,} of {total:,} pairs"
        if 0 < done < total:
            _, start, first = self._stage
            text += f" ({done / total:.0%}"
            if done > first and now > start:
                text += f", {_clock((total - done) * (now - start) / (done - first))} left"
            text += ")"
        click.echo(f"\r\x1b[K{text}", err=True, nl=False)
        if stage == "verify" and done == total:
            click.echo("\r\x1b[K", err=True, nl=False)


def _clock(seconds: float) -> str:
    """3:07 or 1:02:03."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def input_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options that say how to read the input, shared by every command that reads documents;
    the command receives them as one `load: LoadOptions`."""

    @functools.wraps(f)
    @handle_errors  # a bad --separator is the user's error, not a traceback
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        fields = ("id_field", "text_field", "separator", "skip_bad_records", "date_field")
        return f(*args, load=LoadOptions(**{name: kwargs.pop(name) for name in fields}), **kwargs)

    for option in reversed(
        [
            click.option(
                "--id-field", default="id", show_default=True, help="JSON Lines/CSV field with the id."
            ),
            click.option(
                "--text-field", default="text", show_default=True, help="JSON Lines/CSV field with the text."
            ),
            click.option(
                "--separator",
                metavar="REGEX",
                help="Document separator line (named group `id` gives the id).",
            ),
            click.option(
                "--skip-bad-records", is_flag=True, help="Pass over malformed JSON Lines/CSV records."
            ),
            click.option(
                "--date-field",
                default="date",
                show_default=True,
                help="JSON Lines/CSV/Parquet field with the publication date ('' to read none).",
            ),
        ]
    ):
        wrapper = option(wrapper)
    return wrapper


def detection_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The preset and every threshold under it, shared by every command that detects; the
    command receives them as `preset` (its name) and `config` (the preset with the overrides)."""

    @functools.wraps(f)
    @handle_errors  # so is a setting out of range
    def wrapper(*args: Any, preset: str, **kwargs: Any) -> Any:
        overrides = {name: kwargs.pop(name) for name in names}
        return f(*args, preset=preset, config=make_config(preset, **overrides), **kwargs)

    opts = [
        click.option(
            "--preset",
            type=click.Choice(sorted(PRESETS)),
            default="balanced",
            show_default=True,
            help="Named set of thresholds.",
        ),
        click.option(
            "--min-words", type=click.IntRange(1), help="Shorter documents are reported as too short."
        ),
        click.option(
            "--segment-match", type=click.FloatRange(0, 1), help="Similarity at which two sentences match."
        ),
        click.option(
            "--contained",
            type=click.FloatRange(0, 1),
            help="Share found in order that makes a copy or excerpt.",
        ),
        click.option(
            "--rewrite",
            type=click.FloatRange(0, 1),
            help="Share found in order, in several runs, for a rewrite.",
        ),
        click.option(
            "--spread", type=click.FloatRange(0, 1), help="Share outside the longest run for a rewrite."
        ),
        click.option(
            "--lead", type=click.FloatRange(0, 1), help="Share found for a restated lead or summary."
        ),
        click.option(
            "--brief-match",
            type=click.FloatRange(0, 1),
            help="Similarity at which a short text repeating a headline joins its story (0: off).",
        ),
        click.option(
            "--reworded-days",
            type=click.FloatRange(0),
            help="Dated texts further apart than this are versions only as copies (0: off).",
        ),
        click.option(
            "--rare-df", type=click.FloatRange(0, 1), help="Document frequency below which a word is rare."
        ),
        click.option(
            "--lead-min-words",
            type=click.IntRange(1),
            help="Texts this long also get a sketch of their lead (an index keeps its own).",
        ),
        click.option(
            "--lede-words",
            type=click.IntRange(0),
            help="Opening prose words sketched on their own, so restated ledes meet (0: off).",
        ),
        click.option("--num-perm", type=click.IntRange(1), help="MinHash permutations."),
        click.option(
            "--bands", "lsh_bands", type=click.IntRange(1), help="LSH bands (num-perm must be a multiple)."
        ),
        click.option("--seed", type=int, help="MinHash seed."),
        click.option(
            "--candidates-per-doc",
            type=click.IntRange(0),
            help="Best LSH candidates kept per document (0: all).",
        ),
    ]
    for option in reversed(opts):
        wrapper = option(wrapper)
    params: list[click.Parameter] = getattr(wrapper, "__click_params__", [])
    names = [p.name for p in params[-len(opts) :] if p.name and p.name != "preset"]
    return wrapper


def make_config(preset: str, **overrides: Any) -> Config:
    return PRESETS[preset].replace(**overrides)


def read_documents(
    paths: tuple[str, ...], messages: Messages, options: LoadOptions, max_segments: int = Config.max_segments
) -> Iterator[Document]:
    """The documents of PATHS, warnings to `messages`, a document far larger than an article
    among them (`max_segments`: no option sets it, so the default)."""
    return flag_large(load(list(paths), options, warn=messages.warn), messages.warn, max_segments)


def handle_errors(f: Callable[..., Any]) -> Callable[..., Any]:
    """Map library errors to one line on stderr and exit 2, Ctrl-C to 130: never a traceback."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except DedupeError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)

    return wrapper
