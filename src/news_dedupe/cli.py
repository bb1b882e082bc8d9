"""The `dedupe` command: a thin click layer over the library.

Options are validated here and handed to `news_dedupe.pipeline`; library errors become one line
on stderr and exit code 2 in `main`, the only place that maps errors to exit codes.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from . import __version__
from .cli_common import (
    EXIT_DUPLICATES,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    Messages,
    Output,
    detection_options,
    handle_errors,
    input_options,
    read_documents,
)
from .cli_index import register
from .config import Config
from .errors import DedupeError
from .evaluate import LabelledPair
from .loader import LoadOptions
from .pipeline import ENGINES, Report, find_duplicates
from .report import FORMATS, dropped, member_ids, render_chunks
from .texts import TextSpool, spool_for

__all__ = ["EXIT_DUPLICATES", "EXIT_ERROR", "EXIT_INTERRUPTED", "Messages", "cli", "main"]


class DefaultGroup(click.Group):
    """A group whose first argument, when it names no subcommand, goes to the `find` command.

    So `dedupe corpus.txt` finds duplicates while `dedupe eval …` and `dedupe explain …` still
    work (a file named like a subcommand can be given as `dedupe find eval`).
    """

    default_command = "find"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [self.default_command, *args]
            ctx.meta[_IMPLICIT] = True
        return super().parse_args(ctx, args)


_IMPLICIT = "news_dedupe.implicit_command"  # ctx.meta key: the default command was not typed


class DefaultCommand(click.Command):
    """The group's default command: when it was not typed, its usage line shows it optional
    (`Usage: dedupe [find] [OPTIONS] PATHS...`), not a command the user never wrote."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if not ctx.meta.get(_IMPLICIT) or ctx.parent is None:
            super().format_usage(ctx, formatter)
            return
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(f"{ctx.parent.command_path} [{ctx.info_name}]", " ".join(pieces))


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


