"""Invariants of the whole pipeline, checked with hypothesis on the seeds and the fixture cases.

Each example runs the pipeline, so the example counts are small.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from news_dedupe.cluster import RELATIONS
from news_dedupe.config import Config
from news_dedupe.document import Document
from news_dedupe.pipeline import find_duplicates
from news_dedupe.report import to_json

ORIGINAL = "001_0cbfd229ab594fd8.txt"
PROPERTY = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Invented words (no fixture shares them) and English function words, to make unrelated articles.
_INVENTED = [
    a + b + c
    for a in ("ka", "lo", "mi", "ne", "ru")
    for b in ("ta", "vo", "zi", "pe")
    for c in ("sa", "n", "")
]
_FUNCTION = "the of and to in a is that for on with as was by at from".split()  # noqa: SIM905
# A third of each sentence is function words, so that it reads as prose.
sentences = st.lists(
    st.tuples(st.sampled_from(_INVENTED), st.sampled_from(_INVENTED), st.sampled_from(_FUNCTION)),
    min_size=3,
    max_size=7,
).map(lambda triples: " ".join(w for t in triples for w in t).capitalize() + ".")
invented_articles = st.lists(sentences, min_size=3, max_size=10).map("\n".join)
any_text = st.text(max_size=300)


@pytest.fixture(scope="module")
def seeds_and_page(seed_docs, case_docs) -> list[Document]:
    """The five seeds and the page fixture's documents (001 and 003 are in both), once each."""
    return list({**seed_docs, **case_docs["page"]}.values())


@pytest.fixture(scope="module")
def pool(seed_docs, case_docs) -> list[Document]:
    """Every fixture document once: seeds, page, chrome, follow-up and Chinese cases."""
    docs = {**seed_docs}
    for case in case_docs.values():
        docs.update(case)
    return list(docs.values())


@pytest.fixture(scope="module")
def unrelated_pool(case_docs) -> list[Document]:
    """Real articles about other stories than the seeds'."""
    docs = {**case_docs["chrome"], **case_docs["cjk"]}
    docs.update({k: v for k, v in case_docs["page"].items() if k.startswith("carried_")})
    return list(docs.values())


@PROPERTY
@given(data=st.data())
def test_input_order_does_not_change_the_report(seeds_and_page, data):
    """Any order of the seeds and page documents gives byte-identical JSON."""
    baseline = to_json(find_duplicates(seeds_and_page))
    shuffled = data.draw(st.permutations(seeds_and_page))
    assert to_json(find_duplicates(shuffled)) == baseline


@PROPERTY
@given(
    data=st.data(),
    invented=st.lists(invented_articles, max_size=8),
    junk=st.lists(any_text, max_size=4),
)
def test_adding_unrelated_documents_keeps_the_seeds_cluster(seed_docs, unrelated_pool, data, invented, junk):
    """Unrelated articles (real, invented, or any text at all) added to the seeds leave their cluster
    whole, with 001 as original. The corpus stays under rare_min_docs here; past it, see
    test_pipeline.test_unrelated_documents_past_rare_min_docs_keep_the_seeds_cluster."""
    real = data.draw(st.lists(st.sampled_from(unrelated_pool), unique_by=lambda d: d.id))
    extra = [
        *real,
        *(Document(f"invented_{i}", text) for i, text in enumerate(invented)),
        *(Document(f"junk_{i}", text) for i, text in enumerate(junk)),
    ]
    assert len(seed_docs) + len(extra) < Config().rare_min_docs
    docs = data.draw(st.permutations([*seed_docs.values(), *extra]))
    report = find_duplicates(docs)
    seeds = [c for c in report.clusters if ORIGINAL in c.ids and "000_159ea15f3dd1f5af.txt" in c.ids]
    assert len(seeds) == 1
    assert sorted(seeds[0].ids) == sorted(seed_docs)
    assert seeds[0].representative == ORIGINAL


@PROPERTY
@given(data=st.data(), copy_id=st.from_regex(r"\A[a-z0-9_.~-]{1,16}\Z"))
def test_an_exact_copy_is_always_clustered_with_its_document(pool, data, copy_id):
    """A copy of any document shares a cluster with it; there the copy is identical to the original,
    or the original is identical to it, or it relates to the original exactly as its source does."""
    source = data.draw(st.sampled_from(pool))
    ids = {d.id for d in pool}
    if copy_id in ids:
        copy_id += "_copy"
    report = find_duplicates([*pool, Document(copy_id, source.text)])
    shared = [c for c in report.clusters if source.id in c.ids and copy_id in c.ids]
    assert shared
    assert all(m.relation in RELATIONS for c in report.clusters for m in c.members)
    for cluster in shared:
        relation = {m.id: m.relation for m in cluster.members}
        assert (
            relation[copy_id] == "identical"
            and relation[source.id] == "original"
            or relation[copy_id] == "original"
            and relation[source.id] == "identical"
            or relation[copy_id] == relation[source.id]
        ), relation


@PROPERTY
@given(text=invented_articles, copy_id=st.from_regex(r"\A[a-z0-9_]{1,12}\Z"))
def test_a_copy_of_a_lone_article_is_an_identical_pair(seed_docs, text, copy_id):
    """An article in no cluster, copied: a new cluster of exactly the two, original and identical."""
    lone = Document("lone_article", text)
    if copy_id == lone.id:
        copy_id += "_2"
    report = find_duplicates([*seed_docs.values(), lone, Document(copy_id, text)])
    (pair,) = [c for c in report.clusters if lone.id in c.ids]
    assert sorted(pair.ids) == sorted([lone.id, copy_id])
    assert sorted(m.relation for m in pair.members) == ["identical", "original"]
