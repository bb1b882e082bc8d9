"""Briefs: short texts that repeat a story's headline join its cluster, and nothing else does."""

from __future__ import annotations

import json

from news_dedupe.cli import cli
from news_dedupe.config import Config
from news_dedupe.document import Document
from news_dedupe.pipeline import find_duplicates


def body(topic: str, n: int) -> str:
    """A distinct article of four sentences about `topic` (number n)."""
    return "\n\n".join(
        f"The {topic} inquiry number {n} heard on day {k} that witness {n * 7 + k} of district {n} "
        f"had seen the contract {n}-{k} signed in the office of the council in the spring."
        for k in range(1, 5)
    )


def test_a_brief_joins_the_story_whose_headline_it_repeats(case_docs):
    report = find_duplicates(case_docs["brief"].values())
    [cluster] = report.clusters
    relations = {m.id: m.relation for m in cluster.members}
    assert relations == {
        "ferries_original": "original",
        "ferries_syndicated": "identical",
        "ferries_alert": "brief",
        "ferries_alert_respelled": "brief",
    }
    alert = next(m for m in cluster.members if m.id == "ferries_alert_respelled")
    assert 'repeats the headline "storm halts dover ferries for a second day"' in alert.scores.reason
    assert 0.8 <= alert.scores.similarity < 1.0  # respelled words cost a little
    assert report.too_short == ["museum_alert"]  # a headline nothing in the batch carries


def test_a_brief_joins_one_cluster_only():
    """Two different stories under one templated headline stay apart; the brief that repeats it
    goes with one of them, never links them."""
    docs = [
        Document("markets_monday", "Markets close higher\n\n" + body("harbour", 1)),
        Document("markets_tuesday", "Markets close higher\n\n" + body("railway", 2)),
        Document("alert", "NEW YORK (Wire) - Markets close higher, Reuters reported on Tuesday."),
    ]
    report = find_duplicates(docs)
    holding = [c.ids for c in report.clusters if "alert" in c.ids]
    assert len(holding) == 1
    assert not any({"markets_monday", "markets_tuesday"} <= set(c.ids) for c in report.clusters)


def test_site_chrome_at_the_top_of_many_articles_is_no_headline():
    """A line found at the top of more documents than a rare word may be is site chrome: a short
    text made of it joins nothing."""
    chrome = "Share this story on Facebook Twitter and Email today"
    docs = [
        Document(f"story_{n:02d}", f"{chrome}\n\nHeadline number {n} of the day\n\n{body('water', n)}")
        for n in range(12)
    ]
    docs.append(Document("chrome_only", f"{chrome}, Reuters reported"))
    report = find_duplicates(docs)
    assert "chrome_only" in report.too_short
    assert not any("chrome_only" in c.ids for c in report.clusters)


def test_brief_match_zero_reports_every_short_text_as_too_short(case_docs):
    report = find_duplicates(case_docs["brief"].values(), Config(brief_match=0.0))
    assert report.too_short == ["ferries_alert", "ferries_alert_respelled", "museum_alert"]
    assert all(m.relation != "brief" for c in report.clusters for m in c.members)


def test_brief_in_the_json_report(runner, cases_dir):
    result = runner.invoke(cli, [str(cases_dir / "brief.txt"), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    members = {m["id"]: m for c in data["clusters"] for m in c["members"]}
    assert members["ferries_alert"]["relation"] == "brief"
    assert members["ferries_alert"]["similarity"] == 1.0
    assert data["too_short"] == ["museum_alert"]
    result = runner.invoke(cli, [str(cases_dir / "brief.txt"), "--brief-match", "0", "--format", "json"])
    assert json.loads(result.stdout)["too_short"] == [
        "ferries_alert",
        "ferries_alert_respelled",
        "museum_alert",
    ]


def test_copies_of_a_brief_that_matches_nothing_are_one_cluster(case_docs):
    museum = case_docs["brief"]["museum_alert"]
    report = find_duplicates([*case_docs["brief"].values(), Document("museum_again", museum.text)])
    [pair] = [c for c in report.clusters if "museum_alert" in c.ids]
    assert [(m.id, m.relation) for m in pair.members] == [
        ("museum_again", "original"),
        ("museum_alert", "identical"),
    ]
    assert report.too_short == []


def test_explain_a_brief(runner, cases_dir):
    """explain names the head line a brief repeats, and says why another article's does not count."""
    corpus = str(cases_dir / "brief.txt")
    result = runner.invoke(cli, ["explain", corpus, "--pair", "ferries_alert_respelled", "ferries_original"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ferries_alert_respelled ~ ferries_original: DUPLICATES\n")
    assert "the brief's best head-line match: yes" in result.stdout
    assert "B: storm halts dover ferries for a second day" in result.stdout
    result = runner.invoke(
        cli, ["explain", corpus, "--pair", "port_reopens", "ferries_alert", "--format", "json"]
    )
    data = json.loads(result.stdout)
    assert (data["duplicate"], data["brief"], data["candidate"]) == (False, True, False)
    assert data["reason"] == "a brief: it repeats the headline of ferries_original (1.00), not this one's"
    assert data["shared"][0]["a"] == "dover port reopens as winds ease"
    result = runner.invoke(cli, ["explain", corpus, "--pair", "museum_alert", "ferries_alert"])
    assert result.exit_code == 2 and "museum_alert: too short to judge" in result.stderr


def _toolbar_article() -> str:
    return (
        "Google's toolbar sparks concern\n\n"
        "A new version of the search company's browser toolbar that adds links to web pages has "
        "worried publishers, who say the feature changes their pages without asking them first.\n\n"
        "The company said the links were only shown to people who chose to switch the feature on, "
        "and that it would listen to what site owners had to say about it.\n"
    )


def test_a_four_word_headline_item_joins_its_story():
    """A headline-only item of four or five words that repeats an article's headline joins it."""
    docs = [
        Document("toolbar", _toolbar_article()),
        Document("alert", "Google's toolbar sparks concern"),
        Document("breaking", "BREAKING: Google's toolbar sparks concern"),
    ]
    report = find_duplicates(docs)
    [cluster] = report.clusters
    assert {m.id: m.relation for m in cluster.members} == {
        "toolbar": "original",
        "alert": "brief",
        "breaking": "brief",
    }


def test_a_dateline_and_a_fragment_joins_nothing():
    """A short item that is a dateline and a piece of a headline names no story."""
    docs = [
        Document("toolbar", _toolbar_article()),
        Document("fragment", "LONDON - Google's toolbar sparks"),  # 0.86 of the headline
        Document("fragment2", "AP - Google toolbar sparks"),
    ]
    report = find_duplicates(docs)
    assert report.clusters == []
    assert sorted(report.too_short) == ["fragment", "fragment2"]