@cli.command("find", cls=DefaultCommand)
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format."
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file (atomically)."
)
@click.option(
    "--write-unique",
    type=click.Path(dir_okay=False),
    metavar="OUT.jsonl",
    help="Also write the input without its duplicates as JSON Lines {id, text} (atomically).",
)
@click.option("--fail-on-duplicates", is_flag=True, help="Exit 1 when any cluster is found (for CI).")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1),
    default=os.cpu_count() or 1,
    show_default="all cores",
    help="Processes for profiling and verification; the report is the same for any number.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="local",
    show_default=True,
    help="Where the stages run: this machine, or a Dask cluster (extra `dask`); the same report.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="The Dask scheduler (tcp://host:8786); without it --engine dask starts --jobs local workers.",
)
@input_options
@detection_options
@click.option("-v", "--verbose", is_flag=True, help="Show the configuration and input details on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="No warnings or progress on stderr.")
@handle_errors
def find_command(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    write_unique: str | None,
    fail_on_duplicates: bool,
    jobs: int,
    engine: str,
    scheduler: str | None,
    load: LoadOptions,
    preset: str,
    verbose: bool,
    quiet: bool,
    config: Config,
) -> None:
    """Find clusters of near-duplicate documents in PATHS (files, folders, - for stdin)."""
    messages = Messages(verbose, quiet)
    messages.info(f"config: preset={preset} {config}")
    _check_unique_path(write_unique, output)
    if scheduler and engine != "dask":
        raise DedupeError("--scheduler needs --engine dask")
    spool = spool_for(fmt, write_unique is not None)  # the texts the report or --write-unique need
    if spool is not None:
        click.get_current_context().call_on_close(spool.close)
    if engine == "dask":
        report = _find_on_dask(paths, load, config, messages, spool, scheduler, jobs)
    else:
        docs = read_documents(paths, messages, load)
        if spool is not None:
            docs = spool.tap(docs)
        report = find_duplicates(docs, config, progress=messages.progress, jobs=jobs)
    report.close()  # nothing here scores again: the profiles' file is closed before rendering
    report.skipped = messages.skipped
    for doc_id in report.too_short:
        messages.note(
            f"{report.sources.get(doc_id) or doc_id}: document {doc_id!r} is too short to judge "
            f"(fewer than {config.min_words} words), not compared",
            kind="too-short",
        )
    messages.finish()
    if report.documents - len(report.too_short) < 1:
        raise DedupeError("nothing to compare: no document long enough was read from " + ", ".join(paths))
    messages.info(f"{report.candidates} candidate pairs, {report.verified} verified as duplicates")
    if write_unique and spool is not None:
        Output(write_unique).write(spool.jsonl(set(dropped(report))))
    texts = spool.texts(member_ids(report)) if spool is not None else None
    Output(output).write(render_chunks(report, fmt, texts))
    if fail_on_duplicates and report.clusters:
        sys.exit(EXIT_DUPLICATES)


def _find_on_dask(
    paths: tuple[str, ...],
    load: LoadOptions,
    config: Config,
    messages: Messages,
    spool: TextSpool | None,
    scheduler: str | None,
    jobs: int,
) -> Report:
    """`find` on a Dask cluster: the one at `scheduler`, else `jobs` local workers for this run."""
    from .dask_engine import SPOOL_HEADLINE, SPOOL_NONE, SPOOL_TEXT, dask_client, find_duplicates_dask

    with dask_client(scheduler, jobs) as client:
        workers = len(client.scheduler_info().get("workers", {}))
        messages.info(f"dask: {workers} workers, dashboard {client.dashboard_link}")
        mode = SPOOL_NONE if spool is None else SPOOL_HEADLINE if spool.headlines_only else SPOOL_TEXT
        return find_duplicates_dask(
            paths,
            load,
            config,
            client=client,
            progress=messages.progress,
            warn=messages.warn,
            keep=spool.tap if spool is not None else None,
            spool=mode,
            jobs=jobs,
        )


def _check_unique_path(write_unique: str | None, output: str | None) -> None:
    """--write-unique needs a file of its own: stdout carries the report."""
    if write_unique is None:
        return
    if write_unique in ("", "-"):
        raise DedupeError("--write-unique: give a file (stdout carries the report)")
    if output and output != "-" and os.path.realpath(output) == os.path.realpath(write_unique):
        raise DedupeError(f"--write-unique {write_unique}: the report goes there too (-o); give another file")


@cli.command("eval")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--gold",
    "gold_path",
    type=click.Path(dir_okay=False),
    help="Gold labels, JSON Lines: {id, clusters, kind?, source?, negative?}.",
)
@click.option(
    "--pairs",
    "pairs_path",
    type=click.Path(dir_okay=False),
    help="Labelled pairs instead, TSV: a header, then a, b, SAME|DIFFERENT|UNSURE, reason.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--show",
    type=click.IntRange(0),
    default=10,
    show_default=True,
    help="How many missed and false pairs to list, with their scores.",
)
@input_options
@detection_options
@click.option("-q", "--quiet", is_flag=True, help="No warnings on stderr.")
@handle_errors
def eval_command(
    paths: tuple[str, ...],
    gold_path: str | None,
    pairs_path: str | None,
    fmt: str,
    show: int,
    load: LoadOptions,
    preset: str,
    quiet: bool,
    config: Config,
) -> None:
    """Run detection on PATHS and score it against a gold file or labelled pairs: precision, recall."""
    from .evaluate import evaluate, nearest_threshold_first, read_gold, read_pairs

    if (gold_path is None) == (pairs_path is None):
        raise click.UsageError("give one of --gold GOLD.jsonl or --pairs PAIRS.tsv")
    if pairs_path is not None:
        labelled = read_pairs(pairs_path)
        messages = Messages(False, quiet, hint="")
        report = find_duplicates(read_documents(paths, messages, load), config)
        messages.finish()
        _print_pairs(report, labelled, fmt, show)
        return
    assert gold_path is not None
    gold = read_gold(gold_path)
    messages = Messages(False, quiet, hint="")
    report = find_duplicates(read_documents(paths, messages, load), config)
    messages.finish()
    result = evaluate(report.clusters, gold)
    detector = report.detector

    def scored(pair: tuple[str, str]) -> dict[str, Any]:
        row: dict[str, Any] = {"a": pair[0], "b": pair[1]}
        if detector and pair[0] in detector.profiles and pair[1] in detector.profiles:
            p = detector.score(*pair)
            row.update(p.scores(), duplicate=p.duplicate, reason=p.reason)
        else:
            row["reason"] = "not compared: a document is too short or missing from the input"
        return row

    # Pairs nearest to a threshold first: a small change of it would flip them.
    missed = nearest_threshold_first(map(scored, result.missed), config)
    false = nearest_threshold_first(map(scored, result.false), config)
    if fmt == "json":
        data = {
            **result.as_dict(),
            "config": config.as_dict(),
            "missed": missed[:show],
            "false": false[:show],
            "missed_pairs": len(missed),
            "false_pairs": len(false),
        }
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(
        f"documents {report.documents}  gold pairs {result.gold_pairs}  "
        f"reported pairs {result.reported_pairs}"
    )
    for kind, (hit, total) in sorted(result.recall_by_kind.items()):
        click.echo(f"  recall {kind:<14} {hit}/{total} = {hit / total:.3f}")
    for kind, (hit, total) in sorted(result.negatives_merged.items()):
        click.echo(f"  hard negatives merged {kind:<12} {hit}/{total}")
    for label, rows in (("missed", missed), ("false", false)):
        for row in rows[:show]:
            sim = f"similarity {row['similarity']:.2f}  " if "similarity" in row else ""
            click.echo(f"  {label}: {row['a']} ~ {row['b']}  {sim}{row['reason']}")
        if len(rows) > show:
            click.echo(f"  {label}: ... {len(rows) - show} more")
    click.echo(
        f"precision {result.precision:.4f}  recall {result.recall:.4f}  F1 {result.f1:.4f}  "
        f"false pairs {len(false)}  missed pairs {len(missed)}"
    )


