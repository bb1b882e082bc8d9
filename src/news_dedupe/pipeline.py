"""The library entry point: documents in, a report of clusters out.

Data flows one way through one module a stage: read (`loader`) -> profile (`profiling`) ->
what each sketch signs (`sketches`) -> band keys and candidate pairs (`candidates`) -> pairs
joined with both profiles and verified (`verification`) -> clusters (`clustering`) -> report
(`report`). This module composes them; the names tests and callers import live on here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from . import memory
from .briefs import attach_briefs, match_briefs
from .candidates import (
    LEDE_WORKER_MAX_DOCS,
    MIN_LEDE_JACCARD,
    MIN_RARE_CONTAINMENT,
    MIN_RARE_JACCARD,
    PairCodes,
    candidate_codes,
    candidate_pairs,
)
from .clustering import cluster_verified, place_briefs, verify_and_cluster
from .config import Config
from .document import Document
from .explain import Explanation, explain_pair
from .loader import LoadOptions, LoadWarning, flag_large, load
from .profiling import PROFILE_CHUNK, Profiled, profile_documents, profile_parallel
from .result import Progress, Report
from .sketches import (
    CHROME_SEGMENTS,
    LEAD_MIN_TOKENS,
    MIN_LEDE_STEMS,
    Words,
    chrome_segments,
    glancer,
    glances,
    lead_words,
    lede_words,
    rare_chars,
    rare_words,
)
from .spill import ProfileSpill
from .verification import MAX_BLOCK, PARALLEL_MIN_PAIRS, Detector
from .verify import verify_duplicate
from .vocabulary import Vocabulary

__all__ = [
    "CHROME_SEGMENTS",
    "LEAD_MIN_TOKENS",
    "LEDE_WORKER_MAX_DOCS",
    "MAX_BLOCK",
    "MIN_LEDE_JACCARD",
    "MIN_LEDE_STEMS",
    "MIN_RARE_CONTAINMENT",
    "MIN_RARE_JACCARD",
    "PARALLEL_MIN_PAIRS",
    "PROFILE_CHUNK",
    "Detector",
    "Explanation",
    "PairCodes",
    "Profiled",
    "Progress",
    "Report",
    "Words",
    "attach_briefs",
    "candidate_codes",
    "candidate_pairs",
    "chrome_segments",
    "cluster_verified",
    "explain_pair",
    "detect",
    "find_duplicates",
    "find_in_files",
    "glancer",
    "glances",
    "lead_words",
    "lede_words",
    "match_briefs",
    "profile_documents",
    "profile_parallel",
    "rare_chars",
    "rare_words",
    "verify_and_cluster",
    "verify_duplicate",
]


def find_duplicates(
    documents: Iterable[Document],
    config: Config | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
    tmpdir: str | None = None,
) -> Report:
    """Find every cluster of versions of one story among `documents`, verifying on `jobs` cores.

    Profiles are kept in a temporary file (in `tmpdir`, else the system's), a few KB each, and
    read back as verification needs them; in memory each document keeps its id and 56 bytes,
    besides what each stage holds while it runs (README, "Memory and temporary files")."""
    config = config or Config()
    vocabulary = Vocabulary()
    spill = ProfileSpill(vocabulary, tmpdir)
    profiled = profile_parallel(documents, config, jobs, progress, spill=spill)
    return detect(profiled, vocabulary, config, progress, jobs)


def detect(
    profiled: Profiled,
    vocabulary: Vocabulary,
    config: Config,
    progress: Progress | None = None,
    jobs: int = 1,
) -> Report:
    """Every stage after profiling, over the profiles of a finished spill coded in `vocabulary`:
    sketches, candidate pairs, verification, clusters, briefs. Both engines end here."""
    spill = profiled.profiles
    assert isinstance(spill, ProfileSpill)
    too_short, read, briefs, sources = profiled.too_short, profiled.read, profiled.briefs, profiled.sources
    if progress:
        progress("read", read, read)
    rare = rare_chars(spill, config)
    candidates = PairCodes(candidate_codes(spill, rare, config, jobs, vocabulary))
    del rare
    memory.release()
    if progress:
        progress("candidates", len(candidates), len(candidates))
    detector = Detector(spill.by_id(), config)
    verified = detector.duplicates(spill.ids, candidates, jobs)
    if progress:
        progress("verify", len(candidates), len(candidates))
    proposed, confirmed = len(candidates), len(verified)
    del candidates  # 8 bytes a candidate: 10.5M of them (84 MB) at 300,001 documents
    memory.release()  # what receiving the verified pairs left (94 of 415 MB at 300,001 documents)
    clusters = cluster_verified(detector.profiles, verified, detector, config, jobs)
    del verified  # the clusters keep the scores of their members
    memory.release()
    clusters, too_short = place_briefs(clusters, briefs, spill.heads(), too_short, config)
    return Report(
        config=config,
        documents=read,
        clusters=clusters,
        too_short=too_short,
        sources={d: sources[d] for d in too_short},
        candidates=proposed,
        verified=confirmed,
        detector=detector,
    )


ENGINES = ("local", "dask")


def find_in_files(
    paths: Sequence[str],
    options: LoadOptions | None = None,
    config: Config | None = None,
    *,
    engine: str = "local",
    scheduler: str | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    warn: Callable[[LoadWarning], None] | None = None,
    tmpdir: str | None = None,
) -> Report:
    """`find_duplicates` of the documents in `paths` (files, folders, globs), on the local engine
    or on Dask (`engine="dask"`: the cluster at `scheduler`, else a LocalCluster of `jobs`
    workers started and stopped here); the same report either way."""
    config = config or Config()
    options = options or LoadOptions()
    if engine == "local":
        docs = flag_large(load(list(paths), options, warn=warn), warn, config.max_segments)
        return find_duplicates(docs, config, progress, jobs, tmpdir)
    if engine != "dask":
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    from .dask_engine import dask_client, find_duplicates_dask

    with dask_client(scheduler, jobs) as client:
        return find_duplicates_dask(
            paths, options, config, client=client, progress=progress, warn=warn, jobs=jobs
        )
