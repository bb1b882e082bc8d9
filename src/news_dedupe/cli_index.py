"""`dedupe check` and `dedupe index …`: a batch gate against a persistent index.

    dedupe index add --index seen.db batch1/        accept documents
    dedupe check --index seen.db batch2/ --fail-on-duplicates --add
    dedupe index info --index seen.db
    dedupe index remove --index seen.db ID…
    dedupe index prune --index seen.db --older-than 30d

The library does the work (`news_dedupe.store`); this module reads options, prints and maps
outcomes to exit codes like the `find` command does.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import time
from collections.abc import Mapping
from typing import Any

import click
from click.core import ParameterSource

from .cli_common import (
    EXIT_DUPLICATES,
    Messages,
    Output,
    detection_options,
    handle_errors,
    input_options,
    read_documents,
)
from .config import HASHING_FIELDS, Config
from .errors import DedupeError, StoreError
from .loader import LoadOptions
from .report import (
    CSV_COLUMNS,
    FORMATS,
    SCHEMA_VERSION,
    cluster_dict,
    dropped,
    headline_of,
    member_ids,
    member_line,
    summary_line,
)
from .store import (
    Batch,
    CheckResult,
    IndexInfo,
    Limits,
    add_batch,
    add_clean,
    check_batch,
    iso,
    open_store,
    prepare,
)
from .texts import spool_for

INDEX_HELP = "The index: an SQLite file, or redis://HOST:PORT/DB[?prefix=NAME] for a shared one."
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def index_option(f: Any) -> Any:
    return click.option(
        "--index",
        "index",
        required=True,
        envvar="DEDUPE_INDEX",
        show_envvar=True,
        metavar="INDEX",
        help=INDEX_HELP,
    )(f)


def jobs_option(f: Any) -> Any:
    return click.option(
        "-j",
        "--jobs",
        type=click.IntRange(1),
        default=os.cpu_count() or 1,
        show_default="all cores",
        help="Processes that profile documents and verify candidate pairs.",
    )(f)


def quiet_options(f: Any) -> Any:
    f = click.option("-q", "--quiet", is_flag=True, help="No warnings or progress on stderr.")(f)
    return click.option(
        "-v", "--verbose", is_flag=True, help="Show the configuration and timings on stderr."
    )(f)


def parse_age(text: str) -> float:
    """`30d` -> seconds; units s, m, h, d, w."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if not m:
        raise click.BadParameter(f"{text!r}: give a number and a unit of s, m, h, d or w (e.g. 30d, 12h)")
    return float(m.group(1)) * _UNITS[m.group(2)]


def _warn_each(messages: Messages, items: list[str], say: str) -> None:
    """One warning per item, up to Messages.CAP (all with --verbose), then how many more."""
    if messages.quiet or not items:
        return
    shown = len(items) if messages.verbose else Messages.CAP
    for item in items[:shown]:
        click.echo(f"warning: {item}: {say}", err=True)
    if len(items) > shown:
        click.echo(f"warning: … and {len(items) - shown} more: {say} ({messages.hint})", err=True)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _note(messages: Messages, text: str) -> None:
    if not messages.quiet:
        click.echo(text, err=True)


class Stages:
    """With --verbose, how long each stage took; also the progress callback of the library."""

    LABELS = {
        "lookup": "looked up {done} indexed candidates for {total} new documents",
        "load": "loaded {done} indexed profiles",
        "pairs": "{done} candidate pairs",
        "verify": "verified {done} pairs",
        "write": "write under way: {total} documents",
    }

    def __init__(self, messages: Messages, spec: str) -> None:
        self.messages = messages
        self.spec = spec
        self.start = time.perf_counter()

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        self.messages.info(f"{what} ({now - self.start:.2f} s)")
        self.start = now

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "write":  # the lock is held from here: the time so far was spent waiting
            self.lap(f"{self.spec}: rows serialised, write lock taken")
        label = self.LABELS.get(stage)
        if label:
            self.lap(label.format(done=done, total=total))