def _print_pairs(report: Report, labelled: list[LabelledPair], fmt: str, show: int) -> None:
    """`dedupe eval --pairs`: precision and recall, then the DIFFERENT pairs merged and the SAME
    pairs missed, each with the reader's reason and the tool's."""
    from .evaluate import evaluate_pairs

    detector = report.detector
    profiled = set(detector.profiles) if detector else set()
    ids = profiled | set(report.too_short) | {d for c in report.clusters for d in c.ids}
    result = evaluate_pairs(report.clusters, labelled, ids)

    def row(p: LabelledPair) -> dict[str, Any]:
        out: dict[str, Any] = {"a": p.a, "b": p.b, "label": p.label, "reason": p.reason}
        if detector and p.a in profiled and p.b in profiled:
            scores = detector.score(p.a, p.b)
            out.update(scores.scores(), tool=scores.reason)
        else:
            out["tool"] = "not compared: a document is too short"
        return out

    merged, missed = [row(p) for p in result.merged], [row(p) for p in result.missed]
    if fmt == "json":
        click.echo(
            json.dumps({**result.as_dict(), "merged": merged[:show], "missed": missed[:show]}, indent=2)
        )
        return
    click.echo(
        f"labelled pairs: SAME {result.same}, DIFFERENT {result.different}, "
        f"UNSURE {result.unsure} (not scored)"
        + (f", {len(result.absent)} naming a document not in the input" if result.absent else "")
    )
    for title, rows in (("merged DIFFERENT", merged), ("missed SAME", missed)):
        for r in rows[:show]:
            click.echo(f"  {title}: {r['a']} ~ {r['b']}  ({r['reason']})  tool: {r['tool']}")
        if len(rows) > show:
            click.echo(f"  {title}: ... {len(rows) - show} more")
    click.echo(
        f"precision {result.precision:.4f}  recall {result.recall:.4f}  "
        f"DIFFERENT merged {len(result.merged)}  SAME missed {len(result.missed)}"
    )


@cli.command("explain")
@click.argument("paths", nargs=-1, required=True)
@click.option("--pair", nargs=2, required=True, metavar="ID1 ID2", help="The two documents to compare.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@input_options
@detection_options
@click.option("-q", "--quiet", is_flag=True, help="No warnings on stderr.")
@handle_errors
def explain_command(
    paths: tuple[str, ...],
    pair: tuple[str, str],
    fmt: str,
    load: LoadOptions,
    preset: str,
    quiet: bool,
    config: Config,
) -> None:
    """Every score for two documents of PATHS, the decision and its reason, and what they share."""
    from .pipeline import explain_pair

    messages = Messages(False, quiet, hint="")
    ex = explain_pair(read_documents(paths, messages, load), pair[0], pair[1], config)
    messages.finish()
    p = ex.scores
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "a": p.a,
                    "b": p.b,
                    "duplicate": p.duplicate,
                    "reason": p.reason,
                    "candidate": ex.candidate,
                    "brief": ex.brief,
                    "rare_jaccard": round(ex.rare_jaccard, 4),
                    **p.scores(),
                    "shared": [{"a": x, "b": y, "similarity": round(sim, 4)} for x, y, sim in ex.shared],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    verdict = "DUPLICATES" if p.duplicate else "NOT DUPLICATES"
    click.echo(f"{p.a} ~ {p.b}: {verdict}\n  reason: {p.reason}")
    if ex.brief:
        click.echo(f"  the brief's best head-line match: {'yes' if ex.candidate else 'no'}")
    else:
        found = "yes" if ex.candidate else "no"
        click.echo(f"  candidate from LSH: {found} (rare-word Jaccard {ex.rare_jaccard:.2f})")
    for name, value in p.scores().items():
        click.echo(f"  {name:<14} {value}")
    if ex.brief:
        click.echo(f"head lines against the brief, closest first ({len(ex.shared)}):")
    else:
        click.echo(f"shared passages, in order ({len(ex.shared)}):")
    for x, y, sim in ex.shared:
        click.echo(f"  [{sim:.2f}] A: {x}\n         B: {y}")


register(cli)  # `check` and `index`, kept in a module of their own


def main() -> None:
    cli(prog_name="dedupe")


if __name__ == "__main__":
    main()
