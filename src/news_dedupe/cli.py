"""The `dedupe` command: a thin click layer over the library.

Options are validated here and handed to `news_dedupe.pipeline`; library errors become one line
on stderr and exit code 2 in `main`, the only place that maps errors to exit codes.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import click

from . import __version__
from .config import PRESETS, Config
from .errors import DedupeError
from .loader import LoadOptions, LoadWarning, load
from .pipeline import find_duplicates
from .report import FORMATS, render

EXIT_DUPLICATES = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


class DefaultGroup(click.Group):
    """A group whose first argument, when it names no subcommand, goes to the `find` command.

    So `dedupe corpus.txt` finds duplicates while `dedupe eval …` and `dedupe explain …` still
    work (a file named like a subcommand can be given as `dedupe find eval`).
    """

    default_command = "find"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


class Output:
    """Where the report goes: stdout, or a file replaced atomically (no half-written file)."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def write(self, text: str) -> None:
        if not self.path or self.path == "-":
            click.echo(text, nl=False)
            return
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            fd, tmp = tempfile.mkstemp(prefix=".dedupe-", dir=directory)
        except OSError as err:
            raise DedupeError(f"{self.path}: cannot write output ({err.strerror})") from err
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
        except BaseException as err:
            os.unlink(tmp)
            if isinstance(err, OSError):
                raise DedupeError(f"{self.path}: cannot write output ({err.strerror})") from err
            raise


class Messages:
    """Warnings and progress on stderr; nothing on stdout."""

    def __init__(self, verbose: bool, quiet: bool) -> None:
        self.verbose, self.quiet = verbose, quiet
        self.skipped = 0

    def warn(self, w: LoadWarning) -> None:
        if w.skipped:
            self.skipped += 1
        informational = w.kind in ("separator-style", "decoded-as")
        if self.quiet or (informational and not self.verbose):
            return
        click.echo(("" if informational else "warning: ") + w.message, err=True)

    def info(self, text: str) -> None:
        if self.verbose and not self.quiet:
            click.echo(text, err=True)


def input_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Options that say how to read the input, shared by every command that reads documents."""
    for option in reversed(
        [
            click.option("--id-field", default="id", show_default=True, help="JSON Lines/CSV field with the id."),
            click.option("--text-field", default="text", show_default=True, help="JSON Lines/CSV field with the text."),
            click.option("--separator", metavar="REGEX", help="Document separator line (named group `id` gives the id)."),
            click.option("--skip-bad-records", is_flag=True, help="Pass over malformed JSON Lines/CSV records."),
        ]
    ):
        f = option(f)
    return f


def detection_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The preset and every threshold under it, shared by find, eval and explain."""
    opts = [
        click.option("--preset", type=click.Choice(sorted(PRESETS)), default="balanced", show_default=True,
                     help="Named set of thresholds."),
        click.option("--min-words", type=click.IntRange(1), help="Shorter documents are reported as too short."),
        click.option("--segment-match", type=click.FloatRange(0, 1), help="Similarity at which two sentences match."),
        click.option("--contained", type=click.FloatRange(0, 1), help="Share found in order that makes a copy or excerpt."),
        click.option("--rewrite", type=click.FloatRange(0, 1), help="Share found in order, in several runs, for a rewrite."),
        click.option("--spread", type=click.FloatRange(0, 1), help="Share outside the longest run for a rewrite."),
        click.option("--lead", type=click.FloatRange(0, 1), help="Share found for a restated lead or summary."),
        click.option("--rare-df", type=click.FloatRange(0, 1), help="Document frequency below which a word is rare."),
        click.option("--num-perm", type=click.IntRange(1), help="MinHash permutations."),
        click.option("--bands", "lsh_bands", type=click.IntRange(1), help="LSH bands (num-perm must be a multiple)."),
        click.option("--seed", type=int, help="MinHash seed."),
    ]
    for option in reversed(opts):
        f = option(f)
    return f


def make_config(preset: str, **overrides: Any) -> Config:
    return PRESETS[preset].replace(**overrides)


def read_documents(paths: tuple[str, ...], messages: Messages, id_field: str, text_field: str,
                   separator: str | None, skip_bad_records: bool):
    options = LoadOptions(id_field=id_field, text_field=text_field, separator=separator,
                          skip_bad_records=skip_bad_records)
    return load(list(paths), options, warn=messages.warn)


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


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dedupe")
def cli() -> None:
    """Find near-duplicate news articles: every version of a story, and how each relates to the original.

    \b
      dedupe corpus.txt                 clusters as text
      dedupe articles/ --format json    a folder, JSON report
      dedupe eval --gold gold.jsonl corpus.txt
      dedupe explain corpus.txt --pair ID1 ID2
    """


@cli.command("find")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file (atomically).")
@click.option("--fail-on-duplicates", is_flag=True, help="Exit 1 when any cluster is found (for CI).")
@input_options
@detection_options
@click.option("-v", "--verbose", is_flag=True, help="Show the configuration and input details on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="No warnings or progress on stderr.")
@handle_errors
def find_command(paths: tuple[str, ...], fmt: str, output: str | None, fail_on_duplicates: bool,
                 id_field: str, text_field: str, separator: str | None, skip_bad_records: bool,
                 preset: str, verbose: bool, quiet: bool, **overrides: Any) -> None:
    """Find clusters of near-duplicate documents in PATHS (files, folders, - for stdin)."""
    config = make_config(preset, **overrides)
    messages = Messages(verbose, quiet)
    messages.info(f"config: preset={preset} {config}")
    docs = read_documents(paths, messages, id_field, text_field, separator, skip_bad_records)
    report = find_duplicates(docs, config)
    report.skipped = messages.skipped
    if report.documents - len(report.too_short) < 1:
        raise DedupeError("nothing to compare: no document long enough was read from " + ", ".join(paths))
    messages.info(f"{report.candidates} candidate pairs, {report.verified} verified as duplicates")
    Output(output).write(render(report, fmt))
    if fail_on_duplicates and report.clusters:
        sys.exit(EXIT_DUPLICATES)


def _register_plugins() -> None:
    """Commands kept in modules of their own (the persistent index) join the group here."""
    try:
        from .cli_index import register
    except ImportError:  # pragma: no cover - during development only
        return
    register(cli)


_register_plugins()


def main() -> None:
    cli(prog_name="dedupe")


if __name__ == "__main__":
    main()
