"""The persistent index as a library: stored profiles, band keys, the SQLite and Redis stores."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import threading
import zlib

import numpy as np
import pytest
from redis_server import fresh_index, redis_server

from news_dedupe.config import Config
from news_dedupe.document import Document
from news_dedupe.errors import DedupeError, StoreError
from news_dedupe.loader import LoadOptions, load
from news_dedupe.pipeline import lede_words, profile_documents
from news_dedupe.signature import Signer
from news_dedupe.store import (
    FORMAT_VERSION,
    NO_KEY,
    NewDoc,
    add_batch,
    add_clean,
    band_keys,
    check_batch,
    doc_keys,
    dump_profile,
    load_profile,
    open_store,
    prepare,
    probes,
    profile_parallel,
    stored_bands,
)
from news_dedupe.verify import Profile, profile

SEEDS = "fixtures/seeds.txt"
# Small signatures keep the tests fast; the parameters are pinned so that the tests do not move
# when the defaults do.
CONFIG = Config(num_perm=64, lsh_bands=32)


@pytest.fixture(scope="module")
def seeds() -> list[Document]:
    import pathlib

    path = pathlib.Path(__file__).resolve().parent.parent / SEEDS
    return list(load([str(path)], LoadOptions()))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(params=["sqlite", "redis"])
def spec(request: pytest.FixtureRequest, tmp_path) -> str:
    """An index spec that does not exist yet, for each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "index.db")
    return fresh_index(request.getfixturevalue("redis_url"))


def make_docs(n: int, seed: int, prefix: str = "gen") -> list[Document]:
    """`n` distinct prose-like documents (pseudo-words between English function words)."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "sha", "dor", "qui", "bel", "ton"]
    vocab = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(4000)})
    glue = ["the", "of", "and", "in", "to", "was", "that", "with", "for", "on"]
    docs = []
    for i in range(n):
        sentences = []
        for _ in range(rng.randint(4, 8)):
            words = [
                rng.choice(glue) if rng.random() < 0.35 else rng.choice(vocab)
                for _ in range(rng.randint(9, 16))
            ]
            sentences.append(" ".join(words).capitalize() + ".")
        docs.append(Document(f"{prefix}{seed}-{i:05d}", " ".join(sentences), f"gen{seed}.txt:{i}"))
    return docs


# -- profiles and band keys -------------------------------------------------------------------


def test_profile_round_trip(seeds: list[Document]) -> None:
    """A stored profile rebuilds every field of the profile it was made from."""
    long_line = " ".join(f"word{i} and the" for i in range(100)) + "."
    cjk = "伊拉克总理官邸遭到火箭袭击。官员表示这次袭击是由伊朗支持的团体所为。美国大使馆表示关注。"
    docs = [*seeds, Document("long", long_line), Document("cjk", cjk * 3)]
    for doc in docs:
        original = profile(doc.id, doc.text, CONFIG)
        again = load_profile(dump_profile(original), CONFIG)
        assert again.id == original.id and again.words == original.words
        assert again.segments == original.segments
        assert again.stems == original.stems
        assert again.lengths.dtype == np.int64 and again.lengths.tolist() == original.lengths.tolist()
        assert (
            np.array_equal(again.shingles, original.shingles)
            and again.shingles.dtype == original.shingles.dtype
        )
        assert again.fingerprint == original.fingerprint
        assert again.content == original.content


def test_profile_is_json_not_pickle(seeds: list[Document]) -> None:
    """A stored profile is zlib-compressed JSON: reading an index never unpickles anything."""
    blob = dump_profile(profile(seeds[0].id, seeds[0].text, CONFIG))
    data = json.loads(zlib.decompress(blob))
    assert data["id"] == seeds[0].id


def test_damaged_profile_is_a_store_error() -> None:
    """A damaged blob raises StoreError, not zlib or JSON errors."""
    with pytest.raises(StoreError, match="damaged"):
        load_profile(b"not zlib at all", CONFIG)
    with pytest.raises(StoreError, match="damaged"):
        load_profile(zlib.compress(b'{"id": 1}'), CONFIG)


def test_band_keys_are_pinned() -> None:
    """Band keys are blake2b of the band's little-endian values, cut to 63 bits: the same everywhere."""
    config = Config(num_perm=8, lsh_bands=4)
    hv = np.arange(8, dtype=np.uint32) * np.uint32(2654435761)
    keys = band_keys(hv, config)
    assert keys == (1797910467684093685, 6453868926154102700, 4134550445077712486, 7626152462490080950)
    first = int.from_bytes(hashlib.blake2b(hv[:2].astype("<u4").tobytes(), digest_size=8).digest(), "little")
    assert keys[0] == first >> 1
    assert all(0 <= k < 2**63 for k in keys)


