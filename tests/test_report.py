"""news_dedupe.report: one Report rendered as text, JSON, JSON Lines and CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from news_dedupe.cluster import Cluster, Member
from news_dedupe.config import Config
from news_dedupe.pipeline import Report
from news_dedupe.report import (
    CSV_COLUMNS,
    FORMATS,
    HEADLINE_WIDTH,
    SCHEMA_VERSION,
    dropped,
    render,
    summary_line,
    to_csv,
    to_ids,
    to_json,
    to_jsonl,
    to_text,
)
from news_dedupe.verify import PairScores


def scores(member: str, cov_a: float, cov_b: float, reason: str) -> PairScores:
    """Scores oriented a = original ("orig"), b = member."""
    return PairScores("orig", member, 0.61234, 0.7, 0.85, cov_a, cov_b, 3, 0.2, True, True, reason)


@pytest.fixture
def report() -> Report:
    first = Cluster(
        "orig",
        (
            Member("orig", "original", None),
            Member(
                "copy_long_id",
                "near-copy",
                scores("copy_long_id", 0.95, 0.97, "0.97 of the shorter, in order"),
            ),
            Member("sum", "summary", scores("sum", 0.2, 0.8, 'rewrite: "quoted", with comma')),
        ),
    )
    second = Cluster(
        "x",
        (Member("x", "original", None), Member("y", "identical", scores("y", 1.0, 1.0, "identical prose"))),
    )
    return Report(
        config=Config(), documents=7, clusters=[first, second], too_short=["short1", "short2"], skipped=1
    )


@pytest.fixture
def empty() -> Report:
    return Report(config=Config(), documents=3, clusters=[])


def test_text_report_exact(report):
    """Text: a block per cluster, original first, blank lines between, then the summary lines."""
    assert to_text(report) == (
        "c1: 3 versions of one story\n"
        "  original   orig\n"
        "  near-copy  copy_long_id  similarity 0.97  jaccard 0.61  containment 0.85  coverage 0.97/0.95\n"
        "  summary    sum           similarity 0.80  jaccard 0.61  containment 0.85  coverage 0.80/0.20\n"
        "\n"
        "c2: 2 versions of one story\n"
        "  original   x\n"
        "  identical  y  similarity 1.00  jaccard 0.61  containment 0.85  coverage 1.00/1.00\n"
        "\n"
        "7 documents read, 2 clusters, 5 documents in clusters, 2 too short, 1 skipped\n"
        "too short to judge: short1, short2\n"
    )


def test_text_report_without_clusters_is_the_summary(empty):
    """No clusters: the text report is the summary line alone."""
    assert to_text(empty) == "3 documents read, 0 clusters, 0 documents in clusters, 0 too short, 0 skipped\n"


def test_summary_line_singular(report):
    """One cluster is 'cluster', not 'clusters'."""
    report.clusters = report.clusters[:1]
    assert (
        summary_line(report) == "7 documents read, 1 cluster, 3 documents in clusters, 2 too short, 1 skipped"
    )


def test_json_report_schema(report):
    """JSON: version, the config used, counts, and clusters whose members carry relation and scores."""
    data = json.loads(to_json(report))
    assert list(data) == ["version", "config", "documents", "too_short", "skipped", "clusters"]
    assert data["version"] == SCHEMA_VERSION == 1
    assert data["config"] == Config().as_dict()
    assert (data["documents"], data["too_short"], data["skipped"]) == (7, ["short1", "short2"], 1)
    first = data["clusters"][0]
    assert (first["id"], first["representative"], first["size"]) == ("c1", "orig", 3)
    assert first["members"][0] == {
        "id": "orig",
        "relation": "original",
        "similarity": 1.0,
        "jaccard": 1.0,
        "containment": 1.0,
        "coverage": 1.0,
        "coverage_of_original": 1.0,
    }
    assert first["members"][1] == {
        "id": "copy_long_id",
        "relation": "near-copy",
        "similarity": 0.97,
        "jaccard": 0.6123,
        "containment": 0.85,
        "containment_of_original": 0.7,
        "coverage": 0.97,
        "coverage_of_original": 0.95,
        "runs": 3,
        "reason": "0.97 of the shorter, in order",
    }
    assert data["clusters"][1]["id"] == "c2"


def test_json_keeps_non_ascii_and_ends_with_newline():
    """Ids in any script are written as they are, and the document ends with a newline."""
    r = Report(
        Config(),
        2,
        [
            Cluster(
                "北京",
                (
                    Member("北京", "original", None),
                    Member("Ελλάδα", "identical", scores("Ελλάδα", 1, 1, "x")),
                ),
            )
        ],
    )
    text = to_json(r)
    assert "北京" in text and "Ελλάδα" in text
    assert text.endswith("}\n")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.text(alphabet=st.sampled_from('ab\n"\\\u2028\u2029\x85\r\x1c北é '), max_size=6), max_size=3
        ),
        max_size=4,
    )
)
def test_json_written_a_cluster_at_a_time_is_json_dumps_text(groups):
    """The JSON report, built a cluster at a time, is the very text of json.dumps(indent=2) of the
    whole report, whatever the ids hold (line and paragraph separators, quotes, newlines)."""
    clusters = []
    for k, ids in enumerate(groups):
        ids = [f"{k}:{i}:{x}" for i, x in enumerate(ids)] or [f"{k}:only"]
        members = [Member(ids[0], "original", None)] + [
            Member(i, "identical", scores(i, 1, 1, f"why {i}")) for i in ids[1:]
        ]
        clusters.append(Cluster(ids[0], tuple(members)))
    r = Report(config=Config(), documents=9, clusters=clusters, too_short=["a\u2028b"])
    text = to_json(r)
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    assert [[m["id"] for m in c["members"]] for c in json.loads(text)["clusters"]] == [
        c.ids for c in clusters
    ]


def test_jsonl_one_cluster_per_line(report):
    """JSON Lines: each line is one cluster, as in the JSON report."""
    lines = to_jsonl(report).splitlines()
    assert [json.loads(line) for line in lines] == json.loads(to_json(report))["clusters"]


def test_csv_one_member_per_row(report):
    """CSV: a header, then one row per member with its cluster; quotes and commas survive."""
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["cluster"], r["representative"], r["id"], r["relation"]) for r in rows] == [
        ("c1", "orig", "orig", "original"),
        ("c1", "orig", "copy_long_id", "near-copy"),
        ("c1", "orig", "sum", "summary"),
        ("c2", "x", "x", "original"),
        ("c2", "x", "y", "identical"),
    ]
    assert rows[2]["reason"] == 'rewrite: "quoted", with comma'
    assert rows[0]["runs"] == rows[0]["reason"] == ""
    assert float(rows[1]["similarity"]) == 0.97


def test_empty_report_in_every_format(empty):
    """No clusters: JSON with an empty list, JSON Lines empty, CSV the header only."""
    assert json.loads(to_json(empty))["clusters"] == []
    assert to_jsonl(empty) == ""
    assert to_csv(empty) == ",".join(CSV_COLUMNS) + "\n"


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "html"])
def test_render_dispatches_every_format(report, fmt):
    """render() gives each format's renderer output (HTML: tests/test_report_html.py)."""
    renderers = {"text": to_text, "json": to_json, "jsonl": to_jsonl, "csv": to_csv, "ids": to_ids}
    assert render(report, fmt) == renderers[fmt](report)


