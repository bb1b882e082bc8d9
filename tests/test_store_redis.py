"""The Redis index's own layout (format 2): the bucket trie gives the answers the SQLite index
gives, through splits, big buckets, removals and concurrent writers; it costs a document no
more than twice its SQLite bytes; an index in the old layout is refused; a write that dies
leaves nothing; store_redis and store import no cycle. (Both backends' common behaviour is
tested in test_store.py.)"""

from __future__ import annotations

import ast
import pathlib
import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from redis_server import fresh_index, redis_server
from test_store import make_docs

import news_dedupe.store_redis as redis_module
from news_dedupe.cli import cli
from news_dedupe.config import Config
from news_dedupe.document import Document
from news_dedupe.errors import StoreError
from news_dedupe.loader import LoadOptions, load
from news_dedupe.store import NewDoc, add_batch, check_batch, open_store, prepare, stored_bands
from news_dedupe.store_redis import RedisStore, split_spec

CONFIG = Config(num_perm=64, lsh_bands=32)
ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["default", "tiny"])
def leaves(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The layout as shipped, and with leaves of 4 buckets and 2 documents a bucket before it
    gets a key of its own, so that a small corpus splits leaves many levels deep and fills
    big buckets."""
    if request.param == "tiny":
        monkeypatch.setattr(redis_module, "LEAF_FIELDS", 4)
        monkeypatch.setattr(redis_module, "INLINE_DOCS", 2)
    return str(request.param)


def fixture_docs() -> list[Document]:
    """The fixtures' stories: seeds, the cases and the JSON Lines stories."""
    paths = [ROOT / "fixtures/seeds.txt", *sorted((ROOT / "fixtures/cases").glob("*.txt"))]
    paths.append(ROOT / "fixtures/formats/stories.jsonl")
    docs: dict[str, Document] = {}
    for doc in load([str(p) for p in paths], LoadOptions()):
        docs.setdefault(doc.id, doc)
    return list(docs.values())


def versions(docs: list[Document], seed: int) -> list[Document]:
    """A version of each document: a few words changed and its last sentence dropped, so that
    it shares some buckets with the original and not others."""
    rng = random.Random(seed)
    out = []
    for d in docs:
        words = d.text.split(" ")
        for _ in range(max(1, len(words) // 25)):
            words[rng.randrange(len(words))] = rng.choice(["port", "storm", "minister", "said"])
        text = " ".join(words)
        out.append(Document(f"v{seed}-{d.id}", text[: max(len(text) * 9 // 10, 1)], d.source))
    return out


def corpus() -> tuple[list[Document], list[Document]]:
    """Documents to index (fixtures, generated ones, and versions of them: buckets of one
    document and of many) and documents to check against them."""
    base = fixture_docs() + make_docs(60, seed=21)
    indexed = (
        base + versions(base, 1) + [Document(f"copy{k}-{d.id}", d.text) for k in range(3) for d in base[:8]]
    )
    checked = versions(base, 2) + make_docs(10, seed=22, prefix="fresh")
    return indexed, checked


def answers(store: Any, checked: list[Document]) -> tuple[list[set[str]], Any]:
    """What a check of `checked` finds: each document's indexed candidates, and the clusters
    (members, relations and scores), pairs and indexed documents compared."""
    batch = prepare(store, checked, CONFIG)
    result = check_batch(store, batch, CONFIG)
    report = result.report
    return store.candidates(batch.new), (report.clusters, report.candidates, sorted(result.compared))


def trie(url: str, prefix: str) -> dict[str, Any]:
    """Every leaf and inner node of an index's bucket trie, checked for what the layout promises:
    a leaf holds at most LEAF_FIELDS buckets, each at the leaf its key's low bits name, with the
    numbers of its documents (at most INLINE_DOCS of them) or an empty value and a key of its
    own; an inner node holds the split mark alone; every ancestor of a leaf is an inner node;
    `depths` counts at least the leaves there are. Returns the buckets, by (band, key)."""
    r = redis.Redis.from_url(url)
    inner: set[tuple[int, int]] = set()
    leaves: dict[tuple[int, int], dict[bytes, bytes]] = {}
    for name in r.scan_iter(match=prefix + "t:*", count=1000):
        d, b = (int(x) for x in name.decode()[len(prefix) :].split(":")[1:])
        fields = r.hgetall(name)
        if b"s" in fields:
            assert fields == {b"s": b"1"}, name
            inner.add((d, b))
        else:
            leaves[d, b] = fields
            assert r.object("encoding", name) in (b"listpack", b"ziplist"), name
    buckets: dict[tuple[int, int], list[int]] = {}
    for (d, b), fields in leaves.items():
        assert 0 < len(fields) <= redis_module.LEAF_FIELDS
        assert all((d2, b & ((1 << d2) - 1)) in inner for d2 in range(d)), (d, b)
        for f, v in fields.items():
            band, key = int.from_bytes(f[:2], "little"), int.from_bytes(f[2:], "little")
            assert len(f) == 10 and key & ((1 << d) - 1) == b
            if v == b"":
                v = r.get(f"{prefix}o:{band}:{key}")
                assert v, (band, key)
            else:
                assert len(v) <= 4 * redis_module.INLINE_DOCS
            numbers = redis_module.unpack_numbers(v)
            assert len(set(numbers)) == len(numbers)
            buckets[band, key] = numbers
    depths = {int(k): int(v) for k, v in r.hgetall(prefix + "depths").items()}
    for d in {d for d, _ in leaves}:
        assert depths.get(d, 0) >= sum(1 for d2, _ in leaves if d2 == d)
    return {"buckets": buckets, "inner": inner, "leaves": leaves}


def numbers_of(url: str, prefix: str) -> dict[str, int]:
    r = redis.Redis.from_url(url)
    return {v.decode(): int(k) for k, v in r.hgetall(prefix + "ids").items()}


def test_same_answers_as_sqlite(redis_url: str, tmp_path: pathlib.Path, leaves: str) -> None:
    """A corpus indexed in batches in SQLite and in Redis: checking new versions against both
    finds the same candidates and clusters, before and after a third of the index is removed;
    every stored bucket holds exactly the documents whose band keys put them there."""
    indexed, checked = corpus()
    spec = fresh_index(redis_url)
    _, prefix, _ = split_spec(spec)
    stores = [
        open_store(str(tmp_path / "index.db"), CONFIG, create=True),
        open_store(spec, CONFIG, create=True),
    ]
    try:
        keys: dict[str, tuple[int, ...]] = {}
        for start in range(0, len(indexed), 40):  # several batches: later ones split leaves
            for store in stores:
                batch = prepare(store, indexed[start : start + 40], CONFIG)
                add_batch(store, batch, added=1000.0 + start)
                keys.update((d.profile.id, d.keys) for d in batch.new)
        sqlite, rds = stores
        assert rds.count() == sqlite.count() == len(keys) > 150  # less those too short to index
        first = answers(sqlite, checked)
        assert answers(rds, checked) == first
        assert sum(map(len, first[0])) > len(checked) and first[1][0]

        def expected() -> dict[tuple[int, int], list[int]]:
            number = numbers_of(redis_url, prefix)
            out: dict[tuple[int, int], list[int]] = {}
            for doc_id, n in number.items():
                for bucket in stored_bands(keys[doc_id]):
                    out.setdefault(bucket, []).append(n)
            return {b: sorted(ns) for b, ns in out.items()}

        found = trie(redis_url, prefix)
        assert {b: sorted(ns) for b, ns in found["buckets"].items()} == expected()
        if leaves == "tiny":
            assert max(d for d, _ in found["leaves"]) >= 8
            assert any(len(ns) > 2 for ns in found["buckets"].values())  # keys of their own

        gone = sorted(keys)[::3]
        for store in stores:
            assert store.remove(gone) == gone
        assert answers(rds, checked) == answers(sqlite, checked) != first
        assert {b: sorted(ns) for b, ns in trie(redis_url, prefix)["buckets"].items()} == expected()
        assert rds.verify() == [] and rds.df({"storm", "port"}) == sqlite.df({"storm", "port"})

        for store in stores:
            store.remove([d.id for d in indexed])
        assert trie(redis_url, prefix)["buckets"] == {}
        r = redis.Redis.from_url(redis_url)
        assert not list(r.scan_iter(match=prefix + "o:*")) and not list(r.scan_iter(match=prefix + "fp:*"))
        assert r.hlen(prefix + "ids") == 0 and rds.count() == 0
    finally:
        for store in stores:
            store.close()


def test_concurrent_writers_keep_the_trie_whole(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four writers adding at once into tiny leaves, so that they split the same leaves: every
    document lands in every bucket its keys name, and the look-up finds each one."""
    monkeypatch.setattr(redis_module, "LEAF_FIELDS", 6)
    monkeypatch.setattr(redis_module, "INLINE_DOCS", 3)
    spec = fresh_index(redis_url)
    _, prefix, _ = split_spec(spec)
    open_store(spec, CONFIG, create=True).close()
    batches = [make_docs(30, seed=40 + n) for n in range(4)]
    keys: dict[str, tuple[int, ...]] = {}
    errors: list[BaseException] = []

    def writer(docs: list[Document]) -> None:
        try:
            with open_store(spec, CONFIG) as store:
                for start in range(0, len(docs), 10):
                    batch = prepare(store, docs[start : start + 10], CONFIG)
                    keys.update((d.profile.id, d.keys) for d in batch.new)
                    add_batch(store, batch)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    number = numbers_of(redis_url, prefix)
    assert sorted(number) == sorted(keys) and len(set(number.values())) == len(number)
    expected: dict[tuple[int, int], list[int]] = {}
    for doc_id, n in number.items():
        for bucket in stored_bands(keys[doc_id]):
            expected.setdefault(bucket, []).append(n)
    found = trie(redis_url, prefix)["buckets"]
    assert {b: sorted(ns) for b, ns in found.items()} == {b: sorted(ns) for b, ns in expected.items()}
    with open_store(spec, CONFIG) as store:
        assert store.count() == 120 and store.verify() == []
        docs = [d for b in batches for d in b]
        already = prepare(store, docs, CONFIG).already
        assert len(already) == 120
        hits = store.candidates([NewDoc(p, "", keys[p.id]) for p, _ in already])
        assert all(p.id in found for (p, _), found in zip(already, hits, strict=True))


def test_a_document_costs_at_most_twice_its_sqlite_bytes(redis_url: str, tmp_path: pathlib.Path) -> None:
    """Redis `used_memory` grows by no more than twice the SQLite file's bytes a document, on the
    fixtures and generated documents with the default parameters; the leaves stay listpacks."""
    docs = fixture_docs() + make_docs(150, seed=30)
    config = Config()
    spec = fresh_index(redis_url)
    r = redis.Redis.from_url(redis_url)
    path = tmp_path / "index.db"
    with open_store(str(path), config, create=True) as store:
        batch = prepare(store, docs, config)
        add_batch(store, batch)
        n = store.count()
    sqlite_bytes = sum(p.stat().st_size for p in tmp_path.glob("index.db*") if not p.name.endswith("-shm"))
    r.memory_purge()
    before = int(r.info("memory")["used_memory"])
    with open_store(spec, config, create=True) as store:
        add_batch(store, batch)
    r.memory_purge()
    used = int(r.info("memory")["used_memory"]) - before
    _, prefix, _ = split_spec(spec)
    found = trie(redis_url, prefix)  # checks each leaf's encoding
    keys = sum(1 for _ in r.scan_iter(match=prefix + "*", count=1000))
    assert used / n <= 2 * sqlite_bytes / n, (used / n, sqlite_bytes / n)
    assert keys <= 4 * n + len(found["leaves"]) + len(found["inner"]) + 10


def test_an_index_in_the_old_layout_is_refused(redis_url: str, runner) -> None:
    """An index written in format 1 (a set per bucket) is not misread: opening it is one error
    line, exit 2, that names the index and says to rebuild it."""
    spec = fresh_index(redis_url)
    _, prefix, _ = split_spec(spec)
    open_store(spec, CONFIG, create=True).close()
    r = redis.Redis.from_url(redis_url)
    r.hset(prefix + "meta", "format", "1")
    r.delete(prefix + "depths")
    r.sadd(prefix + "band:0:12345", "doc.txt")
    with pytest.raises(StoreError, match="format 1") as info:
        open_store(spec, CONFIG)
    assert str(info.value).startswith(spec + ": ") and "rebuild" in str(info.value)
    for args in (["index", "info", "--index", spec], ["index", "add", "--index", spec, "fixtures/seeds.txt"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"error: {spec}: ") and "rebuild" in lines[0]
    assert r.hget(prefix + "meta", "format") == b"1" and r.scard(prefix + "band:0:12345") == 1


def test_a_write_that_dies_leaves_nothing(redis_url: str) -> None:
    """A runner that dies after its reads and before EXEC leaves no document, bucket, leaf,
    number or frequency behind (only the document numbers it took stay taken)."""
    spec = fresh_index(redis_url)
    _, prefix, _ = split_spec(spec)
    docs = make_docs(20, seed=50)

    def dies() -> list[str]:
        raise KeyboardInterrupt

    with open_store(spec, CONFIG, create=True) as store:
        batch = prepare(store, docs, CONFIG)
        with pytest.raises(KeyboardInterrupt):
            store.add(batch.new, 1.0, guard=dies)
        r = redis.Redis.from_url(redis_url)
        left = sorted(k.decode()[len(prefix) :] for k in r.scan_iter(match=prefix + "*"))
        assert left == ["depths", "meta"] and store.count() == 0
        add_batch(store, batch)
        assert store.count() == 20 and store.verify() == []


def test_store_and_store_redis_import_no_cycle() -> None:
    """store_redis builds on store_base alone; store_base imports neither store module; store
    imports store_redis only inside open_store."""

    def imports(name: str) -> tuple[set[str], set[str]]:
        tree = ast.parse((ROOT / "src/news_dedupe" / f"{name}.py").read_text())
        top = {n.module or "" for n in tree.body if isinstance(n, ast.ImportFrom)}
        every = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        return top, every

    assert {"store", "store_redis"} & imports("store_redis")[1] == set()
    assert {"store", "store_redis"} & imports("store_base")[1] == set()
    top, every = imports("store")
    assert "store_redis" not in top and "store_redis" in every
    assert issubclass(RedisStore, redis_module.Store)
