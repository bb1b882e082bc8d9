"""The Dask engine: the same stages as the local engine, with the reading and profiling of the
input spread over the workers of a Dask cluster (`pip install 'news-dedupe[dask]'`).

Each input file is a partition, read by a worker with the local engine's loader (same ids, same
bad-input policy: the loader's `InputError` comes back to the client as itself) and profiled
there (`profiling.profile_documents`, packed as `spill.pack`); the client writes the packed
profiles to its `ProfileSpill` in input order and runs every later stage (`pipeline.detect`),
so the report is byte for byte the local engine's. A task whose worker dies is run again by
Dask on another one (`distributed.scheduler.allowed-failures`), with the same result.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice, zip_longest
from typing import Any

from .config import Config
from .document import Document
from .errors import DedupeError, InputError
from .loader import LoadOptions, LoadWarning, _expand, _Loader, _walk, file_id, flag_large
from .pipeline import detect
from .profiling import PROFILE_CHUNK, Profiled, _pack_chunk
from .result import Progress, Report
from .spill import Packed, ProfileSpill
from .texts import headline
from .vocabulary import Vocabulary

Warn = Callable[[LoadWarning], None]
# What the client needs of each text as it is read (`texts.TextSpool`): nothing, the headline, all.
SPOOL_NONE, SPOOL_HEADLINE, SPOOL_TEXT = 0, 1, 2
# Partitions submitted ahead of the one the client writes next: bounds what waits on the client.
AHEAD_PER_WORKER = 2


# A file larger than this is read as several partitions (`read_partition`); at most MAX_SPLIT.
SPLIT_BYTES = 8 << 20
MAX_SPLIT = 256


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
                out.append((file, folder, max(1, min(MAX_SPLIT, -(-size // SPLIT_BYTES)))))
    return out


@dataclass
class Chunk:
    """What a worker sends back of PROFILE_CHUNK documents: their packed profiles, the other
    counts and ids of `profiling.Profiled`, and their ids in read order as the loader gave them,
    with the id before renaming and where it was read (to rename across files)."""

    packed: list[Packed] = field(default_factory=list)
    too_short: list[str] = field(default_factory=list)
    read: int = 0
    briefs: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    names: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, raw id, file, place
    texts: list[str] = field(default_factory=list)  # what the spool keeps of each, in read order


class _PartitionLoader(_Loader):
    """The loader of one file: it records each document's id before and after renaming (the
    client renames again across files) and says nothing of repeated ids itself."""

    def __init__(self, options: LoadOptions, warn: Warn) -> None:
        super().__init__(options, warn)
        self.names: list[tuple[str, str, str, str]] = []

    def _unique(self, ident: str, name: str, place: str) -> str:
        if ident not in self._ids:
            self._ids.add(ident)
            given = ident
        else:  # as `_Loader._unique`, without the warning: the client gives it
            n = self._next_suffix.get(ident, 2)
            while f"{ident}~{n}" in self._ids:
                n += 1
            self._next_suffix[ident] = n + 1
            given = f"{ident}~{n}"
            self._ids.add(given)
        self.names.append((given, ident, name, place))
        return given


def read_partition(
    path: str, folder: str | None, part: int, parts: int, options: LoadOptions, config: Config, spool: int
) -> tuple[list[LoadWarning], list[Chunk]]:
    """Stage read + profile on a worker: the documents of one file, or of every `parts`-th chunk
    of it from chunk `part` on (each partition parses the whole file, so ids, places and
    warnings are the loader's; parsing costs far less than profiling), profiled in chunks as
    `profile_parallel` profiles them and packed for the client's spill. The file's warnings come
    with its first partition only."""
    warnings: list[LoadWarning] = []
    chunks: list[Chunk] = []
    loader = _PartitionLoader(options, warnings.append)
    loader._ident = file_id(path, folder)
    docs: Iterator[Document] = flag_large(loader._source(path, path), warnings.append, config.max_segments)
    number = 0
    while batch := list(islice(docs, PROFILE_CHUNK)):
        names, loader.names = loader.names, []
        mine, number = number % parts == part, number + 1
        if not mine:
            continue
        out = Chunk(names=names)
        if spool == SPOOL_HEADLINE:
            out.texts = [headline(d.text) for d in batch]
        elif spool == SPOOL_TEXT:
            out.texts = [d.text for d in batch]
        out.packed, out.too_short, out.read, out.briefs, out.sources = _pack_chunk((batch, config, True))
        chunks.append(out)
    return (warnings if part == 0 else []), chunks


class _Renamer:
    """Ids unique across files, as one loader reading every file in order gives them: an id
    repeating an earlier file's is renamed (`id~2`), with the loader's warning."""

    def __init__(self, options: LoadOptions, warn: Warn | None) -> None:
        self._loader = _Loader(options, warn)

    def __call__(self, chunk: Chunk) -> None:
        renamed = {}
        for given, raw, name, place in chunk.names:
            final = self._loader._unique(raw, name, place)
            if final != given:
                renamed[given] = final
        if not renamed:
            return
        new = renamed.get
        chunk.packed = [p._replace(id=new(p.id, p.id)) for p in chunk.packed]
        chunk.too_short = [new(d, d) for d in chunk.too_short]
        chunk.briefs = {new(d, d): t for d, t in chunk.briefs.items()}
        chunk.sources = {new(d, d): s for d, s in chunk.sources.items()}
        chunk.names = [(new(g, g), raw, name, place) for g, raw, name, place in chunk.names]


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
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.CRITICAL,
            )
            client = Client(cluster)
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
    tmpdir: str | None = None,
) -> Report:
    """`pipeline.find_duplicates` of the files `paths`, read and profiled on the workers of
    `client`; the same report. `keep` (a `TextSpool.tap`) receives each document in input order
    with what `spool` asks of its text; `jobs` processes of the client verify."""
    config = config or Config()
    options = options or LoadOptions()
    units = [(path, folder, k, n) for path, folder, n in partitions(paths) for k in range(n)]
    vocabulary = Vocabulary()
    spill = ProfileSpill(vocabulary, tmpdir)
    rename = _Renamer(options, warn)
    too_short: list[str] = []
    briefs: dict[str, str] = {}
    sources: dict[str, str] = {}
    read = 0
    ahead = AHEAD_PER_WORKER * max(1, len(client.scheduler_info().get("workers", {})))
    futures: list[Any] = []

    def result(k: int) -> tuple[list[LoadWarning], list[Chunk]]:
        """Partition k's result, once partitions up to k + ahead are submitted; then dropped."""
        while len(futures) < min(k + 1 + ahead, len(units)):
            path, folder, part, parts = units[len(futures)]
            futures.append(
                client.submit(read_partition, path, folder, part, parts, options, config, spool, pure=False)
            )
        done = futures[k].result()
        futures[k] = None
        return done

    k = 0
    while k < len(units):
        parts = units[k][3]
        results = [result(k + j) for j in range(parts)]  # the partitions of one file
        k += parts
        for w in results[0][0]:
            if warn is not None:
                warn(w)
        # chunk c of the file is partition c % parts's (c // parts)-th
        chunks = [c for row in zip_longest(*(r[1] for r in results)) for c in row if c is not None]
        for chunk in chunks:
            rename(chunk)
            if keep is not None:
                texts = chunk.texts or [""] * len(chunk.names)
                docs = (Document(g, t) for (g, _r, _n, _p), t in zip(chunk.names, texts, strict=True))
                for _ in keep(docs):
                    pass
            for p in chunk.packed:
                spill.append(p)
            too_short.extend(chunk.too_short)
            briefs.update(chunk.briefs)
            sources.update(chunk.sources)
            read += chunk.read
        if progress:
            progress("read", read, 0)
    profiled = Profiled(spill.finish(), sorted(too_short), read, briefs, sources)
    return detect(profiled, vocabulary, config, progress, jobs)