def index_hashing(index: str, config: Config, messages: Messages) -> Config:
    """`config` with the hashing fields of INDEX, when it exists, for those not set on the command
    line: a preset names thresholds, so `--preset strict` (64 bands) checks an index built with
    128. A hashing option given explicitly is kept, and refused by the index if it differs."""
    ctx = click.get_current_context()
    explicit = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    given = {name for name in HASHING_FIELDS if ctx.get_parameter_source(name) in explicit}
    try:
        with open_store(index) as store:
            stored = store.config
    except StoreError:  # no index yet, or one that cannot be used: the command's own open says so
        return config
    taken = {
        name: getattr(stored, name)
        for name in HASHING_FIELDS
        if name not in given and getattr(stored, name) != getattr(config, name)
    }
    if taken:
        messages.info("hashing fields from the index: " + " ".join(f"{k}={v}" for k, v in taken.items()))
    return config.replace(**taken)


def _warn_already(messages: Messages, batch: Batch, verb: str) -> None:
    """Batch documents whose id is indexed: said once each, with when and from where."""
    for what, same in (("already indexed", True), ("already indexed with other text", False)):
        items = [
            f"{p.id} (added {iso(doc.added)} from {doc.source or '?'})"
            for p, doc in batch.already
            if (p.fingerprint == doc.fingerprint) == same
        ]
        _warn_each(messages, items, f"{what}; {verb}")


# -- reports -----------------------------------------------------------------------------------


def _members(result: CheckResult, cluster_data: dict[str, Any]) -> dict[str, Any]:
    for m in cluster_data["members"]:
        doc = result.indexed.get(m["id"])
        if doc is None:
            m["indexed"] = False
        else:
            m.update(indexed=True, added=iso(doc.added), source=doc.source)
    return cluster_data


def _index_dict(result: CheckResult, batch: Batch, spec: str, added: list[str] | None) -> dict[str, Any]:
    return {
        "name": spec,
        "documents": batch.index_size,
        "compared": len(result.compared),
        "already_indexed": [p.id for p, _ in batch.already],
        "added": added,
    }


def render_check(
    result: CheckResult,
    batch: Batch,
    spec: str,
    fmt: str,
    added: list[str] | None,
    texts: Mapping[str, str] | None = None,
) -> str:
    """The report of `dedupe` in the same formats, indexed members marked with when and from
    where they were added; `texts`, the new members' texts, give headlines and passages (the
    index keeps no text). `ids` lists the new documents to drop, not the indexed ones."""
    report = result.report
    if fmt == "ids":
        return "".join(d + "\n" for d in dropped(report) if d not in result.indexed)
    if fmt == "html":
        from .report_html import html_chunks

        notes = {d: f"indexed {iso(doc.added)} from {doc.source or '?'}" for d, doc in result.indexed.items()}
        index = {"name": spec, "documents": batch.index_size, "in_clusters": len(result.indexed)}
        return "".join(html_chunks(report, texts or {}, notes, index))
    clusters = [_members(result, cluster_dict(c, n)) for n, c in enumerate(report.clusters, start=1)]
    if fmt == "json":
        data = {
            "version": SCHEMA_VERSION,
            "config": report.config.as_dict(),
            "documents": report.documents,
            "too_short": report.too_short,
            "skipped": report.skipped,
            "clusters": clusters,
            "index": _index_dict(result, batch, spec, added),
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in clusters)
    if fmt == "csv":
        out = io.StringIO()
        columns = (*CSV_COLUMNS, "indexed", "added", "source")
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for c in clusters:
            for m in c["members"]:
                writer.writerow(
                    {
                        "cluster": c["id"],
                        "representative": c["representative"],
                        **m,
                        "indexed": "true" if m["indexed"] else "false",
                    }
                )
        return out.getvalue()
    return _text(result, batch, spec, added, texts)


