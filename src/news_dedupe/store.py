"""The persistent index: every document a batch gate has accepted, so that each new batch is
checked against all of them.

Per document the index keeps what checking needs and nothing that runs code when read: the id,
when and from where it was added, its profile as zlib-compressed JSON (never pickle: an index
received from a stranger must not be able to run code), its LSH band keys and its prose
fingerprint. Beside them: the document frequency of every content word and the number of
documents, so that the rare words of a batch are judged against everything indexed
(`pipeline.rare_words(..., df=, n_docs=)`), and the hashing parameters the index was built with,
so that a run whose signatures could not match the stored ones is refused.

Two stores share one interface, `store_base.Store` (with the stored format: hashing
parameters, band keys, serialised profiles): `SQLiteStore` here, one file and the default, and
`store_redis.RedisStore` for runners that share an index. `open_store` chooses by the spec.
Checking a batch: `prepare` (profile, rare words with the stored frequencies, band keys), then
`check_batch` (stored candidates by band key and fingerprint, verify, cluster), then optionally
`add_clean`; `index add` is `prepare` then `add_batch`.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import pathlib
import sqlite3
import time
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from .arrays import distinct, run_starts
from .briefs import attach_briefs, match_briefs
from .config import Config
from .document import Document
from .errors import StoreError
from .forked import ignore_sigint
from .index import LEDE_BUCKET_CAP, MIN_LEDE_BANDS
from .pipeline import (
    MIN_LEDE_STEMS,
    Progress,
    Report,
    Words,
    candidate_pairs,
    chrome_segments,
    lead_words,
    lede_words,
    profile_parallel,
    rare_words,
    verify_and_cluster,
)
from .signature import Signer
from .store_base import (  # the index's public names stay importable from here
    FORMAT_VERSION,
    NO_KEY,
    AddResult,
    CandidateLimitError,
    Guard,
    Hits,
    IndexedDoc,
    IndexInfo,
    Limits,
    NewDoc,
    Store,
    _info,
    _meta_config,
    _new_meta,
    band_keys,
    best,
    dump_profile,
    hashing_params,
    iso,
    load_profile,
    pack_keys,
    probes,
    stored_bands,
    unpack_keys,
)
from .verify import Profile

__all__ = [
    "FORMAT_VERSION",
    "AddResult",
    "Batch",
    "CandidateLimitError",
    "Limits",
    "CheckResult",
    "IndexInfo",
    "IndexedDoc",
    "NewDoc",
    "SQLiteStore",
    "Store",
    "add_batch",
    "add_clean",
    "band_keys",
    "doc_keys",
    "probes",
    "stored_bands",
    "check_batch",
    "dump_profile",
    "hashing_params",
    "iso",
    "load_profile",
    "open_store",
    "prepare",
    "profile_parallel",
    "sign",
]

BUSY_TIMEOUT = 60.0  # seconds a writer waits for another one before giving up
_CHUNK = 500  # ids per IN (...) query
LOOKUP_CHUNK = 2000  # new documents looked up at once (a few thousand bucket hits each)


def doc_keys(
    signer: Signer,
    p: Profile,
    rare: Collection[str],
    config: Config,
    chrome: Collection[Sequence[str]] = (),
) -> tuple[int, ...]:
    """A document's band keys: those of its whole rare-word sketch (bands 0 .. B - 1), of its
    lead sketch (`pipeline.lead_words`, bands B .. 2B - 1) and of its lede sketch
    (`pipeline.lede_words`, with the batch's `chrome` sentences left out; bands 2B .. 3B - 1),
    each when it has one; a lead it lacks before a lede is held by NO_KEY.

    None without rare words: an empty sketch would share every bucket with all such documents.
    """
    if not rare:
        return ()
    bands = config.lsh_bands
    keys = band_keys(signer.hashvalues(rare), config)
    lead = lead_words(p, rare, config)
    lead_keys = band_keys(signer.hashvalues(lead), config) if lead else ()
    lede = lede_words(p, config, chrome)
    if len(lede) < MIN_LEDE_STEMS:
        return keys + lead_keys
    return keys + (lead_keys or (NO_KEY,) * bands) + band_keys(signer.hashvalues(lede), config)


def _fetch_codes(cursor: sqlite3.Cursor) -> np.ndarray:
    """A query's single integer column as an int64 array, read in blocks."""
    blocks = []
    while rows := cursor.fetchmany(200_000):
        blocks.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int64)


