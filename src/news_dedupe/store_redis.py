"""The persistent index on a Redis server, for CI runners that share one index.

Layout, every key under a prefix (`dedupe:`, or `NAME:` when the URL ends in `?prefix=NAME`, so
that one Redis database can hold several indexes):

    meta               hash: format, created, updated, documents, hashing parameters
    doc:{id}           hash: added, source, fingerprint, keys (band keys), profile
    added              sorted set: id scored by the time it was added (for prune)
    band:{k}:{key}     set of ids in LSH bucket `key` of band k
    fp:{fingerprint}   set of ids whose prose is word-for-word this
    df                 hash: content word -> number of documents that hold it

A write is one MULTI/EXEC transaction, so a runner that dies mid-batch leaves nothing of it,
and counters move by HINCRBY, so concurrent runners lose no update. Ids already indexed are
skipped, not overwritten: the writer WATCHes the `doc:{id}` keys of its batch, checks which
exist, and retries if another runner wrote one of them before its EXEC.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .config import Config
from .errors import StoreError
from .index import LEDE_BUCKET_CAP, MIN_LEDE_BANDS
from .store_base import (
    AddResult,
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
    best,
    dump_profile,
    load_profile,
    pack_keys,
    stored_bands,
    unpack_keys,
)

if TYPE_CHECKING:
    from .pipeline import Progress
    from .verify import Profile

try:
    import redis
    from redis.exceptions import RedisError, ResponseError, WatchError
except ImportError:  # pragma: no cover - the optional extra is not installed
    redis = None  # type: ignore[assignment]

DEFAULT_PREFIX = "dedupe"
_BATCH = 1000  # commands per pipeline round trip
# Drop frequencies that fell to zero, atomically, so a concurrent HINCRBY is never lost.
_DROP_ZEROS = """
for _, word in ipairs(ARGV) do
  local n = tonumber(redis.call('HGET', KEYS[1], word))
  if n ~= nil and n <= 0 then redis.call('HDEL', KEYS[1], word) end
