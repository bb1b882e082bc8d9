"""Stage: documents profiled (normalised, segmented, stemmed, hashed: `verify.profile`).

`profile_documents` profiles a batch in this process; `profile_parallel` the same on forked
workers in chunks, with the same result. Too-short documents are set aside (some are briefs).
"""

from __future__ import annotations

import multiprocessing as mp
import sys
from collections.abc import Iterable, Sequence
from itertools import chain, islice
from typing import NamedTuple

from .config import Config
from .document import Document
from .forked import ignore_sigint
from .result import Progress
from .spill import Packed, ProfileSpill, pack
from .verify import Profile, profile


class Profiled(NamedTuple):
    """What profiling a batch gives: the profiles of the documents long enough to judge (sorted
    by id), the ids of the others (sorted), the number of documents read, the texts of the
    short ones that may be briefs (`briefs.match_briefs`), by id, and where each short one was
    read (`Document.source`)."""

    profiles: Sequence[Profile]  # a list, or a `ProfileSpill` when profiled into one
    too_short: list[str]
    read: int
    briefs: dict[str, str]
    sources: dict[str, str]


def profile_documents(
    documents: Iterable[Document],
    config: Config,
    progress: Progress | None = None,
    compact: bool = False,
    spill: ProfileSpill | None = None,
) -> Profiled:
    """Profile every document; `compact` profiles (`Profile.compact`) when no passage will be
    shown or stored, written to `spill` (finished, and returned as the profiles) when given."""
    profiles: list[Profile] = []
    too_short: list[str] = []
    briefs: dict[str, str] = {}
    sources: dict[str, str] = {}
    read = 0
    for doc in documents:
        read += 1
        p = profile(doc.id, doc.text, config, doc.date)
        if p.words < config.min_words or not p.stems:
            too_short.append(doc.id)
            sources[doc.id] = doc.source
            if p.brief:
                briefs[doc.id] = p.brief
        else:
            if compact or spill is not None:
                p.compact()
            if spill is not None:
                spill.append(p)
            else:
                profiles.append(p)
        if progress and read % 1000 == 0:
            progress("read", read, 0)
    if spill is not None:
        return Profiled(spill.finish(), sorted(too_short), read, briefs, sources)
    profiles.sort(key=lambda p: p.id)
    return Profiled(profiles, sorted(too_short), read, briefs, sources)


# Documents a worker profiles at a time.
PROFILE_CHUNK = 500


def _profile_chunk(args: tuple[list[Document], Config, bool]) -> Profiled:
    return profile_documents(*args[:2], compact=args[2])


def _pack_chunk(
    args: tuple[list[Document], Config, bool],
) -> tuple[list[Packed], list[str], int, dict[str, str], dict[str, str]]:
    """`_profile_chunk` for a spill: profiles packed (`spill.pack`), a few strings each to send
    back where a profile is hundreds (unpickling those cost the parent 1.9 s for 10,000 documents)."""
    done = _profile_chunk(args)
    return [pack(p) for p in done.profiles], done.too_short, done.read, done.briefs, done.sources


def profile_parallel(
    documents: Iterable[Document],
    config: Config,
    jobs: int = 1,
    progress: Progress | None = None,
    compact: bool = False,
    spill: ProfileSpill | None = None,
) -> Profiled:
    """`profile_documents` on forked workers, in chunks; the same result.

    The parent unpickles every profile the workers send (a full one costs about a third of
    making it; a compact one, with no tokens or text, far less), so full profiles get
    `jobs - 1` workers and compact ones `jobs`; below two workers, profiling stays in-process.
    """
    compact = compact or spill is not None
    workers = jobs if compact else jobs - 1
    if workers < 2 or "fork" not in mp.get_all_start_methods():
        return profile_documents(documents, config, progress, compact, spill)
    docs = iter(documents)
    first = list(islice(docs, PROFILE_CHUNK))
    if len(first) < PROFILE_CHUNK:  # a small batch: starting processes would cost more
        return profile_documents(first, config, progress, compact, spill)
    docs = chain(first, docs)
    chunks = iter(lambda: (list(islice(docs, PROFILE_CHUNK)), config, compact), ([], config, compact))
    profiles: list[Profile] = []
    too_short: list[str] = []
    briefs: dict[str, str] = {}
    sources: dict[str, str] = {}
    read = 0

    def take(done: tuple[object, list[str], int, dict[str, str], dict[str, str]]) -> None:
        """Keep what a chunk gives besides its profiles."""
        nonlocal read
        too_short.extend(done[1])
        briefs.update(done[3])
        sources.update(done[4])
        read += done[2]
        if progress:
            progress("read", read, 0)

    with mp.get_context("fork").Pool(workers, initializer=ignore_sigint) as pool:
        if spill is not None:
            for packed in pool.imap(_pack_chunk, chunks):
                for record in packed[0]:
                    spill.append(record)
                take(packed)
        else:
            for done in pool.imap(_profile_chunk, chunks):
                for p in done.profiles:
                    # one string a word for the whole run: unpickled, each chunk brings its own
                    # copies (6 KB a profile), whose freed places would stay in the heap
                    p.content = list(map(sys.intern, p.content))
                profiles.extend(done.profiles)
                take(done)
    if spill is not None:
        return Profiled(spill.finish(), sorted(too_short), read, briefs, sources)
    profiles.sort(key=lambda p: p.id)
    return Profiled(profiles, sorted(too_short), read, briefs, sources)
