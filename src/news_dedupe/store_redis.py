"""The persistent index on a Redis server, for CI runners that share one index.

Layout (format 2), every key under a prefix (`dedupe:`, or `NAME:` when the URL ends in
`?prefix=NAME`, so that one Redis database can hold several indexes):

    meta               hash: format, created, updated, documents, hashing parameters, and
                       `numbered`, the last document number handed out
    doc:{id}           hash: n (its number), added, source, fingerprint, keys (band keys), profile
    ids                hash: document number -> id
    added              sorted set: id scored by the time it was added (for prune)
    t:{depth}:{bits}   hash, a leaf of the bucket trie: for each LSH bucket whose band key ends
                       in the `depth` low bits `bits`, field band (2 bytes) + key (8 bytes, both
                       little-endian) -> the numbers of its documents (4 bytes each), or an empty
                       value when they are kept in `o:{band}:{key}`; or, once the leaf has been
                       split, the single field `s`
    o:{band}:{key}     string: the numbers of the documents of a bucket too big to keep in a leaf
    depths             hash: depth -> number of leaves at that depth (empty ones counted too)
    fp:{fingerprint}   set of the numbers of documents whose prose is word-for-word this
    df                 hash: content word -> number of documents that hold it

Why the trie: a Redis key costs some 60-90 bytes before its value, and most LSH buckets hold a
single document, so a key per bucket (format 1) cost about 70 KB a document. A leaf holds at
most LEAF_FIELDS buckets, and Redis keeps a hash that small, with values of at most 64 bytes,
as one compact listpack (defaults of hash-max-listpack-entries and -value): a bucket of one
document costs about 20 bytes. A leaf that grows past LEAF_FIELDS is split in two by the next
bit of the key, in the write that grows it, so leaves stay small however large the index gets,
and a look-up goes down from the shallowest depth that has leaves (`depths`), following `s`
markers, in a round trip or a few for a whole batch.

A write is one MULTI/EXEC transaction, so a runner that dies mid-batch leaves nothing of it
(but the document numbers it took, which are never handed out again), and counters move by
HINCRBY, so concurrent runners lose no update. Ids already indexed are skipped, not
overwritten: the writer WATCHes the `doc:{id}` keys of its batch and every leaf (and big
bucket) it rewrites, reads them, and retries if another runner wrote one of them before its
EXEC. Only a bucket's own key grows by APPEND, which commutes with other writers'.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

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

# Version of this layout; format 1 (a set per bucket, ids as strings) is refused, not misread.
FORMAT_VERSION = 2
DEFAULT_PREFIX = "dedupe"
_BATCH = 1000  # commands per pipeline round trip
LEAF_FIELDS = 120  # buckets a leaf holds before it is split (Redis keeps <= 128 as a listpack)
INLINE_DOCS = 16  # documents a bucket keeps in its leaf (64 bytes); more go to a key of their own
_SPLIT = b"s"  # the one field of a leaf that has been split
_MAX_DEPTH = 63  # band keys have 63 bits
_MAX_NUMBER = 2**32 - 1
# Drop frequencies that fell to zero, atomically, so a concurrent HINCRBY is never lost.
_DROP_ZEROS = """
for _, word in ipairs(ARGV) do
  local n = tonumber(redis.call('HGET', KEYS[1], word))
  if n ~= nil and n <= 0 then redis.call('HDEL', KEYS[1], word) end
end
return 0
"""

Bucket = tuple[int, int]  # (band, key)


class _Moved(Exception):
    """A leaf read before WATCH was split before it: read again."""


class _Damaged(ValueError):
    """Stored bucket data that no writer of this format leaves."""


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


_FIELD = np.dtype([("band", "<u2"), ("key", "<u8")])  # a bucket's field in its leaf


def field_of(bucket: Bucket) -> bytes:
    """A bucket's field in its leaf: band (2 bytes) and key (8 bytes), little-endian."""
    band, key = bucket
    return band.to_bytes(2, "little") + key.to_bytes(8, "little")


def fields_of(buckets: Sequence[Bucket]) -> tuple[np.ndarray, list[bytes]]:
    """The keys of `buckets` as an array, and their fields."""
    packed = np.array(buckets, dtype=np.uint64).reshape(-1, 2)
    rows = np.empty(len(packed), dtype=_FIELD)
    rows["band"], rows["key"] = packed[:, 0], packed[:, 1]
    raw = rows.tobytes()
    return rows["key"], [raw[k : k + 10] for k in range(0, len(raw), 10)]


def pack_numbers(numbers: Sequence[int]) -> bytes:
    return b"".join(m.to_bytes(4, "little") for m in numbers)