def test_band_keys_match_when_band_values_match() -> None:
    """Two signatures share band k exactly when their values in that band are equal."""
    config = Config(num_perm=8, lsh_bands=4)
    a = np.array([1, 2, 3, 4, 5, 6, 7, 8], dtype=np.uint32)
    b = np.array([1, 2, 3, 9, 5, 6, 0, 8], dtype=np.uint32)
    same = [x == y for x, y in zip(band_keys(a, config), band_keys(b, config), strict=True)]
    assert same == [True, False, True, False]


# -- stores -----------------------------------------------------------------------------------


def test_add_lookup_remove(spec: str, seeds: list[Document]) -> None:
    """Documents added are found by their band keys and fingerprint; removing them undoes all."""
    with open_store(spec, CONFIG, create=True) as store:
        batch = prepare(store, seeds[:3], CONFIG)
        result = add_batch(store, batch, added=1000.0)
        assert sorted(result.added) == [d.id for d in seeds[:3]]
        assert store.count() == 3
        ids = [d.profile.id for d in batch.new]
        hits = store.candidates(batch.new)
        assert all(doc_id in found for doc_id, found in zip(ids, hits, strict=True))
        docs = store.documents(ids + ["nope"])
        assert set(docs) == set(ids) and docs[ids[0]].added == 1000.0 and docs[ids[0]].source.endswith(":1")
        loaded = store.profiles(ids)
        assert np.array_equal(loaded[ids[1]].shingles, batch.new[1].profile.shingles)
        words = {w for d in batch.new for w in d.profile.content}
        df = store.df(words)
        assert set(df) == words and max(df.values()) <= 3
        assert store.older_than(1000.5) == sorted(ids)
        assert sorted(store.remove(ids[:2] + ["nope"])) == sorted(ids[:2])
        assert store.count() == 1
        assert store.df(words) == store.df(set(batch.new[2].profile.content))
        assert store.candidates(batch.new[:1])[0] <= {ids[2]}
        assert store.verify() == []
        store.remove(ids)
        assert store.count() == 0 and store.df(words) == {}


def test_existing_id_is_skipped_not_overwritten(spec: str, seeds: list[Document]) -> None:
    """Adding an id that is indexed keeps the first document and reports the id as existing."""
    with open_store(spec, CONFIG, create=True) as store:
        add_batch(store, prepare(store, seeds[:1], CONFIG), added=1.0)
        other = Document(seeds[0].id, seeds[4].text, "other.txt:1")
        batch = prepare(store, [other], CONFIG)
        assert [p.id for p, _ in batch.already] == [seeds[0].id] and batch.new == []
        again = store.add([NewDoc(profile(other.id, other.text, CONFIG), other.source, ())], added=2.0)
        assert again.added == [] and again.existing == [seeds[0].id]
        assert store.documents([seeds[0].id])[seeds[0].id].added == 1.0
        assert store.count() == 1


def test_rare_words_use_stored_frequencies(spec: str) -> None:
    """A word in many indexed documents is not rare in a batch of one, though it is rare within it."""
    docs = make_docs(80, seed=1)
    common = [
        Document(d.id, d.text + " The zebrafish was with the ministers of the region.", d.source)
        for d in docs
    ]
    with open_store(spec, CONFIG, create=True) as store:
        add_batch(store, prepare(store, common, CONFIG))
        one = make_docs(1, seed=2)[0]
        batch = prepare(store, [Document(one.id, one.text + " The zebrafish was here.", "")], CONFIG)
        assert batch.index_size == 80
        assert "zebra" in batch.new[0].profile.content and "zebra" not in batch.rare[0]