def _text(
    result: CheckResult, batch: Batch, spec: str, added: list[str] | None, texts: Mapping[str, str] | None
) -> str:
    report = result.report
    blocks = []
    for n, cluster in enumerate(report.clusters, start=1):
        width = max(len(m.id) for m in cluster.members)
        lines = [f"c{n}: {len(cluster.members)} versions of one story"]
        for member in cluster.members:
            doc = result.indexed.get(member.id)
            where = f"  (indexed {iso(doc.added)} from {doc.source or '?'})" if doc else ""
            lines.append(member_line(member, width, where, headline_of(member.id, texts)))
        blocks.append("\n".join(lines))
    tail = summary_line(report)
    tail += (
        f"\nchecked against {spec}: {batch.index_size} indexed documents, {len(result.indexed)} in clusters"
    )
    if batch.already:
        tail += f", {len(batch.already)} of the batch already indexed"
    if added is not None:
        tail += f", {len(added)} clean documents added"
    if report.too_short:
        tail += "\ntoo short to judge: " + ", ".join(report.too_short)
    return "\n\n".join(blocks + [tail]) + "\n"


def render_info(info: IndexInfo, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(info.as_dict(), indent=2, ensure_ascii=False) + "\n"
    d = info.as_dict()
    rows = [
        ("index", info.spec),
        ("backend", f"{info.backend} (format {info.format})"),
        ("documents", f"{info.documents}"),
        ("words", f"{info.words} (content words with a document frequency)"),
        ("created", d["created"]),
        ("updated", d["updated"]),
        ("oldest", d["oldest"] or "-"),
        ("newest", d["newest"] or "-"),
    ]
    if info.size is not None:
        rows.append(("size", f"{info.size / 1e6:.1f} MB"))
    rows.append(("parameters", " ".join(f"{k}={v}" for k, v in info.params.items())))
    return "".join(f"{k:<11} {v}\n" for k, v in rows)


# -- commands ----------------------------------------------------------------------------------


@click.group("index")
def index_group() -> None:
    """Keep a persistent index of accepted documents (see `dedupe check`)."""


@index_group.command("add")
@index_option
@click.argument("paths", nargs=-1, required=True)
@jobs_option
@input_options
@detection_options
@quiet_options
@handle_errors
def add_command(
    index: str,
    paths: tuple[str, ...],
    jobs: int,
    load: LoadOptions,
    preset: str,
    verbose: bool,
    quiet: bool,
    config: Config,
) -> None:
    """Add the documents in PATHS to INDEX (created if missing). An id already indexed is skipped."""
    messages = Messages(verbose, quiet)
    config = index_hashing(index, config, messages)
    messages.info(f"config: preset={preset} {config}")
    with open_store(index, config, create=True) as store:
        stages = Stages(messages, store.spec)
        docs = read_documents(paths, messages, load)
        batch = prepare(store, docs, config, jobs=jobs)
        stages.lap(f"read, profiled and signed {batch.documents} documents")
        result = add_batch(store, batch, progress=stages)
        stages.lap(f"written and committed: {len(result.added)} documents")
        total = store.count()
    _warn_already(messages, batch, "skipped")
    late = result.existing[len(batch.already) :]
    _warn_each(messages, late, "indexed meanwhile by another run; skipped")
    _warn_each(messages, batch.too_short, "too short to judge; not indexed")
    messages.finish()
    _note(messages, f"{store.spec}: {_n(len(result.added), 'document')} added, {total} in the index")


@index_group.command("info")
@index_option
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--verify", is_flag=True, help="Also check the index's consistency (exit 2 on a problem).")
@handle_errors
def info_command(index: str, fmt: str, verify: bool) -> None:
    """Show INDEX's size, parameters, and when it was created and last updated."""
    with open_store(index) as store:
        info = store.info()
        problems = store.verify() if verify else []
    click.echo(render_info(info, fmt), nl=False)
    if problems:
        raise DedupeError(f"{info.spec}: " + "; ".join(problems))


@index_group.command("remove")
@index_option
@click.argument("ids", nargs=-1, required=True)
@quiet_options
@handle_errors
def remove_command(index: str, ids: tuple[str, ...], verbose: bool, quiet: bool) -> None:
    """Remove the documents IDS from INDEX."""
    messages = Messages(verbose, quiet)
    with open_store(index) as store:
        removed = store.remove(set(ids))
    _warn_each(messages, sorted(set(ids) - set(removed)), "not in the index")
    _note(messages, f"{store.spec}: {_n(len(removed), 'document')} removed")


@index_group.command("prune")
@index_option
@click.option(
    "--older-than",
    "age",
    required=True,
    metavar="AGE",
    callback=lambda _c, _p, v: parse_age(v),
    help="Remove documents added longer ago than AGE: a number and s, m, h, d or w (30d).",
)
@click.option("--dry-run", is_flag=True, help="List the ids that would be removed on stdout; change nothing.")
@quiet_options
@handle_errors
def prune_command(index: str, age: float, dry_run: bool, verbose: bool, quiet: bool) -> None:
    """Remove the documents added to INDEX before a given age."""
    messages = Messages(verbose, quiet)
    cutoff = time.time() - age
    with open_store(index) as store:
        if dry_run:
            ids = store.older_than(cutoff)
            click.echo("".join(i + "\n" for i in ids), nl=False)
            _note(
                messages,
                f"{store.spec}: {_n(len(ids), 'document')} added before {iso(cutoff)} would be removed",
            )
            return
        removed = store.prune(cutoff)
    _note(messages, f"{store.spec}: {_n(len(removed), 'document')} added before {iso(cutoff)} removed")


@click.command("check")
@index_option
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format."
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file (atomically)."
)
@click.option(
    "--fail-on-duplicates", is_flag=True, help="Exit 1 when a new document duplicates any (for CI)."
)
@click.option(
    "--add", "add", is_flag=True, help="Add the clean new documents (those in no cluster) to INDEX."
)
@click.option(
    "--max-candidates",
    type=click.IntRange(0),
    default=Limits.pairs,
    show_default=True,
    help="Stop (exit 2) past this many candidate pairs with indexed documents; 0: no limit.",
)
@click.option(
    "--max-compared",
    type=click.IntRange(0),
    default=Limits.documents,
    show_default=True,
    help="Stop (exit 2) past this many indexed documents to compare (each is loaded); 0: no limit.",
)
@jobs_option
@input_options
@detection_options
@quiet_options
@handle_errors
def check_command(
    index: str,
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    fail_on_duplicates: bool,
    add: bool,
    max_candidates: int,
    max_compared: int,
    jobs: int,
    load: LoadOptions,
    preset: str,
    verbose: bool,
    quiet: bool,
    config: Config,
) -> None:
    """Report each document of PATHS that duplicates an indexed one or another of PATHS.

    Indexed documents appear in the clusters under their original ids, with when and from where
    they were added. A document whose id is indexed already is not checked again.
    """
    messages = Messages(verbose, quiet)
    config = index_hashing(index, config, messages)
    messages.info(f"config: preset={preset} {config}")
    with open_store(index, config, create=add) as store:
        spec = store.spec
        stages = Stages(messages, spec)
        docs = read_documents(paths, messages, load)
        spool = spool_for(fmt, False)  # the texts the report needs: headlines, or passages
        if spool is not None:
            click.get_current_context().call_on_close(spool.close)
            docs = spool.tap(docs)
        # profiles that will not be stored can be compact, and are then made on every core
        batch = prepare(store, docs, config, jobs=jobs, compact=not add)
        stages.lap(f"read, profiled and signed {batch.documents} documents")
        if batch.documents - len(batch.too_short) < 1:
            raise DedupeError("nothing to compare: no document long enough was read from " + ", ".join(paths))
        limits = Limits(max_candidates or None, max_compared or None)
        result = check_batch(store, batch, config, progress=stages, jobs=jobs, limits=limits)
        stages.lap(f"{result.report.verified} duplicate pairs in {len(result.report.clusters)} clusters")
        added: list[str] | None = None
        if add:
            result, outcome = add_clean(
                store, batch, result, config, jobs=jobs, progress=stages, limits=limits
            )
            added = outcome.added
            stages.lap(f"written and committed: {len(added)} clean documents")
    result.report.skipped = messages.skipped
    _warn_already(messages, batch, "not checked again")
    messages.finish()
    texts = spool.texts(member_ids(result.report)) if spool is not None else None
    Output(output).write(render_check(result, batch, spec, fmt, added, texts))
    if added is not None:
        _note(messages, f"{spec}: {_n(len(added), 'clean document')} added")
    if fail_on_duplicates and result.report.clusters:
        sys.exit(EXIT_DUPLICATES)


def register(group: click.Group) -> None:
    """Add `check` and `index` to the `dedupe` group."""
    group.add_command(check_command)
    group.add_command(index_group)