end
return 0
"""


def split_spec(spec: str) -> tuple[str, str, str]:
    """The URL redis-py should get, the key prefix, and the spec to show (password hidden)."""
    parts = urlsplit(spec)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((v for k, v in query if k == "prefix"), DEFAULT_PREFIX).rstrip(":") + ":"
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment))
    shown = spec
    if parts.password:
        shown = spec.replace(f":{parts.password}@", ":***@", 1)
    return url, prefix, shown


class RedisStore(Store):
    backend = "redis"

    def __init__(self, spec: str, config: Config | None, create: bool) -> None:
        url, self.prefix, shown = split_spec(spec)
        self.spec = shown
        if redis is None:
            raise StoreError(
                f"{shown}: the redis package is not installed (pip install 'news-dedupe[redis]')"
            )
        with self._errors():
            try:
                self.r: Any = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=120)
            except ValueError as err:
                raise StoreError(f"{shown}: not a Redis URL ({err})") from err
            self.r.ping()
            meta = self._open(config, create)
        super().__init__(shown, _meta_config(shown, meta, config))

    # keys
    def _k(self, name: str) -> str:
        return self.prefix + name

    def _doc(self, doc_id: str) -> str:
        return f"{self.prefix}doc:{doc_id}"

    def _band(self, band: int, key: int) -> str:
        return f"{self.prefix}band:{band}:{key}"

    def _fp(self, fingerprint: bytes) -> str:
        return f"{self.prefix}fp:{fingerprint.hex()}"

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except RedisError as err:
            text = str(err)
            if isinstance(err, ResponseError) and text.startswith("WRONGTYPE"):
                msg = f"not a news-dedupe index (keys under {self.prefix!r} hold other data)"
            elif isinstance(err, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
                msg = f"cannot reach the Redis server ({text})"
            else:
                msg = f"Redis error ({type(err).__name__}: {text})"
            raise StoreError(f"{self.spec}: {msg}") from err

    def _open(self, config: Config | None, create: bool) -> dict[str, str]:
        key = self._k("meta")
        while True:
            meta = self._hgetall(key)
            if meta:
                return meta
            if not create:
                raise StoreError(
                    f"{self.spec}: no index here "
                    f"(create one with `dedupe index add --index {self.spec} FILE…`)"
                )
            with self.r.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(key)
                    if pipe.exists(key):
                        continue
                    pipe.multi()
                    pipe.hset(key, mapping=_new_meta(config or Config(), time.time()))
                    pipe.execute()
                except WatchError:  # another runner created it: read theirs
                    continue

    def _hgetall(self, key: str) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.r.hgetall(key).items()}

    def count(self) -> int:
        with self._errors():
            value = self.r.hget(self._k("meta"), "documents")
        try:
            return int(value or 0)
        except ValueError as err:
            raise StoreError(f"{self.spec}: damaged meta data (documents={value!r})") from err

    def df(self, words: Collection[str]) -> dict[str, int]:
        ordered = sorted(words)
        out: dict[str, int] = {}
        with self._errors():
            for start in range(0, len(ordered), _BATCH * 10):
                chunk = ordered[start : start + _BATCH * 10]
                for w, v in zip(chunk, self.r.hmget(self._k("df"), chunk), strict=True):
                    if v is not None:
                        out[w] = int(v)
        return out

    def lookup(
        self,
        buckets: Sequence[Sequence[tuple[int, int]]],
        fingerprints: Sequence[bytes],
        limits: Limits | None = None,
        jobs: int = 1,  # one connection: Redis answers the pipelined buckets itself
    ) -> list[set[str]]:
        n = max(len(buckets), len(fingerprints))
        found = Hits(self.spec, n, limits)
        bands = self.config.lsh_bands
        with self._errors(), self.r.pipeline(transaction=False) as pipe:
            for start in range(0, n, _BATCH):
                stop = min(n, start + _BATCH)
                asked: list[tuple[int, int]] = []  # (query, band or -1 for the fingerprint)
                full = self._full_ledes(pipe, buckets[start:stop])
                for i in range(start, stop):
                    for b, k in buckets[i] if i < len(buckets) else ():
                        if (b, k) in full:
                            continue
                        pipe.smembers(self._band(b, k))
                        asked.append((i, b))
                    if i < len(fingerprints):
                        pipe.smembers(self._fp(fingerprints[i]))
                        asked.append((i, -1))
                met: list[dict[str, set[int]]] = [{} for _ in range(start, stop)]
                for (i, band), members in zip(asked, pipe.execute(), strict=True):
                    for m in members:
                        met[i - start].setdefault(m.decode(), set()).add(band)
                for i, shared in enumerate(met, start=start):
                    # a band counted once whether the whole or the lead sketch met; identical
                    # prose ranks above any band count (as SQLiteStore.lookup)
                    scores = {
                        d: 2 * bands + 1 if -1 in b else len({x % bands for x in b})
                        for d, b in shared.items()
                        # met by ledes alone: MIN_LEDE_BANDS of them (as in `find`)
                        if -1 in b or min(b) < 2 * bands or len(b) >= MIN_LEDE_BANDS
                    }
                    for doc_id in best(scores, self.per_doc()):
                        found.add(i, doc_id)
        return found.hits

    def _full_ledes(self, pipe: Any, buckets: Sequence[Sequence[tuple[int, int]]]) -> set[tuple[int, int]]:
        """The lede buckets among `buckets` that hold more than LEDE_BUCKET_CAP documents."""
        first = 2 * self.config.lsh_bands
        ledes = sorted({(b, k) for bs in buckets for b, k in bs if b >= first})
        for b, k in ledes:
            pipe.scard(self._band(b, k))
        return {bk for bk, size in zip(ledes, pipe.execute(), strict=True) if size > LEDE_BUCKET_CAP}

    def _fields(self, ids: Collection[str], *fields: str) -> Iterator[tuple[str, list[Any]]]:
        ordered = sorted(set(ids))
        with self.r.pipeline(transaction=False) as pipe:
            for start in range(0, len(ordered), _BATCH):
                chunk = ordered[start : start + _BATCH]
                for doc_id in chunk:
                    pipe.hmget(self._doc(doc_id), list(fields))
                for doc_id, values in zip(chunk, pipe.execute(), strict=True):
                    if values[0] is not None:
                        yield doc_id, values

    def documents(self, ids: Collection[str]) -> dict[str, IndexedDoc]:
        with self._errors():
            return {
                i: IndexedDoc(i, float(v[0]), v[1].decode(), bytes(v[2]))
                for i, v in self._fields(ids, "added", "source", "fingerprint")
            }

    def profiles(self, ids: Collection[str]) -> dict[str, Profile]:
        with self._errors():
            rows = list(self._fields(ids, "profile"))
        return self._decode_profiles(((doc_id, blob) for doc_id, (blob,) in rows), self.spec)

    def add(
        self,
        docs: Sequence[NewDoc],
        added: float,
        guard: Guard | None = None,
        progress: Progress | None = None,
    ) -> AddResult:
        rows = [(d, dump_profile(d.profile), pack_keys(d.keys)) for d in docs]
        watched = sorted({self._doc(d.profile.id) for d in docs})
        with self._errors():
            while True:
                with self.r.pipeline(transaction=True) as pipe:
                    try:
                        if watched:
                            pipe.watch(*watched)
                        if progress:
                            progress("write", 0, len(docs))
                        present = set(self.documents([d.profile.id for d in docs]))
                        excluded = set(guard()) if guard else set()
                        done: list[str] = []
                        existing: list[str] = []
                        left_out: list[str] = []
                        words: Counter[str] = Counter()
                        pipe.multi()
                        for d, blob, keys in rows:
                            p = d.profile
                            if p.id in present:
                                existing.append(p.id)
                                continue
                            if p.id in excluded:
                                left_out.append(p.id)
                                continue
                            present.add(p.id)
                            done.append(p.id)
                            pipe.hset(
                                self._doc(p.id),
                                mapping={
                                    "added": repr(added),
                                    "source": d.source,
                                    "fingerprint": p.fingerprint,
                                    "keys": keys,
                                    "profile": blob,
                                },
                            )
                            pipe.zadd(self._k("added"), {p.id: added})
                            for b, k in stored_bands(d.keys):
                                pipe.sadd(self._band(b, k), p.id)
                            pipe.sadd(self._fp(p.fingerprint), p.id)
                            words.update(set(p.content))
                        for w, c in sorted(words.items()):
                            pipe.hincrby(self._k("df"), w, c)
                        pipe.hincrby(self._k("meta"), "documents", len(done))
                        pipe.hset(self._k("meta"), "updated", repr(added))
                        pipe.execute()
                        return AddResult(done, existing, left_out)
                    except WatchError:  # another runner stored one of these ids: look again
                        continue

    def remove(self, ids: Collection[str]) -> list[str]:
        watched = sorted({self._doc(i) for i in ids})
        if not watched:
            return []
        with self._errors():
            while True:
                with self.r.pipeline(transaction=True) as pipe:
                    try:
                        pipe.watch(*watched)
                        rows = list(self._fields(ids, "keys", "fingerprint", "profile"))
                        words: Counter[str] = Counter()
                        pipe.multi()
                        for doc_id, (keys, fingerprint, blob) in rows:
                            for b, k in stored_bands(unpack_keys(keys)):
                                pipe.srem(self._band(b, k), doc_id)
                            pipe.srem(self._fp(fingerprint), doc_id)
                            pipe.delete(self._doc(doc_id))
                            pipe.zrem(self._k("added"), doc_id)
                            try:
                                words.update(set(load_profile(blob, self.config).content))
                            except StoreError as err:
                                raise StoreError(f"{self.spec}: document {doc_id}: {err}") from err
                        ordered = sorted(words)
                        for w in ordered:
                            pipe.hincrby(self._k("df"), w, -words[w])
                        pipe.hincrby(self._k("meta"), "documents", -len(rows))
                        pipe.hset(self._k("meta"), "updated", repr(time.time()))
                        results = pipe.execute()
                    except WatchError:
                        continue
                counts = results[len(results) - 2 - len(ordered) : len(results) - 2]
                zeros = [w for w, c in zip(ordered, counts, strict=True) if int(c) <= 0]
                if zeros:
                    self.r.eval(_DROP_ZEROS, 1, self._k("df"), *zeros)
                return sorted(doc_id for doc_id, _ in rows)

    def older_than(self, cutoff: float) -> list[str]:
        with self._errors():
            return [m.decode() for m in self.r.zrangebyscore(self._k("added"), "-inf", f"({cutoff!r}")]

    def info(self) -> IndexInfo:
        with self._errors():
            meta = self._hgetall(self._k("meta"))
            words = int(self.r.hlen(self._k("df")))
            first = self.r.zrange(self._k("added"), 0, 0, withscores=True)
            last = self.r.zrange(self._k("added"), -1, -1, withscores=True)
        oldest = float(first[0][1]) if first else None
        newest = float(last[0][1]) if last else None
        return _info(self.spec, self.backend, meta, words, oldest, newest, None)

    def verify(self) -> list[str]:
        with self._errors():
            listed = int(self.r.zcard(self._k("added")))
        counted = self.count()
        return [] if listed == counted else [f"{listed} documents listed, meta data counts {counted}"]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.r.close()
