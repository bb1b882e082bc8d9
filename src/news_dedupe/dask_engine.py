"""The Dask engine: the local engine's stages on the workers of a Dask cluster, the same report
byte for byte (`pip install 'news-dedupe[dask]'`).

Each input file is a partition (a file over SPLIT_BYTES, several), read and profiled by a worker
with the local engine's loader and profiler (`dask_stages.read_partition`); the profiles stay on
the workers. The client sees each partition's ids (to number the documents in id order, and to
rename an id repeated across files as one loader would), the too-short texts and what the report
needs of each text. Every later stage runs on the workers over partitions, each a function of
`dask_stages` with the data it needs brought by a shuffle (one `client.submit` a piece):

  rare words (word counts reduced by word; the frequent ones, a small set, sent to every worker)
  -> sketches and band keys (per partition) -> buckets (entries grouped by band key) -> row
  limits (grouped by sketch) -> candidate pairs (grouped by first document; ties at the cut of
  `--candidates-per-doc` fetch the partner's sketch) -> pairs joined with the partner's profile,
  filtered and verified (at the first document's partition) -> verified pairs to the client,
  which clusters them with the profiles of the documents in them and attaches the briefs.

A task whose worker dies is run again by Dask from the tasks it came from; the partitions as read
and the homes are held to the end for that, while each shuffle's data is freed once used, so a
stage that lost data already freed is run again from the homes (`_retried`): the same result.
"""

from __future__ import annotations

import logging
import operator
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import zip_longest
from typing import Any

import numpy as np

from .cluster import Cluster
from .clustering import cluster_verified, place_briefs
from .config import Config
from .dask_stages import (
    SPOOL_HEADLINE,
    SPOOL_NONE,
    SPOOL_TEXT,
    Chunk,
    Read,
    bucket_held,
    bucket_pairs,
    bucket_rows,
    buckets,
    by_range,
    count_pairs,
    count_words,
    frequent,
    heads_of,
    partner_lows,
    partner_records,
    partners_wanted,
    prepare,
    profiles_of,
    prose_keys,
    prose_pairs,
    read_meta,
    read_partition,
    row_keep,
    sign,
    ties,
    verify_part,
)
from .document import Document
from .errors import DedupeError, InputError
from .index import LEDE_BUCKET_CAP, MIN_LEDE_BANDS, ROW_PAIRS
from .loader import LoadOptions, LoadWarning, _expand, _Loader, _walk
from .loader_formats import parquet_row_groups
from .result import Progress, Report
from .verification import Detector
from .verify import PairScores

__all__ = ["SPOOL_HEADLINE", "SPOOL_NONE", "SPOOL_TEXT", "dask_client", "find_duplicates_dask", "partitions"]

Warn = Callable[[LoadWarning], None]
# A file larger than this is read as several partitions (`read_partition`); at most MAX_SPLIT.
SPLIT_BYTES = 8 << 20
MAX_SPLIT = 256
# Documents a home partition holds, about, past two homes a worker (`find_duplicates_dask`).
DOCS_PER_HOME = 10_000
# Directed candidate pairs a home holds in one wave of a join (about 19 bytes each as shuffled,
# a few times that while counted): the join runs in as many waves as it takes.
PAIRS_PER_WAVE = 2_000_000