def test_text_report_shows_headlines_beside_ids(report):
    """With texts, each member's first non-empty line follows its id, cut or padded to one width,
    so the scores stay in line; a member without a text gets a blank column."""
    texts = {
        "orig": "\nMinister resigns after vote\nbody",
        "copy_long_id": "Minister resigns after a vote of no confidence in parliament on Tuesday\nbody",
    }
    lines = to_text(report, texts).split("\n")
    cut = "Minister resigns after a vote of no con…"
    assert len(cut) == HEADLINE_WIDTH
    assert lines[1] == "  original   orig          Minister resigns after vote"
    assert lines[2] == (
        f"  near-copy  copy_long_id  {cut}  similarity 0.97  jaccard 0.61  containment 0.85  "
        "coverage 0.97/0.95"
    )
    assert lines[3].startswith("  summary    sum           " + " " * HEADLINE_WIDTH + "  similarity 0.80")


def member(doc: str, relation: str) -> Member:
    return Member(doc, relation, scores(doc, 0.5, 0.9, relation))


def story(original: str, *members: tuple[str, str]) -> Cluster:
    return Cluster(original, (Member(original, "original", None), *(member(d, r) for d, r in members)))


def test_ids_to_drop_are_every_member_but_the_original():
    """--format ids: the members of each cluster but its original, one a line, sorted, each once."""
    r = Report(
        Config(),
        9,
        [
            story("a", ("a2", "near-copy"), ("page", "extended")),
            story("b", ("b2", "summary"), ("page", "extended")),
        ],
    )
    assert to_ids(r) == "a2\nb2\npage\n"


def test_page_that_is_an_original_elsewhere_is_kept():
    """A page extended in one cluster and the original of another is kept: its story's only full text."""
    r = Report(Config(), 9, [story("a", ("page", "extended")), story("page", ("p-summary", "summary"))])
    assert dropped(r) == ["p-summary"]


def test_member_with_copies_of_its_own_is_dropped():
    """A summary whose word-for-word copies make a cluster of their own is dropped with them: the
    story's original keeps it."""
    r = Report(
        Config(),
        9,
        [story("a", ("s", "summary"), ("s2", "summary")), story("s", ("s2", "identical"))],
    )
    assert dropped(r) == ["s", "s2"]