def test_meta_holds_every_hashing_parameter(tmp_path) -> None:
    """The SQLite meta table records format, times and every parameter signatures depend on."""
    path = tmp_path / "index.db"
    open_store(str(path), CONFIG, create=True).close()
    meta = dict(sqlite3.connect(path).execute("SELECT key, value FROM meta"))
    assert meta["format"] == str(FORMAT_VERSION) and meta["scheme"] == "affine32"
    for key in (
        "created",
        "updated",
        "datasketch",
        "num_perm",
        "lsh_bands",
        "rows",
        "shingle_size",
        "stem_length",
        "seed",
        "normalisation",
        "documents",
    ):
        assert key in meta
    assert (meta["num_perm"], meta["lsh_bands"], meta["rows"]) == ("64", "32", "2")
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_other_parameters_are_refused(spec: str) -> None:
    """A run with other hashing parameters is refused, saying what differs."""
    open_store(spec, CONFIG, create=True).close()
    with pytest.raises(
        StoreError, match=r": built with seed=1, this run has seed=2; use the same options or a new"
    ):
        open_store(spec, CONFIG.replace(seed=2))
    with pytest.raises(
        StoreError, match=r"num_perm=64, lsh_bands=32, this run has num_perm=128, lsh_bands=64;"
    ):
        open_store(spec, CONFIG.replace(num_perm=128, lsh_bands=64))
    with pytest.raises(StoreError, match=r"built with stem_length=5, this run has stem_length=6"):
        open_store(spec, CONFIG.replace(stem_length=6))
    with pytest.raises(StoreError, match=rf"built with min_rare={CONFIG.min_rare}, this run has min_rare="):
        open_store(spec, CONFIG.replace(min_rare=CONFIG.min_rare + 1))
    open_store(spec, CONFIG.replace(contained=0.5)).close()  # thresholds may differ
    with open_store(spec) as store:  # no config: the stored parameters
        assert (store.config.num_perm, store.config.lsh_bands) == (64, 32)


@pytest.mark.parametrize(("name", "old", "now"), [("lead_min_words", 180, 120), ("lede_words", 0, 20)])
def test_index_from_before_a_parameter_was_recorded_has_its_old_value(tmp_path, name, old, now) -> None:
    """An index written before lead_min_words was recorded was built with 180, one written before
    lede sketches with none (lede_words 0): it opens with that value and refuses another, naming it."""
    path = str(tmp_path / "old.db")
    open_store(path, CONFIG, create=True).close()
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM meta WHERE key = ?", (name,))
    db.close()
    with pytest.raises(StoreError, match=rf"built with {name}={old}, this run has {name}={now};"):
        open_store(path, CONFIG)
    open_store(path, CONFIG.replace(**{name: old})).close()
    with open_store(path) as store:
        assert getattr(store.config, name) == old
        assert store.info().params[name] == str(old)


def test_lede_keys_follow_a_lead_placeholder_and_meet_ledes_only() -> None:
    """A text too short for a lead sketch but with a lede stores its lede's keys in bands
    2B .. 3B - 1 behind NO_KEY placeholders, which are never stored or probed; ledes are looked
    up among ledes."""
    config = CONFIG
    bands = config.lsh_bands
    text = (
        "Ferry crews at Dover waited for the storm to pass before the first crossing of the day. "
        "Port officials said the delays would last until the evening, when the wind was expected to drop."
    )
    p = profile("short-story", text, config)
    assert p.size < config.lead_min_words
    keys = doc_keys(Signer(config.num_perm, config.seed), p, set(p.content), config)
    assert len(keys) == 3 * bands
    assert keys[bands : 2 * bands] == (NO_KEY,) * bands
    assert [b for b, _ in stored_bands(keys)] == [*range(bands), *range(2 * bands, 3 * bands)]
    looked_up = probes(keys, bands)
    assert all(k != NO_KEY for _, k in looked_up)
    assert {(b, k) for b, k in looked_up if b >= 2 * bands} == set(stored_bands(keys)[bands:])
    assert not doc_keys(
        Signer(config.num_perm, config.seed), p, set(p.content), config.replace(lede_words=0)
    )[bands:]