def partitions(paths: Sequence[str]) -> list[tuple[str, str | None, int]]:
    """The input as partitions in input order: (file, the folder it was found in or None when
    given itself or matched by a glob, how many partitions read it), checked as `loader.load`
    checks them."""
    out: list[tuple[str, str | None, int]] = []
    for item in [_expand(p) for p in paths]:
        for path in [item] if isinstance(item, str) else item:
            if path == "-":
                raise InputError("-: the Dask engine reads files on its workers, not standard input")
            files = [(f, path) for f in _walk(path, set())] if os.path.isdir(path) else [(path, None)]
            for file, folder in files:
                try:
                    size = os.path.getsize(file)
                except OSError:
                    size = 0  # the worker's loader says why it cannot read it
                parts = max(1, min(MAX_SPLIT, -(-size // SPLIT_BYTES)))
                if parts > 1 and by_range(file):  # no more partitions than row groups
                    parts = min(parts, parquet_row_groups(file))
                out.append((file, folder, parts))
    return out


def _file_warnings(results: Sequence[Read]) -> list[LoadWarning]:
    """The warnings of one file's partitions in order, a file's own ("no documents") once, and
    only when every partition (each a range of its rows) had it."""
    every = [w for r in results for w in r.warnings]
    whole = [w for w in every if w.kind == "empty" and not w.place]
    if len(results) > 1 and whole:
        every = [w for w in every if w not in whole]
        if len(whole) == len(results):
            every.append(whole[0])
    return every


class _Renamer:
    """Ids unique across files, as one loader reading every file in order gives them: an id
    repeating an earlier file's is renamed (`id~2`), with the loader's warning."""

    def __init__(self, options: LoadOptions, warn: Warn | None) -> None:
        self._loader = _Loader(options, warn)

    def __call__(self, chunk: Chunk) -> dict[str, str]:
        """Rename `chunk`'s ids in place; the ids changed, old to new."""
        renamed = {}
        for given, raw, name, place in chunk.names:
            final = self._loader._unique(raw, name, place)
            if final != given:
                renamed[given] = final
        if renamed:
            new = renamed.get
            chunk.long = [new(d, d) for d in chunk.long]
            chunk.too_short = [new(d, d) for d in chunk.too_short]
            chunk.briefs = {new(d, d): t for d, t in chunk.briefs.items()}
            chunk.sources = {new(d, d): s for d, s in chunk.sources.items()}
            chunk.names = [(new(g, g), raw, name, place) for g, raw, name, place in chunk.names]
        return renamed


@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2) -> Iterator[Any]:
    """A client of the cluster at `scheduler`, or of a LocalCluster of `workers` single-threaded
    worker processes started here and stopped on the way out (also on Ctrl-C or an error)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:
        raise DedupeError("--engine dask needs Dask: pip install 'news-dedupe[dask]'") from err
    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="30s")
            except OSError as err:
                raise DedupeError(f"{scheduler}: cannot reach the Dask scheduler ({err})") from err
        else:
            # Ctrl-C while the cluster starts waits until it has started (a cluster half made
            # cannot be stopped cleanly), then stops it as any other Ctrl-C does
            pressed: list[int] = []
            main = threading.current_thread() is threading.main_thread()
            before = signal.signal(signal.SIGINT, lambda *_: pressed.append(1)) if main else None
            try:
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    silence_logs=logging.CRITICAL,
                )
                client = Client(cluster)
            finally:
                if main:
                    signal.signal(signal.SIGINT, before)
            if pressed:
                client.close()
                raise KeyboardInterrupt
        try:
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def find_duplicates_dask(
    paths: Sequence[str],
    options: LoadOptions | None = None,
    config: Config | None = None,
    *,
    client: Any,
    progress: Progress | None = None,
    warn: Warn | None = None,
    keep: Callable[[Iterator[Document]], Iterator[Document]] | None = None,
    spool: int = SPOOL_NONE,
    jobs: int = 1,
) -> Report:
    """`pipeline.find_duplicates` of the files `paths` on the workers of `client`: the same
    report. `keep` (a `TextSpool.tap`) receives each document in input order with what `spool`
    asks of its text; `jobs` processes of the client score what choosing originals needs."""
    config = config or Config()
    options = options or LoadOptions()

    def submit(*args: Any, **kwargs: Any) -> Any:
        return client.submit(*args, pure=False, **kwargs)

    units = [(path, folder, k, n) for path, folder, n in partitions(paths) for k in range(n)]
    n_parts = len(units)
    reads = [
        submit(read_partition, path, folder, k, n, options, config, spool) for path, folder, k, n in units
    ]
    metas: list[Any] = [submit(read_meta, r) for r in reads]

    # the client: ids in input order (renamed across files), the too-short texts, the spool
    rename = _Renamer(options, warn)
    renamed: list[dict[str, str]] = [{} for _ in units]
    long_ids: list[list[str]] = [[] for _ in units]
    too_short: list[str] = []
    briefs: dict[str, str] = {}
    sources: dict[str, str] = {}
    read = 0
    k = 0
    while k < n_parts:
        parts = units[k][3]
        results: list[Read] = [metas[k + j].result() for j in range(parts)]
        for j in range(parts):
            metas[k + j] = None
        if warn is not None:
            for w in _file_warnings(results):
                warn(w)
        if by_range(units[k][0]):  # partition j holds the j-th range of the file's rows
            in_order = [(k + j, c) for j, r in enumerate(results) for c in r.chunks]
        else:  # chunk c of the file is partition c % parts's (c // parts)-th
            rows = zip_longest(*([(k + j, c) for c in r.chunks] for j, r in enumerate(results)))
            in_order = [x for row in rows for x in row if x is not None]
        for p, chunk in in_order:
            renamed[p].update(rename(chunk))
            if keep is not None:
                texts = chunk.texts or [""] * len(chunk.names)
                passing = (Document(g, t) for (g, _r, _n, _p), t in zip(chunk.names, texts, strict=True))
                for _ in keep(passing):
                    pass
            long_ids[p].extend(chunk.long)
            too_short.extend(chunk.too_short)
            briefs.update(chunk.briefs)
            sources.update(chunk.sources)
            read += chunk.read
        k += parts
        if progress:
            progress("read", read, 0)
    too_short.sort()

    # documents numbered in id order over the run, as the local engine's spill orders them
    every = [d for ids in long_ids for d in ids]
    n_docs = len(every)
    order = sorted(range(n_docs), key=every.__getitem__)
    rank = np.empty(n_docs, dtype=np.int64)
    rank[np.array(order, dtype=np.int64)] = np.arange(n_docs, dtype=np.int64)
    # partitions as read are joined into homes of about DOCS_PER_HOME documents (at least two a
    # worker): every later stage has a task a home, or a task a pair of homes for a shuffle
    sizes = np.array([len(ids) for ids in long_ids], dtype=np.int64)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    n_homes = max(1, min(n_parts, max(2 * workers, -(-n_docs // DOCS_PER_HOME))))
    starts = np.cumsum(sizes) - sizes
    _, group = np.unique(np.minimum(starts * n_homes // max(n_docs, 1), n_homes - 1), return_inverse=True)
    n_homes = int(group.max()) + 1 if n_parts else 0
    home_of = np.repeat(group.astype(np.int32), sizes)[order]
    bounds = np.cumsum(np.concatenate(([0], sizes)))
    del every, order
    docs = []
    for h in range(n_homes):
        members = np.flatnonzero(group == h).tolist()
        ranks = np.concatenate([rank[bounds[p] : bounds[p + 1]] for p in members])
        docs.append(submit(prepare, [reads[p] for p in members], [renamed[p] for p in members], ranks, h))
    # `reads` stay held (as `docs`) to the end: a home lost with its worker is made again from them
    if progress:
        progress("read", read, read)

    clusters: list[Cluster] = []
    verified: list[tuple[int, int, PairScores]] = []
    proposed, detector = 0, Detector({}, config)
    if n_docs:
        verified, proposed = _retried(lambda: _pairs(client, submit, docs, n_docs, config, progress))
        wanted = {r for a, b, _ in verified for r in (a, b)}
        by_id = _retried(lambda: _profiles(client, submit, docs, home_of, wanted))
        detector = Detector(by_id, config)
        scores = [s for _, _, s in verified]
        clusters = cluster_verified(by_id, scores, detector, config, jobs)
    heads: list[tuple[str, tuple[str, ...]]] = []
    if briefs and config.brief_match and n_docs:
        heads = sorted(h for part in client.gather([submit(heads_of, d) for d in docs]) for h in part)
    clusters, too_short = place_briefs(clusters, briefs, heads, too_short, config)
    return Report(
        config=config,
        documents=read,
        clusters=clusters,
        too_short=too_short,
        sources={d: sources[d] for d in too_short},
        candidates=proposed,
        verified=len(verified),
        detector=detector,
    )


# A stage that failed because a worker died with results that its tasks still needed (and that
# were already freed) is run again from the homes, at most this many times in all.
ATTEMPTS = 3


def _retried(stage: Callable[[], Any]) -> Any:
    """`stage()`, run again when a worker's death lost what it needed (the result is the same)."""
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    for attempt in range(ATTEMPTS):
        try:
            return stage()
        except (FutureCancelledError, KilledWorker):
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _given(value: Any) -> Any:
    """`value` as a task's result (`_pairs`)."""
    return value


def _split_futures(submit: Callable[..., Any], sources: Sequence[Any], n: int) -> list[list[Any]]:
    """pieces[q] = the q-th piece of every source (each a future of a list of n pieces)."""
    return [[submit(operator.getitem, f, q) for f in sources] for q in range(n)]


def _pairs(
    client: Any,
    submit: Callable[..., Any],
    docs: list[Any],
    n_docs: int,
    config: Config,
    progress: Progress | None,
) -> tuple[list[tuple[int, int, Any]], int]:
    """Every stage from rare words to verification on the workers: the verified pairs (ranks of
    their documents and scores) in the local engine's order, and the number of candidates.

    The stages run one after the other, each index's join freed once its pairs are counted, so
    that a worker holds one shuffle's data at a time."""
    from distributed import as_completed, wait

    n = len(docs)
    common: dict[str, int] | None = None
    chrome: frozenset[tuple[str, ...]] = frozenset()
    if n_docs >= config.rare_min_docs:
        counts = [submit(count_words, d, n) for d in docs]
        cutoff = config.rare_cutoff(n_docs)
        frequents = [submit(frequent, pieces, cutoff) for pieces in _split_futures(submit, counts, n)]
        common, tops = {}, set()
        for words, top in client.gather(frequents):
            common.update(words)
            tops.update(top)
        chrome = frozenset(tuple(s.split("\x1f")) if s else () for s in tops)
        del counts, frequents
    # a task's result, not scattered data: Dask can compute it again if the worker holding it dies
    common_f = submit(_given, common) if common is not None else None
    out = [submit(sign, d, common_f, chrome, config, n) for d in docs]
    signed = [submit(operator.getitem, o, 0) for o in out]
    entries_of = {"rare": [submit(operator.getitem, o, 1) for o in out]}
    if config.lede_words:
        entries_of["lede"] = [submit(operator.getitem, o, 2) for o in out]
    _stage(progress, "sketches", out, as_completed)
    del out

    per_doc, num_perm = config.candidates_per_doc or None, config.num_perm
    found: dict[str, list[list[Any]]] = {"lede": [[] for _ in range(n)]}
    for which, cap, min_shared in (("rare", None, 1), ("lede", LEDE_BUCKET_CAP, MIN_LEDE_BANDS)):
        if which not in entries_of:
            continue
        held = [submit(buckets, pieces, cap) for pieces in _split_futures(submit, entries_of.pop(which), n)]
        kept: list[Any] = [None] * n
        if per_doc is not None:
            rows = [submit(bucket_rows, b, q, n) for q, b in enumerate(held)]
            keeps = [submit(row_keep, pieces, ROW_PAIRS, n) for pieces in _split_futures(submit, rows, n)]
            kept = _split_futures(submit, keeps, n)
        # the join runs in waves of documents (rank modulo waves), each about PAIRS_PER_WAVE
        # directed pairs a home, so that a worker holds one wave's pairs at a time
        held_pairs = sum(client.gather([submit(bucket_held, b, kept[q]) for q, b in enumerate(held)]))
        waves = max(1, -(-held_pairs // (n * PAIRS_PER_WAVE)))
        found[which] = [[] for _ in range(n)]
        for wave in range(waves):
            pairs = [submit(bucket_pairs, b, kept[q], n, wave, waves) for q, b in enumerate(held)]
            by_x = _split_futures(submit, pairs, n)
            answers: list[list[Any]] = [[] for _ in range(n)]
            if per_doc is not None:
                asked = [submit(ties, by_x[p], min_shared, per_doc, n) for p in range(n)]
                for p in range(n):  # the partition holding y answers for each tie of p
                    answers[p] = [
                        submit(partner_lows, signed[q], which, submit(operator.getitem, asked[p], q))
                        for q in range(n)
                    ]
            counted = [
                submit(count_pairs, by_x[p], signed[p], which, answers[p], min_shared, per_doc, num_perm, n)
                for p in range(n)
            ]
            name = f"{which} candidate pairs" + (f" (wave {wave + 1} of {waves})" if waves > 1 else "")
            _stage(progress, name, counted, as_completed)
            wait(counted)
            for i, pieces in enumerate(_split_futures(submit, counted, n)):
                found[which][i].extend(pieces)
            del pairs, by_x, answers, counted  # this wave's shuffles, freed on the workers
            if per_doc is not None:
                del asked
        del held, kept  # this join's buckets
        if per_doc is not None:
            del rows, keeps
    keys = [submit(prose_keys, d, n) for d in signed]
    prose = _split_futures(
        submit, [submit(prose_pairs, pieces, n) for pieces in _split_futures(submit, keys, n)], n
    )
    wanted = [submit(partners_wanted, found["rare"][i], found["lede"][i], prose[i], n) for i in range(n)]
    asks = _split_futures(submit, wanted, n)  # asks[j][i]: what partition i wants of partition j
    checked = []
    for i in range(n):
        partners = [submit(partner_records, signed[j], asks[j][i]) for j in range(n)]
        checked.append(
            submit(verify_part, signed[i], found["rare"][i], found["lede"][i], prose[i], partners, config)
        )
    _stage(progress, "verify", checked, as_completed)
    proposed, verified = 0, []
    for count, pairs_ in client.gather(checked):
        proposed += count
        verified.extend(pairs_)
    verified.sort(key=lambda v: (v[0], v[1]))
    if progress:
        progress("candidates", proposed, proposed)
        progress("verify", proposed, proposed)
    return verified, proposed


def _stage(progress: Progress | None, name: str, futures: list[Any], as_completed: Any) -> None:
    """Progress of a stage: its tasks as they end (when someone watches)."""
    if progress:
        for done, _ in enumerate(as_completed(futures), 1):
            progress(f"dask {name}", done, len(futures))


def _profiles(
    client: Any, submit: Callable[..., Any], docs: list[Any], home_of: np.ndarray, ranks: set[int]
) -> dict[str, Any]:
    """The profiles of the documents `ranks` (those in verified pairs), from their homes."""
    wanted = np.array(sorted(ranks), dtype=np.int64)
    homes = home_of[wanted] if len(wanted) else np.zeros(0, np.int32)
    asks = [submit(profiles_of, docs[h], wanted[homes == h]) for h in np.unique(homes).tolist()]
    return {p.id: p for part in client.gather(asks) for p in part}