# Parameters a multi-row INSERT binds at once: one statement of many rows binds them in C, four
# times faster than executemany's row by row. SQLite allows 32,766 since 3.32, 999 before.
_INSERT_PARAMETERS = 24_000


def _insert_rows(db: sqlite3.Connection, table: str, rows: np.ndarray) -> None:
    """Insert the integer rows of a 2-D array into `table` ("name (columns)")."""
    width = rows.shape[1]
    # one flat list of ints: a list a row would be a million objects for the garbage collector
    values = rows.ravel().tolist()
    which = getattr(sqlite3, "SQLITE_LIMIT_VARIABLE_NUMBER", None)  # Python 3.11 and later
    limit = int(getattr(db, "getlimit")(which)) if which is not None else 999  # noqa: B009 (3.10 stubs)
    step = max(1, min(_INSERT_PARAMETERS, limit) // width) * width
    for k in range(0, len(values), step):
        part = values[k : k + step]
        marks = ",".join(["(" + ",".join("?" * width) + ")"] * (len(part) // width))
        db.execute(f"INSERT INTO {table} VALUES {marks}", part)


def _contenders(pairs: np.ndarray, shared: np.ndarray, per_doc: int) -> tuple[np.ndarray, np.ndarray]:
    """The (query << 32 | document) pairs that `best` could keep, each once with its highest
    count: those of a query's `per_doc` best counts. Whatever falls below is outranked anyway,
    so ids are read and compared only for these."""
    order = np.lexsort((-shared, pairs))
    pairs, shared = pairs[order], shared[order]
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    pairs, shared = pairs[first], shared[first]
    if not len(pairs):
        return pairs, shared
    query = pairs >> 32
    order = np.lexsort((-shared, query))
    ranked_query, ranked = query[order], shared[order]
    starts = run_starts(ranked_query)
    sizes = np.diff(np.concatenate((starts, [len(ranked)])))
    cut = np.zeros(len(starts), dtype=np.int64)  # count of the per_doc-th best, 0 if fewer
    full = sizes > per_doc
    cut[full] = ranked[starts[full] + per_doc - 1]
    keep = np.zeros(len(pairs), dtype=bool)
    keep[order] = ranked >= np.repeat(cut, sizes)
    return pairs[keep], shared[keep]


def open_store(spec: str, config: Config | None = None, create: bool = False) -> Store:
    """The index named by `spec`: `redis://host:port/db` (or `rediss://`) for a Redis server,
    anything else is the path of an SQLite file. `create` makes a new index when there is none.

    With `config`, a run whose hashing parameters differ from the stored ones is refused;
    without, the stored ones are used (for commands that only read or remove).
    """
    if spec.startswith(("redis://", "rediss://")):
        from .store_redis import RedisStore

        return RedisStore(spec, config, create)
    return SQLiteStore(spec, config, create)


# -- SQLite ----------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE documents (
    n INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, so a band row names one document
    id TEXT NOT NULL UNIQUE,
    added REAL NOT NULL,                  -- seconds since the epoch
    source TEXT NOT NULL,
    fingerprint BLOB NOT NULL,
    keys BLOB NOT NULL,                   -- its band keys (int64, little-endian), to remove it again
    profile BLOB NOT NULL                 -- zlib-compressed JSON, see dump_profile
);
CREATE INDEX documents_added ON documents (added);
CREATE INDEX documents_fingerprint ON documents (fingerprint);
CREATE TABLE bands (
    band INTEGER NOT NULL,
    key INTEGER NOT NULL,
    doc INTEGER NOT NULL,  -- documents.n
    PRIMARY KEY (band, key, doc)
) WITHOUT ROWID;
CREATE TABLE df (word TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
"""


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SQLiteStore(Store):
    """One SQLite file in WAL mode. Each add or remove is one `BEGIN IMMEDIATE` transaction, so
    concurrent writers queue (up to BUSY_TIMEOUT) and a killed writer leaves the index as it
    was before its batch; readers never wait for writers."""

    backend = "sqlite"

    def __init__(self, path: str, config: Config | None, create: bool) -> None:
        self.path = path
        if os.path.isdir(path):
            raise StoreError(f"{path}: is a directory, not an index file")
        if not create and not os.path.exists(path):
            raise StoreError(
                f"{path}: no such index (create one with `dedupe index add --index {path} FILE…`)"
            )
        uri = pathlib.Path(path).absolute().as_uri() + ("?mode=rwc" if create else "?mode=rw")
        self.db: sqlite3.Connection | None = None
        with self._errors():
            self.db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)
            try:
                meta = self._open(config, create)
            except BaseException:
                self.db.close()
                raise
        super().__init__(path, _meta_config(path, meta, config))

    @property
    def _db(self) -> sqlite3.Connection:
        if self.db is None:
            raise StoreError(f"{self.path}: the index is closed")
        return self.db

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """sqlite3 errors as one StoreError line that names the file and says what to do."""
        try:
            yield
        except sqlite3.Error as err:
            text = str(err)
            if "not a database" in text:
                msg = "not a news-dedupe index (not an SQLite database)"
            elif "malformed" in text or "corrupt" in text:
                msg = f"the index is corrupt ({text}); restore it from a copy or build a new one"
            elif "locked" in text or "busy" in text:
                msg = f"another process kept the index locked for {BUSY_TIMEOUT:.0f} s; try again"
            elif "unable to open" in text:
                msg = f"cannot open the index ({text})"
            elif "readonly" in text:
                msg = f"cannot write to the index ({text})"
            else:
                msg = f"index error ({type(err).__name__}: {text})"
            raise StoreError(f"{self.path}: {msg}") from err

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _open(self, config: Config | None, create: bool) -> dict[str, str]:
        if sqlite3.sqlite_version_info < (3, 15):  # row values in the look-up
            raise StoreError(
                f"{self.path}: an index needs SQLite 3.15 or newer, this is {sqlite3.sqlite_version}"
            )
        db = self._db
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        for _ in range(50):  # two processes creating one file race to set the mode
            try:
                db.execute("PRAGMA journal_mode = WAL").fetchone()
                break
            except sqlite3.OperationalError as err:
                if "locked" not in str(err):
                    raise
                time.sleep(0.1)
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("PRAGMA temp_store = MEMORY")
        db.execute("PRAGMA cache_size = -262144")  # 256 MB: band lookups touch many pages

        def tables() -> set[str]:
            return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

        if "meta" not in tables():
            if not create:
                what = "an empty database" if not tables() else "an SQLite database without a meta table"
                raise StoreError(f"{self.path}: not a news-dedupe index ({what})")
            with self._write():
                found = tables()
                if "meta" not in found:  # else another process made it meanwhile
                    if found - {"sqlite_sequence"}:
                        raise StoreError(
                            f"{self.path}: not a news-dedupe index (an SQLite database without a meta "
                            "table); give a new file name"
                        )
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.executemany(
                        "INSERT INTO meta (key, value) VALUES (?, ?)",
                        _new_meta(config or Config(), time.time()).items(),
                    )
        return {str(k): str(v) for k, v in db.execute("SELECT key, value FROM meta")}

    def _meta(self, key: str) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: damaged index (no {key} in its meta data)")
        return str(row[0])

    def count(self) -> int:
        with self._errors():
            return int(self._meta("documents"))

    def df(self, words: Collection[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        with self._errors():
            for chunk in _chunks(sorted(words)):
                marks = ",".join("?" * len(chunk))
                out.update(self._db.execute(f"SELECT word, df FROM df WHERE word IN ({marks})", chunk))
        return out

    def lookup(
        self,
        buckets: Sequence[Sequence[tuple[int, int]]],
        fingerprints: Sequence[bytes],
        limits: Limits | None = None,
        jobs: int = 1,
    ) -> list[set[str]]:
        n_queries = max(len(buckets), len(fingerprints))
        found = Hits(self.spec, n_queries, limits)
        # a few thousand queries at a time: each meets thousands of bucket entries
        starts = range(0, n_queries, LOOKUP_CHUNK)
        parts = ((buckets[k : k + LOOKUP_CHUNK], fingerprints[k : k + LOOKUP_CHUNK]) for k in starts)
        with self._errors():
            if jobs > 1 and len(starts) > 1 and "fork" in mp.get_all_start_methods():
                # each worker with its own connection: the look-up is bound by b-tree seeks
                with mp.get_context("fork").Pool(
                    jobs, initializer=_open_lookup, initargs=(self.path, self.config)
                ) as pool:
                    results: Iterable[list[tuple[int, list[str]]]] = pool.imap(_lookup_chunk, parts)
                    self._collect(found, starts, results)
            else:
                self._collect(found, starts, (list(self._lookup_part(*part)) for part in parts))
        return found.hits

    @staticmethod
    def _collect(found: Hits, starts: Iterable[int], results: Iterable[list[tuple[int, list[str]]]]) -> None:
        for start, result in zip(starts, results, strict=True):
            for n, doc_ids in result:
                for doc_id in doc_ids:
                    found.add(start + n, doc_id)

    def _lookup_part(
        self, buckets: Sequence[Sequence[tuple[int, int]]], fingerprints: Sequence[bytes]
    ) -> Iterator[tuple[int, list[str]]]:
        """`best` indexed candidates of each query, as (query number, ids), in query order."""
        db = self._db
        db.execute("CREATE TEMP TABLE IF NOT EXISTS q_band (n INTEGER, band INTEGER, key INTEGER)")
        db.execute("CREATE TEMP TABLE IF NOT EXISTS q_print (n INTEGER, fingerprint BLOB)")
        db.execute("DELETE FROM q_band")
        db.execute("DELETE FROM q_print")
        flat = np.fromiter(chain.from_iterable(chain.from_iterable(buckets)), dtype=np.int64).reshape(-1, 2)
        n_of = np.repeat(np.arange(len(buckets), dtype=np.int64), [len(bs) for bs in buckets])
        order = np.lexsort((n_of, flat[:, 1], flat[:, 0]))  # by band and key: the join reads in order
        _insert_rows(db, "q_band (band, key, n)", np.column_stack((flat[order], n_of[order])))
        db.executemany("INSERT INTO q_print (n, fingerprint) VALUES (?, ?)", enumerate(fingerprints))
        try:
            bands = self.config.lsh_bands
            # over-full lede buckets propose nothing (LEDE_BUCKET_CAP); counting stops past the cap
            db.execute(
                "DELETE FROM q_band WHERE band >= ? AND (band, key) IN (SELECT band, key FROM"
                " (SELECT DISTINCT band, key FROM q_band WHERE band >= ?) q WHERE (SELECT COUNT(*)"
                " FROM (SELECT 1 FROM bands b WHERE b.band = q.band AND b.key = q.key LIMIT ?)) > ?)",
                (2 * bands, 2 * bands, LEDE_BUCKET_CAP + 1, LEDE_BUCKET_CAP),
            )
            width = max(1, (3 * bands - 1).bit_length())
            # one integer a hit, query | document | band from high bits to low: sorting it groups
            # a query's hits by document
            hits = distinct(
                _fetch_codes(
                    db.execute(
                        f"SELECT (q.n << {32 + width}) | (b.doc << {width}) | q.band FROM q_band q"
                        " JOIN bands b ON b.band = q.band AND b.key = q.key"
                    )
                )
            )
            met = hits >> width  # query << 32 | document, sorted
            band = hits & ((1 << width) - 1)
            del hits
            starts = run_starts(met)
            pairs = met[starts]
            # a band number met by the whole, the lead and the lede sketch counts once
            counted = distinct(met << width | band % bands) >> width
            shared = np.diff(np.append(run_starts(counted), len(counted)))
            # pairs met by ledes alone need MIN_LEDE_BANDS lede bands, as in `find`
            lowest = np.minimum.reduceat(band, starts) if len(band) else band
            lede_only = lowest >= 2 * bands
            enough = ~lede_only | (shared >= MIN_LEDE_BANDS)
            pairs, shared = pairs[enough], shared[enough]
            del met, band, counted
            same = _fetch_codes(
                db.execute(
                    "SELECT (q.n << 32) | d.n FROM q_print q"
                    " JOIN documents d ON d.fingerprint = q.fingerprint"
                )
            )
            # identical prose ranks above any band count
            pairs = np.concatenate((pairs, same))
            shared = np.concatenate((shared, np.full(len(same), 2 * bands + 1)))
            pairs, shared = _contenders(pairs, shared, self.per_doc())
            ids = dict(self._select("n, id", [int(d) for d in distinct(pairs & 0xFFFFFFFF)], "n"))
            scores: dict[int, dict[str, int]] = {}
            for code, count in zip(pairs.tolist(), shared.tolist(), strict=True):
                doc_id = ids.get(code & 0xFFFFFFFF)
                if doc_id is not None:  # else removed meanwhile
                    scores.setdefault(code >> 32, {})[doc_id] = count
            for n in sorted(scores):
                yield n, best(scores[n], self.per_doc())
        finally:
            db.execute("DELETE FROM q_band")
            db.execute("DELETE FROM q_print")

    def _select(self, columns: str, values: Collection[Any], key: str = "id") -> Iterator[tuple[Any, ...]]:
        for chunk in _chunks(sorted(set(values))):
            marks = ",".join("?" * len(chunk))
            yield from self._db.execute(f"SELECT {columns} FROM documents WHERE {key} IN ({marks})", chunk)

    def documents(self, ids: Collection[str]) -> dict[str, IndexedDoc]:
        with self._errors():
            return {
                r[0]: IndexedDoc(r[0], r[1], r[2], bytes(r[3]))
                for r in self._select("id, added, source, fingerprint", ids)
            }

    def profiles(self, ids: Collection[str]) -> dict[str, Profile]:
        with self._errors():
            return self._decode_profiles(self._select("id, profile", ids), self.path)

    def add(
        self,
        docs: Sequence[NewDoc],
        added: float,
        guard: Guard | None = None,
        progress: Progress | None = None,
    ) -> AddResult:
        # serialise before taking the write lock, so that other writers wait as little as possible
        rows = [(d, dump_profile(d.profile), pack_keys(d.keys)) for d in docs]
        with self._errors(), self._write() as db:
            if progress:
                progress("write", 0, len(docs))
            present = {r[0] for r in self._select("id", [d.profile.id for d in docs])}
            excluded = set(guard()) if guard else set()
            done: list[str] = []
            existing: list[str] = []
            left_out: list[str] = []
            bands: list[tuple[int, int, int]] = []
            words: Counter[str] = Counter()
            for d, blob, keys in rows:
                p = d.profile
                if p.id in present:
                    existing.append(p.id)
                    continue
                if p.id in excluded:
                    left_out.append(p.id)
                    continue
                cur = db.execute(
                    "INSERT INTO documents (id, added, source, fingerprint, keys, profile) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (p.id, added, d.source, p.fingerprint, keys, blob),
                )
                n = int(cur.lastrowid or 0)
                present.add(p.id)
                done.append(p.id)
                bands.extend((b, k, n) for b, k in stored_bands(d.keys))
                words.update(set(p.content))
            bands.sort()  # insert in key order: fewer pages touched
            db.executemany("INSERT OR IGNORE INTO bands (band, key, doc) VALUES (?, ?, ?)", bands)
            db.executemany(
                "INSERT INTO df (word, df) VALUES (?, ?) "
                "ON CONFLICT (word) DO UPDATE SET df = df + excluded.df",
                sorted(words.items()),
            )
            self._bump(db, len(done), added)
        return AddResult(done, existing, left_out)

    def _bump(self, db: sqlite3.Connection, change: int, now: float) -> None:
        db.execute(
            "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + ? AS TEXT) WHERE key = 'documents'",
            (change,),
        )
        db.execute("UPDATE meta SET value = ? WHERE key = 'updated'", (repr(now),))

    def remove(self, ids: Collection[str]) -> list[str]:
        with self._errors(), self._write() as db:
            rows = list(self._select("n, id, keys, profile", ids))
            bands: list[tuple[int, int, int]] = []
            words: Counter[str] = Counter()
            for n, doc_id, keys, blob in rows:
                bands.extend((b, k, n) for b, k in stored_bands(unpack_keys(bytes(keys))))
                try:
                    words.update(set(load_profile(bytes(blob), self.config).content))
                except StoreError as err:
                    raise StoreError(f"{self.path}: document {doc_id}: {err}") from err
            bands.sort()
            db.executemany("DELETE FROM bands WHERE band = ? AND key = ? AND doc = ?", bands)
            db.executemany(
                "UPDATE df SET df = df - ? WHERE word = ?", [(c, w) for w, c in sorted(words.items())]
            )
            db.executemany("DELETE FROM df WHERE word = ? AND df <= 0", [(w,) for w in sorted(words)])
            db.executemany("DELETE FROM documents WHERE n = ?", [(r[0],) for r in rows])
            self._bump(db, -len(rows), time.time())
        return sorted(r[1] for r in rows)

    def older_than(self, cutoff: float) -> list[str]:
        with self._errors():
            return [
                r[0]
                for r in self._db.execute(
                    "SELECT id FROM documents WHERE added < ? ORDER BY added, id", (cutoff,)
                )
            ]

    def info(self) -> IndexInfo:
        with self._errors():
            db = self._db
            meta = {str(k): str(v) for k, v in db.execute("SELECT key, value FROM meta")}
            words = db.execute("SELECT COUNT(*) FROM df").fetchone()[0]
            oldest, newest = db.execute("SELECT MIN(added), MAX(added) FROM documents").fetchone()
        size = sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))
        return _info(self.spec, self.backend, meta, int(words), oldest, newest, size)

    def verify(self) -> list[str]:
        problems: list[str] = []
        with self._errors():
            db = self._db
            result = [r[0] for r in db.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                problems.extend(f"integrity check: {r}" for r in result[:10])
            rows = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            counted = self.count()
            if rows != counted:
                problems.append(f"{rows} documents stored, meta data counts {counted}")
        return problems

    def close(self) -> None:
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()
            self.db = None


# -- checking and adding batches -------------------------------------------------------------


@dataclass
class Batch:
    """Documents read, profiled and signed against the index as it was when they were read."""

    documents: int  # read
    new: list[NewDoc]  # long enough to judge and not indexed yet, sorted by id
    rare: list[Words]  # rare words of each of `new`, with the stored frequencies
    already: list[tuple[Profile, IndexedDoc]]  # ids that are indexed already: not checked again
    too_short: list[str]
    index_size: int  # documents in the index when the batch was signed
    briefs: dict[str, str] = field(default_factory=dict)  # texts of the short ones, by id


@dataclass
class CheckResult:
    """What a check found: clusters that hold at least one new document, the indexed documents
    in them, and every indexed document the batch was compared with."""

    report: Report
    indexed: dict[str, IndexedDoc]
    compared: frozenset[str]
    clean: list[NewDoc]  # new documents in no cluster


def sign(
    store: Store,
    profiles: Sequence[Profile],
    config: Config,
    sources: dict[str, str] | None = None,
    too_short: list[str] | None = None,
    read: int | None = None,
    briefs: dict[str, str] | None = None,
) -> Batch:
    """Set aside profiles already indexed, and compute rare words (with the index's document
    frequencies) and band keys of the rest."""
    sources = sources or {}
    known = store.documents([p.id for p in profiles])
    fresh = [p for p in profiles if p.id not in known]
    n_docs = store.count()
    df = store.df({w for p in fresh for w in p.content})
    rare = rare_words(fresh, config, df=df, n_docs=n_docs)
    signer = Signer(config.num_perm, config.seed)
    chrome = chrome_segments(fresh, config)  # the batch's own, as `find` judges a run
    new = [
        NewDoc(p, sources.get(p.id, ""), doc_keys(signer, p, words, config, chrome))
        for p, words in zip(fresh, rare, strict=True)
    ]
    already = [(p, known[p.id]) for p in profiles if p.id in known]
    n_read = len(profiles) + len(too_short or []) if read is None else read
    return Batch(n_read, new, rare, already, list(too_short or []), n_docs, dict(briefs or {}))


def prepare(
    store: Store,
    documents: Iterable[Document],
    config: Config,
    progress: Progress | None = None,
    jobs: int = 1,
    compact: bool = False,
) -> Batch:
    """Profile `documents` (on `jobs` processes) and `sign` them against the index. `compact`
    profiles (a check that adds nothing) cannot be added afterwards: adding stores segments."""
    sources: dict[str, str] = {}

    def tap() -> Iterator[Document]:
        for doc in documents:
            sources[doc.id] = doc.source
            yield doc

    profiles, too_short, read, briefs, _ = profile_parallel(tap(), config, jobs, progress, compact)
    return sign(store, profiles, config, sources, too_short, read, briefs)


def add_batch(
    store: Store, batch: Batch, added: float | None = None, progress: Progress | None = None
) -> AddResult:
    """Store every new document of the batch (ids found indexed meanwhile are skipped)."""
    result = store.add(batch.new, time.time() if added is None else added, progress=progress)
    return AddResult(result.added, [p.id for p, _ in batch.already] + result.existing, result.excluded)


def check_batch(
    store: Store,
    batch: Batch,
    config: Config,
    progress: Progress | None = None,
    jobs: int = 1,
    limits: Limits | None = None,
) -> CheckResult:
    """Clusters of new documents with each other and with indexed ones.

    Candidates: LSH among the new documents (`pipeline.candidate_pairs`), and for each new
    document the indexed ones that share a band bucket (`probes`) or its fingerprint. Indexed
    documents are never paired with each other: they were accepted already.
    """
    new = [d.profile for d in batch.new]
    new_ids = {p.id for p in new}
    hits = store.candidates(batch.new, limits, jobs)
    compared = set().union(*hits) - new_ids if hits else set()
    if progress:
        progress("lookup", len(compared), len(new))
    loaded = load_profiles(store, compared, jobs)  # a document removed meanwhile is simply not there
    if progress:
        progress("load", len(loaded), len(compared))
    union = new + [loaded[i] for i in sorted(loaded) if i not in new_ids]
    at = {p.id: n for n, p in enumerate(union)}
    pairs = set(candidate_pairs(new, batch.rare, config, jobs))
    for n, ids in enumerate(hits):
        pairs.update((n, at[i]) for i in ids if i in at and i not in new_ids)
    if progress:
        progress("pairs", len(pairs), 0)
    clusters, verified = verify_and_cluster(union, sorted(pairs), config, progress, jobs=jobs)
    # briefs are matched against the head lines of the batch's own documents: the index keeps none
    clusters = attach_briefs(clusters, match_briefs(batch.briefs, new, config), batch.briefs)
    new_ids |= batch.briefs.keys()
    clusters = [c for c in clusters if any(m.id in new_ids for m in c.members)]
    in_clusters = {m.id for c in clusters for m in c.members}
    report = Report(
        config=config,
        documents=batch.documents,
        clusters=clusters,
        too_short=[d for d in batch.too_short if d not in in_clusters],
        candidates=len(pairs),
        verified=verified,
    )
    indexed = store.documents(in_clusters - new_ids)
    clean = [d for d in batch.new if d.profile.id not in in_clusters]
    return CheckResult(report, indexed, frozenset(compared), clean)


# Below this many profiles, loading them in one process is faster than starting others.
PARALLEL_LOAD_MIN = 5000


def load_profiles(store: Store, ids: Collection[str], jobs: int = 1) -> dict[str, Profile]:
    """`store.profiles(ids)`; from an SQLite index on `jobs` forked workers, each with its own
    connection (decoding a profile costs far more than reading it)."""
    path = store.path if isinstance(store, SQLiteStore) else None
    if path is None or jobs < 2 or len(ids) < PARALLEL_LOAD_MIN or "fork" not in mp.get_all_start_methods():
        return store.profiles(ids)
    ordered = sorted(ids)
    size = -(-len(ordered) // (jobs * 4))
    chunks = [(path, store.config, ordered[k : k + size]) for k in range(0, len(ordered), size)]
    out: dict[str, Profile] = {}
    with mp.get_context("fork").Pool(jobs, initializer=ignore_sigint) as pool:
        for part in pool.imap(_load_chunk, chunks):
            out.update(part)
    return out


_LOOKUP: SQLiteStore | None = None  # a look-up worker's own connection


def _open_lookup(path: str, config: Config) -> None:
    global _LOOKUP
    ignore_sigint()
    store = open_store(path, config)
    assert isinstance(store, SQLiteStore)
    _LOOKUP = store


def _lookup_chunk(
    part: tuple[Sequence[Sequence[tuple[int, int]]], Sequence[bytes]],
) -> list[tuple[int, list[str]]]:
    assert _LOOKUP is not None
    with _LOOKUP._errors():
        return list(_LOOKUP._lookup_part(*part))


def _load_chunk(args: tuple[str, Config, list[str]]) -> dict[str, Profile]:
    path, config, ids = args
    with open_store(path, config) as store:
        return store.profiles(ids)


def add_clean(
    store: Store,
    batch: Batch,
    result: CheckResult,
    config: Config,
    added: float | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    limits: Limits | None = None,
) -> tuple[CheckResult, AddResult]:
    """Add the documents the check found clean, unless another run added a duplicate of one of
    them since the check looked: then the batch is checked again under the write lock, and the
    result returned is that second check's."""
    latest = [result]
    offered = {d.profile.id for d in result.clean}

    def guard() -> set[str]:
        current = latest[0]
        hits = store.candidates(current.clean, limits, jobs)
        if set().union(set(), *hits) - current.compared:
            latest[0] = check_batch(store, batch, config, jobs=jobs, limits=limits)
        return offered - {d.profile.id for d in latest[0].clean}

    outcome = store.add(result.clean, time.time() if added is None else added, guard, progress)
    return latest[0], outcome