def unpack_numbers(blob: bytes) -> list[int]:
    if len(blob) == 4:
        return [int.from_bytes(blob, "little")]
    if len(blob) % 4:
        raise _Damaged(f"{len(blob)} bytes of document numbers")
    return np.frombuffer(blob, dtype="<u4").tolist()


def split_leaf(
    depth: int, bits: int, fields: dict[bytes, bytes]
) -> tuple[list[tuple[int, int]], list[tuple[int, int, dict[bytes, bytes]]]]:
    """A leaf's fields, too many for one leaf, spread by the following bits of their keys: the
    (depth, bits) of the new inner nodes below it and the new leaves with their fields (some
    may be empty: they count as leaves, as an empty leaf's vanished key does)."""
    items = sorted(fields.items())
    keys = np.frombuffer(b"".join(f for f, _ in items), dtype=_FIELD)["key"]
    inner: list[tuple[int, int]] = []
    leaves: list[tuple[int, int, dict[bytes, bytes]]] = []
    todo = [(depth, bits, np.arange(len(items)))]
    while todo:
        d, b, part = todo.pop()
        if len(part) <= LEAF_FIELDS or d >= _MAX_DEPTH:
            leaves.append((d, b, dict(items[i] for i in part.tolist())))
            continue
        if (d, b) != (depth, bits):
            inner.append((d, b))
        high = ((keys[part] >> np.uint64(d)) & np.uint64(1)).astype(bool)
        todo += [(d + 1, b, part[~high]), (d + 1, b | 1 << d, part[high])]
    return sorted(inner), sorted(leaves, key=lambda leaf: leaf[:2])


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
        if meta.get("format") == "1":
            raise StoreError(
                f"{shown}: a Redis index in the layout of format 1 (a key per bucket), which this "
                f"version does not read; rebuild it: delete its keys ({self.prefix}*) or pick a new "
                "?prefix=, then `dedupe index add` the documents again"
            )
        super().__init__(shown, _meta_config(shown, meta, config, FORMAT_VERSION))

    # keys
    def _k(self, name: str) -> str:
        return self.prefix + name

    def _doc(self, doc_id: str) -> str:
        return f"{self.prefix}doc:{doc_id}"

    def _own(self, bucket: Bucket) -> str:
        return f"{self.prefix}o:{bucket[0]}:{bucket[1]}"

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
        except _Damaged as err:
            raise StoreError(f"{self.spec}: damaged index ({err})") from err

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
                    meta = _new_meta(config or Config(), time.time(), FORMAT_VERSION)
                    pipe.hset(key, mapping={**meta, "numbered": "0"})
                    pipe.hset(self._k("depths"), "0", 1)  # the root: one empty leaf
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

    # the bucket trie
    def _shallowest(self) -> int:
        """The smallest depth that has leaves: every look-up starts there."""
        counts = self.r.hgetall(self._k("depths"))
        return min((int(d) for d, n in counts.items() if int(n) > 0), default=0)

    def _run(self, commands: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Read-only commands, pipelined _BATCH at a time; their answers in order."""
        out: list[Any] = []
        with self.r.pipeline(transaction=False) as pipe:
            for start in range(0, len(commands), _BATCH):
                for name, args in commands[start : start + _BATCH]:
                    getattr(pipe, name)(*args)
                out.extend(pipe.execute())
        return out

    def _find(
        self, buckets: Collection[Bucket], read: bool = True, sizes: bool = False
    ) -> tuple[dict[Bucket, str], dict[Bucket, bytes | None], dict[str, int]]:
        """The leaf that holds each of `buckets` (or would); with `read`, the bucket's value
        there (None: not stored; b"": in its own key) and, with `sizes`, each leaf's number of
        fields."""
        order = sorted(buckets)
        keys, fields = fields_of(order)
        depth = np.full(len(order), self._shallowest(), dtype=np.uint64)
        leaf_of: dict[Bucket, str] = {}
        value: dict[Bucket, bytes | None] = {}
        size: dict[str, int] = {}
        pending = np.arange(len(order))
        while len(pending):
            if int(depth[pending].max()) > _MAX_DEPTH:
                raise _Damaged("a band key with no leaf")
            d = depth[pending]
            bits = keys[pending] & ((np.uint64(1) << d) - np.uint64(1))
            by_leaf = np.lexsort((bits, d))
            pending, d, bits = pending[by_leaf], d[by_leaf], bits[by_leaf]
            new = np.ones(len(pending), dtype=bool)
            new[1:] = (d[1:] != d[:-1]) | (bits[1:] != bits[:-1])
            starts = np.flatnonzero(new).tolist()
            groups = [pending[a:b] for a, b in zip(starts, [*starts[1:], len(pending)], strict=True)]
            names = [f"{self.prefix}t:{int(d[a])}:{int(bits[a])}" for a in starts]
            commands: list[tuple[str, tuple[Any, ...]]] = []
            for name, group in zip(names, groups, strict=True):
                if read:
                    commands.append(("hmget", (name, [_SPLIT, *(fields[i] for i in group.tolist())])))
                else:
                    commands.append(("hexists", (name, _SPLIT)))
                if sizes:
                    commands.append(("hlen", (name,)))
            answers = iter(self._run(commands))
            deeper: list[np.ndarray] = []
            for name, group in zip(names, groups, strict=True):
                got = next(answers)
                if sizes:
                    size[name] = int(next(answers))
                if (got[0] is not None) if read else got:  # split: one level down
                    deeper.append(group)
                    size.pop(name, None)
                    continue
                members = [order[i] for i in group.tolist()]
                leaf_of.update(dict.fromkeys(members, name))
                if read:
                    value.update(
                        (b, None if v is None else bytes(v)) for b, v in zip(members, got[1:], strict=True)
                    )
            pending = np.concatenate(deeper) if deeper else pending[:0]
            depth[pending] += np.uint64(1)
        return leaf_of, value, size

    def _watch_leaves(
        self, pipe: Any, buckets: Collection[Bucket], sizes: bool = False
    ) -> tuple[dict[Bucket, str], dict[Bucket, bytes | None], dict[str, int]]:
        """`_find` under WATCH of the leaves found: a leaf split between the two reads raises
        _Moved (the caller starts again)."""
        before, _, _ = self._find(buckets, read=False)
        leaves = sorted(set(before.values()))
        for start in range(0, len(leaves), _BATCH * 10):
            pipe.watch(*leaves[start : start + _BATCH * 10])
        found = self._find(buckets, sizes=sizes)
        if found[0] != before:
            raise _Moved
        return found

    # reading
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
        with self._errors():
            for start in range(0, n, _BATCH):
                stop = min(n, start + _BATCH)
                # a negative key (NO_KEY) is never stored
                wanted = {
                    bk for i in range(start, min(stop, len(buckets))) for bk in buckets[i] if bk[1] >= 0
                }
                members = self._members(wanted)
                prints = [fingerprints[i] for i in range(start, min(stop, len(fingerprints)))]
                same = self._run([("smembers", (self._fp(f),)) for f in prints])
                met: list[dict[int, set[int]]] = [{} for _ in range(start, stop)]
                for i in range(start, stop):
                    for b, k in buckets[i] if i < len(buckets) else ():
                        for m in members.get((b, k), ()):
                            met[i - start].setdefault(m, set()).add(b)
                for i, numbers in enumerate(same):
                    for m in numbers:
                        met[i].setdefault(int(m), set()).add(-1)
                ids = self._ids({m for shared in met for m in shared})
                for i, shared in enumerate(met, start=start):
                    # a band counted once whether the whole or the lead sketch met; identical
                    # prose ranks above any band count (as SQLiteStore.lookup)
                    scores = {
                        ids[m]: 2 * bands + 1 if -1 in b else len({x % bands for x in b})
                        for m, b in shared.items()
                        # met by ledes alone: MIN_LEDE_BANDS of them (as in `find`)
                        if m in ids and (-1 in b or min(b) < 2 * bands or len(b) >= MIN_LEDE_BANDS)
                    }
                    for doc_id in best(scores, self.per_doc()):
                        found.add(i, doc_id)
        return found.hits

    def _members(self, wanted: Collection[Bucket]) -> dict[Bucket, list[int]]:
        """The document numbers in each of `wanted`; lede buckets (bands 3B..) with more than
        LEDE_BUCKET_CAP documents propose nothing and are left out, as in `find`."""
        first_lede = 2 * self.config.lsh_bands
        cap = LEDE_BUCKET_CAP
        _, value, _ = self._find(wanted)
        out: dict[Bucket, list[int]] = {}
        own: list[Bucket] = []
        for bucket, v in value.items():
            if v:
                out[bucket] = unpack_numbers(v)
            elif v is not None:
                own.append(bucket)
        commands: list[tuple[str, tuple[Any, ...]]] = [
            # a big lede bucket is read only as far as tells it is over the cap
            ("getrange", (self._own(b), 0, 4 * cap + 3)) if b[0] >= first_lede else ("get", (self._own(b),))
            for b in own
        ]
        for bucket, blob in zip(own, self._run(commands), strict=True):
            if blob:
                out[bucket] = unpack_numbers(bytes(blob))
        return {
            b: numbers for b, numbers in out.items() if numbers and (b[0] < first_lede or len(numbers) <= cap)
        }

    def _ids(self, numbers: Collection[int]) -> dict[int, str]:
        """The ids of those `numbers` that are indexed (one removed meanwhile is not)."""
        ordered = sorted(numbers)
        out: dict[int, str] = {}
        for start in range(0, len(ordered), _BATCH * 10):
            chunk = ordered[start : start + _BATCH * 10]
            for m, doc_id in zip(chunk, self.r.hmget(self._k("ids"), chunk), strict=True):
                if doc_id is not None:
                    out[m] = doc_id.decode()
        return out

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

    # writing
    def add(
        self,
        docs: Sequence[NewDoc],
        added: float,
        guard: Guard | None = None,
        progress: Progress | None = None,
    ) -> AddResult:
        rows = [(d, dump_profile(d.profile), pack_keys(d.keys)) for d in docs]
        watched = sorted({self._doc(d.profile.id) for d in docs})
        numbers: list[int] = []  # taken once, kept through retries
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
                        todo: list[tuple[int, NewDoc, bytes, bytes]] = []
                        for d, blob, keys in rows:
                            p = d.profile
                            if p.id in present:
                                existing.append(p.id)
                            elif p.id in excluded:
                                left_out.append(p.id)
                            else:
                                present.add(p.id)
                                done.append(p.id)
                                todo.append((len(todo), d, blob, keys))
                        if len(numbers) < len(todo):
                            numbers = self._take(len(todo))
                        entries: dict[Bucket, list[int]] = {}
                        for k, d, _, _ in todo:
                            for bucket in stored_bands(d.keys):
                                entries.setdefault(bucket, []).append(numbers[k])
                        leaf_of, value, size = self._watch_leaves(pipe, entries, sizes=True)
                        splits = self._splits(entries, leaf_of, value, size)
                        pipe.multi()
                        words: Counter[str] = Counter()
                        for k, d, blob, keys in todo:
                            p = d.profile
                            pipe.hset(
                                self._doc(p.id),
                                mapping={
                                    "n": numbers[k],
                                    "added": repr(added),
                                    "source": d.source,
                                    "fingerprint": p.fingerprint,
                                    "keys": keys,
                                    "profile": blob,
                                },
                            )
                            pipe.hset(self._k("ids"), numbers[k], p.id)
                            pipe.zadd(self._k("added"), {p.id: added})
                            pipe.sadd(self._fp(p.fingerprint), numbers[k])
                            words.update(set(p.content))
                        self._write_buckets(pipe, entries, leaf_of, value, splits)
                        for w, c in sorted(words.items()):
                            pipe.hincrby(self._k("df"), w, c)
                        pipe.hincrby(self._k("meta"), "documents", len(done))
                        pipe.hset(self._k("meta"), "updated", repr(added))
                        pipe.execute()
                        return AddResult(done, existing, left_out)
                    except (WatchError, _Moved):  # another runner wrote there first: look again
                        continue

    def _take(self, count: int) -> list[int]:
        """`count` document numbers no one else gets (outside any transaction: a write that
        fails leaves them unused)."""
        last = int(self.r.hincrby(self._k("meta"), "numbered", count))
        if last > _MAX_NUMBER:
            raise StoreError(f"{self.spec}: the index has handed out all {_MAX_NUMBER:,} document numbers")
        return list(range(last - count + 1, last + 1))

    def _splits(
        self,
        entries: dict[Bucket, list[int]],
        leaf_of: dict[Bucket, str],
        value: dict[Bucket, bytes | None],
        size: dict[str, int],
    ) -> dict[str, dict[bytes, bytes]]:
        """The leaves that new buckets would take past LEAF_FIELDS, with all their fields
        (read under WATCH)."""
        grows = Counter(leaf_of[b] for b in entries if value[b] is None)
        full = sorted(name for name, n in grows.items() if size[name] + n > LEAF_FIELDS)
        got = self._run([("hgetall", (name,)) for name in full])
        if any(_SPLIT in fields for fields in got):  # split by another writer since: EXEC would fail
            raise _Moved
        return {
            name: {bytes(f): bytes(v) for f, v in fields.items()}
            for name, fields in zip(full, got, strict=True)
        }

    def _write_buckets(
        self,
        pipe: Any,
        entries: dict[Bucket, list[int]],
        leaf_of: dict[Bucket, str],
        value: dict[Bucket, bytes | None],
        splits: dict[str, dict[bytes, bytes]],
    ) -> None:
        """Queue the writes that add the documents `entries` to their buckets."""
        changed: dict[str, dict[bytes, bytes]] = {}
        for bucket in sorted(entries):
            new = pack_numbers(entries[bucket])
            old = value[bucket]
            leaf = changed.setdefault(leaf_of[bucket], {})
            if old == b"":
                pipe.append(self._own(bucket), new)
                continue
            joined = (old or b"") + new
            if len(joined) > 4 * INLINE_DOCS:
                pipe.set(self._own(bucket), joined)
                joined = b""
            leaf[field_of(bucket)] = joined
        for name in sorted(changed):
            fields = changed[name]
            if name not in splits:
                if fields:
                    pipe.hset(name, mapping=fields)
                continue
            depth, bits = (int(x) for x in name[len(self.prefix) :].split(":")[1:])
            inner, leaves = split_leaf(depth, bits, {**splits[name], **fields})
            pipe.delete(name)
            pipe.hset(name, _SPLIT, 1)
            pipe.hincrby(self._k("depths"), str(depth), -1)
            for d, b in inner:
                pipe.hset(f"{self.prefix}t:{d}:{b}", _SPLIT, 1)
            for d, b, part in leaves:
                if part:
                    pipe.hset(f"{self.prefix}t:{d}:{b}", mapping=part)
                pipe.hincrby(self._k("depths"), str(d), 1)

    def remove(self, ids: Collection[str]) -> list[str]:
        watched = sorted({self._doc(i) for i in ids})
        if not watched:
            return []
        with self._errors():
            while True:
                with self.r.pipeline(transaction=True) as pipe:
                    try:
                        pipe.watch(*watched)
                        rows = list(self._fields(ids, "n", "keys", "fingerprint", "profile"))
                        gone: dict[Bucket, set[int]] = {}
                        for _, (n, keys, _, _) in rows:
                            for bucket in stored_bands(unpack_keys(keys)):
                                gone.setdefault(bucket, set()).add(int(n))
                        leaf_of, value, _ = self._watch_leaves(pipe, gone)
                        own = sorted(b for b in gone if value[b] == b"")
                        if own:
                            pipe.watch(*(self._own(b) for b in own))
                        kept = dict(zip(own, self._run([("get", (self._own(b),)) for b in own]), strict=True))
                        words: Counter[str] = Counter()
                        for doc_id, (_, _, _, blob) in rows:
                            try:
                                words.update(set(load_profile(blob, self.config).content))
                            except StoreError as err:
                                raise StoreError(f"{self.spec}: document {doc_id}: {err}") from err
                        pipe.multi()
                        kept_fields: dict[str, dict[bytes, bytes]] = {}
                        dropped: dict[str, list[bytes]] = {}
                        for bucket in sorted(gone):
                            old = value[bucket]
                            if old is None:
                                continue
                            is_own = old == b""
                            blob = bytes(kept.get(bucket) or b"") if is_own else old
                            left = [m for m in unpack_numbers(blob) if m not in gone[bucket]]
                            if left and is_own:
                                pipe.set(self._own(bucket), pack_numbers(left))
                            elif left:
                                kept_fields.setdefault(leaf_of[bucket], {})[field_of(bucket)] = pack_numbers(
                                    left
                                )
                            else:
                                if is_own:
                                    pipe.delete(self._own(bucket))
                                dropped.setdefault(leaf_of[bucket], []).append(field_of(bucket))
                        for name in sorted(kept_fields):
                            pipe.hset(name, mapping=kept_fields[name])
                        for name in sorted(dropped):
                            pipe.hdel(name, *dropped[name])
                        for doc_id, (n, _, fingerprint, _) in rows:
                            pipe.srem(self._fp(fingerprint), int(n))
                            pipe.hdel(self._k("ids"), int(n))
                            pipe.delete(self._doc(doc_id))
                            pipe.zrem(self._k("added"), doc_id)
                        ordered = sorted(words)
                        for w in ordered:
                            pipe.hincrby(self._k("df"), w, -words[w])
                        pipe.hincrby(self._k("meta"), "documents", -len(rows))
                        pipe.hset(self._k("meta"), "updated", repr(time.time()))
                        results = pipe.execute()
                    except (WatchError, _Moved):
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
            numbered = int(self.r.hlen(self._k("ids")))
        counted = self.count()
        problems = [] if listed == counted else [f"{listed} documents listed, meta data counts {counted}"]
        if numbered != counted:
            problems.append(f"{numbered} documents numbered, meta data counts {counted}")
        return problems

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.r.close()