def test_lede_look_up_skips_overfull_buckets_and_single_band_meetings(
    spec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An indexed lede is found by a restated one through its lede bands alone, unless its bucket
    holds more than LEDE_BUCKET_CAP indexed documents or the two meet in fewer than
    MIN_LEDE_BANDS bands, as `find` has it. Both backends agree."""
    import news_dedupe.store as store_module
    import news_dedupe.store_redis as redis_module

    source = (
        "Ferry crossings between Dover and Calais were suspended for a second day on Tuesday as "
        "gale-force winds battered the Channel coast.\n"
        "Port officials said waves of up to six metres made it unsafe for vessels to leave the harbour."
    )
    summary = profile(
        "summary",
        "Ferry crossings between Dover and Calais were halted for a second day on Tuesday as strong "
        "winds battered the Channel coast, officials said.",
        CONFIG,
    )
    bands = CONFIG.lsh_bands
    lede = band_keys(
        Signer(CONFIG.num_perm, CONFIG.seed).hashvalues(sorted(lede_words(summary, CONFIG))), CONFIG
    )
    ledes_only = NewDoc(summary, "", (NO_KEY,) * (2 * bands) + lede)

    def rules(cap: int, min_bands: int) -> None:
        for module in (store_module, redis_module):
            monkeypatch.setattr(module, "LEDE_BUCKET_CAP", cap)
            monkeypatch.setattr(module, "MIN_LEDE_BANDS", min_bands)

    with open_store(spec, CONFIG, create=True) as store:
        batch = prepare(store, [Document("source", source)], CONFIG)
        add_batch(store, batch)
        shared = sum(a == b for a, b in zip(batch.new[0].keys[2 * bands :], lede, strict=True))
        assert shared >= 2
        assert store.candidates([ledes_only]) == [{"source"}]
        rules(cap=1, min_bands=shared)  # a bucket of exactly the cap, exactly enough bands
        assert store.candidates([ledes_only]) == [{"source"}]
        rules(cap=0, min_bands=1)
        assert store.candidates([ledes_only]) == [set()]
        rules(cap=1, min_bands=shared + 1)
        assert store.candidates([ledes_only]) == [set()]


def test_not_an_index(tmp_path) -> None:
    """A text file, a foreign SQLite database, a truncated index and a missing file are StoreErrors
    that name the file."""
    text = tmp_path / "notes.txt"
    text.write_text("hello\n" * 100)
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE x (a)")
    good = tmp_path / "good.db"
    with open_store(str(good), CONFIG, create=True) as store:
        add_batch(store, prepare(store, make_docs(200, seed=3), CONFIG))
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(good.read_bytes()[:8192])
    cases = {
        text: "not a news-dedupe index",
        foreign: "without a meta table",
        truncated: "corrupt",
        tmp_path / "missing.db": "no such index",
    }
    for path, message in cases.items():
        with pytest.raises(StoreError, match=message) as info:
            open_store(str(path), CONFIG, create=path.name != "missing.db").count()
        assert str(info.value).startswith(str(path) + ":")
        assert isinstance(info.value, DedupeError)


def test_unreachable_redis_is_a_store_error() -> None:
    """A Redis URL nobody answers is a StoreError naming the URL."""
    from redis_server import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(StoreError, match="cannot reach the Redis server") as info:
        open_store(url, CONFIG)
    assert str(info.value).startswith(url)


def test_concurrent_adds_lose_nothing(spec: str) -> None:
    """Four writers adding different batches at once: every document and every count arrives."""
    batches = [make_docs(40, seed=10 + n) for n in range(4)]
    open_store(spec, CONFIG, create=True).close()
    errors: list[BaseException] = []

    def writer(docs: list[Document]) -> None:
        try:
            with open_store(spec, CONFIG) as store:
                add_batch(store, prepare(store, docs, CONFIG))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    every = [d for b in batches for d in b]
    with open_store(spec, CONFIG) as store:
        assert store.count() == len(every)
        assert set(store.documents([d.id for d in every])) == {d.id for d in every}
        expected: dict[str, int] = {}
        for d in every:
            for w in set(profile(d.id, d.text, CONFIG).content):
                expected[w] = expected.get(w, 0) + 1
        assert store.df(set(expected)) == expected
        assert store.verify() == []


def test_add_clean_looks_again_under_the_write_lock(spec: str, seeds: list[Document]) -> None:
    """A duplicate that another run indexed between a check and its --add keeps the copy out."""
    with open_store(spec, CONFIG, create=True) as store:
        batch = prepare(store, [seeds[1]], CONFIG)
        result = check_batch(store, batch, CONFIG)
        assert result.report.clusters == [] and [d.profile.id for d in result.clean] == [seeds[1].id]
        with open_store(spec, CONFIG) as other:  # meanwhile, another runner adds a version of it
            add_batch(other, prepare(other, [seeds[3]], CONFIG))
        final, outcome = add_clean(store, batch, result, CONFIG)
        assert outcome.added == [] and outcome.excluded == [seeds[1].id]
        assert [sorted(c.ids) for c in final.report.clusters] == [sorted([seeds[1].id, seeds[3].id])]
        assert store.count() == 1


@pytest.mark.parametrize(("jobs", "compact"), [(3, False), (2, True)])
def test_parallel_profiles_equal_serial(
    monkeypatch: pytest.MonkeyPatch, seeds: list[Document], jobs: int, compact: bool
) -> None:
    """Profiling on worker processes gives the profiles, too-short ids and count of one process."""
    import news_dedupe.profiling as profiling_module

    monkeypatch.setattr(profiling_module, "PROFILE_CHUNK", 7)
    brief = "LONDON (AP) - Storm closes the Dover ferry port, Reuters reported"
    docs = [
        *make_docs(30, seed=5),
        *seeds,
        Document("short", "Far too short.", "notes.txt:3"),  # under BRIEF_MIN_TOKENS: no brief
        Document("brief", brief, "wire.txt:9"),
    ]
    serial = profile_documents(docs, CONFIG, compact=compact)
    parallel = profile_parallel(iter(docs), CONFIG, jobs=jobs, compact=compact)
    tokens = "london ap storm closes the dover ferry port reuters reported"
    where = {"brief": "wire.txt:9", "short": "notes.txt:3"}
    assert parallel[1:] == serial[1:] == (["brief", "short"], len(docs), {"brief": tokens}, where)

    def summary(p: Profile) -> tuple[object, ...]:
        return (
            p.id,
            p.fingerprint,
            p.shingles.tolist(),
            p.stems,
            p.figures,
            p.content,
            len(p.segments),
            p.heads,
        )

    assert [summary(p) for p in parallel[0]] == [summary(p) for p in serial[0]]
    assert all(bool(p.segments) != compact for p in parallel[0])


def test_lookup_keeps_the_best_candidates_per_document(spec: str, seeds: list[Document]) -> None:
    """With candidates_per_doc=k each new document is compared with its k best indexed ones:
    identical prose first, then the most bands shared; 0 keeps them all. Both backends agree."""
    base = next(d for d in seeds if d.id.startswith("001")).text
    lines = [line for line in base.split("\n") if line.strip()]
    indexed = [Document("z_same", base)] + [
        Document(f"cut_{k}", "\n".join(lines[: len(lines) - 4 * k])) for k in range(1, 5)
    ]
    with open_store(spec, CONFIG, create=True) as store:
        add_batch(store, prepare(store, indexed, CONFIG))
    new = [Document("new", base)]
    for per_doc, expected in ((2, {"z_same", "cut_1"}), (0, {d.id for d in indexed})):
        config = CONFIG.replace(candidates_per_doc=per_doc)
        with open_store(spec, config) as store:
            batch = prepare(store, new, config)
            assert store.candidates(batch.new) == [expected]


def test_lookup_in_parts_finds_what_one_part_finds(
    tmp_path, monkeypatch: pytest.MonkeyPatch, seeds: list[Document]
) -> None:
    """An SQLite look-up taken a few new documents at a time, in one process or on two workers
    with their own connections, keeps each one's candidates."""
    import news_dedupe.store as store_module

    path = str(tmp_path / "index.db")
    indexed = [*make_docs(30, seed=3), *seeds[:3]]
    new = [*make_docs(12, seed=3, prefix="again"), *seeds[3:], Document("copy", seeds[0].text)]
    with open_store(path, CONFIG, create=True) as store:
        add_batch(store, prepare(store, indexed, CONFIG))
        batch = prepare(store, new, CONFIG)
        whole = store.candidates(batch.new)
        monkeypatch.setattr(store_module, "LOOKUP_CHUNK", 5)
        assert store.candidates(batch.new) == whole
        assert store.candidates(batch.new, jobs=2) == whole
    assert sum(map(len, whole)) >= len(new) and all(whole[:12])


def test_contenders_hold_every_candidate_best_keeps() -> None:
    """Pairs below a query's per_doc-th best count are dropped before ids are read: `best` on
    what is left keeps what it keeps on everything (random counts, ties, repeated pairs)."""
    from news_dedupe.store import _contenders, best

    rng = np.random.default_rng(5)
    for _ in range(50):
        queries, docs = rng.integers(1, 6), rng.integers(1, 40)
        size = int(rng.integers(1, 200))
        pairs = rng.integers(0, queries, size) << 32 | rng.integers(0, docs, size)
        shared = rng.integers(1, 6, size)
        per_doc = int(rng.integers(1, 8))
        kept, kept_shared = _contenders(pairs, shared, per_doc)
        assert len(set(kept.tolist())) == len(kept)
        for q in range(int(queries)):
            everything: dict[str, int] = {}
            for code, count in zip(pairs.tolist(), shared.tolist(), strict=True):
                if code >> 32 == q:
                    doc = f"d{code & 0xFFFFFFFF:03d}"
                    everything[doc] = max(count, everything.get(doc, 0))
            left = {
                f"d{code & 0xFFFFFFFF:03d}": count
                for code, count in zip(kept.tolist(), kept_shared.tolist(), strict=True)
                if code >> 32 == q
            }
            assert best(left, per_doc) == best(everything, per_doc)


def test_profiles_load_in_parallel_as_in_one_process(
    tmp_path, monkeypatch: pytest.MonkeyPatch, seeds: list[Document]
) -> None:
    """Indexed profiles loaded by forked workers (each with its own connection) equal those
    loaded in one process."""
    import news_dedupe.store as store_module

    monkeypatch.setattr(store_module, "PARALLEL_LOAD_MIN", 1)
    path = str(tmp_path / "index.db")
    docs = [*make_docs(40, seed=9), *seeds]
    with open_store(path, CONFIG, create=True) as store:
        add_batch(store, prepare(store, docs, CONFIG))
        ids = [d.id for d in docs]
        serial = store.profiles(ids)
        parallel = store_module.load_profiles(store, ids, jobs=2)
        assert store.verify() == []
    assert sorted(parallel) == sorted(serial) == sorted(ids)
    for doc_id in ids:
        a, b = parallel[doc_id], serial[doc_id]
        assert (a.stems, a.figures, a.fingerprint, a.shingles.tolist()) == (
            b.stems,
            b.figures,
            b.fingerprint,
            b.shingles.tolist(),
        )


def test_a_compact_profile_is_never_stored(seeds: list[Document]) -> None:
    """A compact profile has dropped its segments: storing it would lose the document, so it is refused."""
    p = profile(seeds[0].id, seeds[0].text, CONFIG)
    p.compact()
    with pytest.raises(ValueError, match="compact profile"):
        dump_profile(p)


def test_check_clusters_a_brief_with_a_new_article_and_a_summary_with_an_indexed_one(
    spec: str, case_docs
) -> None:
    """A check against an index: a new summary of an indexed article joins it, and a brief of a
    new article joins that one (briefs are matched against the batch's head lines)."""
    docs = case_docs["brief"]
    with open_store(spec, Config(), create=True) as store:
        add_batch(store, prepare(store, [docs["port_reopens"]], Config()), added=1000.0)
        summary = Document(
            "port_summary",
            "The port of Dover reopened on Thursday after three days of disruption, and the first "
            "ferry left for Calais at six.\n\nOperators expect the lorry backlog to clear by the weekend.",
        )
        batch = prepare(store, [summary, docs["ferries_original"], docs["ferries_alert"]], Config())
        tokens = "dover wire storm halts dover ferries for a second day reuters reported on tuesday"
        assert batch.briefs == {"ferries_alert": tokens}
        result = check_batch(store, batch, Config())
        got = sorted((c.representative, sorted(c.ids)) for c in result.report.clusters)
        assert got == [
            ("ferries_original", ["ferries_alert", "ferries_original"]),
            ("port_reopens", ["port_reopens", "port_summary"]),
        ]
        assert result.report.too_short == []


def test_probe_rows_are_inserted_within_the_connections_parameter_limit() -> None:
    """Multi-row INSERTs stay under SQLite's limit on bound parameters (999 before 3.32)."""
    from news_dedupe.store import _insert_rows

    db = sqlite3.connect(":memory:")
    if hasattr(db, "setlimit"):
        db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # type: ignore[attr-defined]  # 3.11+
    db.execute("CREATE TABLE t (a INTEGER, b INTEGER, c INTEGER)")
    rows = np.arange(3 * 5000, dtype=np.int64).reshape(-1, 3)
    _insert_rows(db, "t (a, b, c)", rows)
    assert db.execute("SELECT COUNT(*), SUM(a), MAX(c) FROM t").fetchone() == (
        5000,
        int(rows[:, 0].sum()),
        14999,
    )
