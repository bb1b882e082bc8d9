"""The HTML report: one self-contained page, opened in headless Chromium to check what a reviewer
sees (clusters, members, highlighted passages, filters) and that nothing from the input runs."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from news_dedupe.cli import cli
from news_dedupe.config import Config
from news_dedupe.pipeline import Report
from news_dedupe.report import render
from news_dedupe.report_html import script_json
from news_dedupe.texts import prose_spans

CHROMIUM = Path("/usr/bin/chromium")
needs_browser = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is missing (Debian's chromium; .ci/run installs it): "
    "the HTML report cannot be opened in a browser here",
)
FAST = ["--num-perm", "64", "--bands", "32"]
ORIGINAL = "001_0cbfd229ab594fd8.txt"
PAGE = "003_c4c92065ccfd9160.txt"
TITLE = "news-dedupe report"


def run_dedupe(runner, *args: object) -> str:
    result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def chromium(page: Path, tmp_path: Path, fragment: str = "", *extra: str) -> str:
    """Open `page` (with `#fragment`) in headless Chromium, its own throwaway profile, no
    network; return the DOM after the page's script has run."""
    args = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=5000",
        *extra,
        page.as_uri() + (f"#{fragment}" if fragment else ""),
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dom(page: Path, tmp_path: Path, fragment: str = "") -> lxml_html.HtmlElement:
    return lxml_html.fromstring(chromium(page, tmp_path, fragment, "--dump-dom"))


def text_of(node: lxml_html.HtmlElement) -> str:
    return node.text_content()


def C(name: str) -> str:
    """An XPath test for an element of class `name`."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


@pytest.fixture(scope="module")
def seeds_report(tmp_path_factory, seeds_path) -> Path:
    """`dedupe fixtures/seeds.txt --format html -o report.html`."""
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("html") / "report.html"
    run_dedupe(CliRunner(), seeds_path, "--format", "html", "-o", out)
    return out


@pytest.fixture(scope="module")
def seeds_json(seeds_path) -> dict:
    from click.testing import CliRunner

    return json.loads(run_dedupe(CliRunner(), seeds_path, "--format", "json"))


@pytest.fixture(scope="module")
def injection_report(tmp_path_factory, fixtures_dir) -> Path:
    """The report of two documents whose texts hold <script> and <img onerror> markup, one of
    them with such an id; every payload would mark the page (data-pwned) or retitle it."""
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("html") / "injection.html"
    run_dedupe(CliRunner(), fixtures_dir / "html" / "injection.jsonl", "--format", "html", "-o", out)
    return out


# -- the page as written -----------------------------------------------------------------------


def test_script_json_cannot_close_its_script_element():
    """JSON for a script element has no <, > or &, and reads back as the same value."""
    value = {"text": "</script><script>alert(1)</script><!-- & \u2028"}
    text = str(script_json(value))
    assert not set("<>&") & set(text) and "\u2028" not in text
    assert json.loads(text) == value


def test_html_report_is_self_contained(seeds_report):
    """No stylesheet, script, image or font is fetched: no src or href leaves the page, and the
    Content-Security-Policy forbids any load."""
    page = seeds_report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<link" not in page and "@import" not in page
    policy = lxml_html.fromstring(page).xpath("//meta[@http-equiv='Content-Security-Policy']")[0]
    assert policy.get("content").startswith("default-src 'none'; script-src 'sha256-")


def test_html_report_is_deterministic(runner, seeds_path, tmp_path):
    """Two runs write the same bytes."""
    first, second = tmp_path / "1.html", tmp_path / "2.html"
    run_dedupe(runner, seeds_path, "--format", "html", "-o", first)
    run_dedupe(runner, seeds_path, "--format", "html", "-o", second, "--jobs", "1")
    assert first.read_bytes() == second.read_bytes()


def test_html_report_to_stdout(runner, seeds_path, seeds_report):
    """Without -o the page goes to stdout, the same as the file."""
    assert run_dedupe(runner, seeds_path, "--format", "html") == seeds_report.read_text(encoding="utf-8")


def test_html_report_without_texts_lists_members():
    """A library caller may render without texts: members are listed, without passages."""
    page = render(Report(config=Config(), documents=0, clusters=[]), "html")
    assert page.startswith("<!DOCTYPE html>") and '"clusters":[]' in page


def test_check_html_marks_indexed_members(runner, seed_docs, tmp_path):
    """`dedupe check --format html`: indexed members carry when and from where they were added."""
    index, original = tmp_path / "index.db", tmp_path / "original.txt"
    original.write_text(seed_docs[ORIGINAL].text, encoding="utf-8")
    run_dedupe(runner, "index", "add", "--index", index, original, *FAST)
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"id": "copy", "text": seed_docs[ORIGINAL].text}) + "\n", encoding="utf-8")
    page = run_dedupe(runner, "check", "--index", index, batch, "--format", "html", *FAST)
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page).group(1))
    notes = {d["id"]: d["note"] for d in data["docs"]}
    (indexed,) = set(notes) - {"copy"}
    assert notes["copy"] == "" and indexed.endswith("original.txt")
    assert re.fullmatch(rf"indexed \S+ from {re.escape(str(original))}", notes[indexed])
    assert "checked against" in page
    ids = run_dedupe(runner, "check", "--index", index, batch, "--format", "ids", *FAST).split()
    summary = lxml_html.fromstring(page).xpath("//*[@id='summary']/li")
    assert [li.text_content() for li in summary if "to drop" in li.text_content()] == [
        f"{len(ids)} to drop (--format ids)"
    ]


# -- the page in a browser ---------------------------------------------------------------------


@needs_browser
def test_seeds_page_lists_the_cluster_and_its_members(seeds_report, seeds_json, tmp_path):
    """The summary counts, one cluster, and each member with its relation, id, headline and scores."""
    page = dom(seeds_report, tmp_path)
    assert [text_of(li) for li in page.xpath("//*[@id='summary']/li")][:3] == [
        "5 documents read",
        "1 cluster",
        "5 documents in clusters",
    ]
    assert [c.get("id") for c in page.xpath(f"//section[{C('cluster')}]")] == ["c1"]
    members = page.xpath(f"//section[{C('cluster')}]//details[{C('member')}]")
    expected = seeds_json["clusters"][0]["members"]
    assert [(m.get("data-doc"), m.get("data-relation")) for m in members] == [
        (e["id"], e["relation"]) for e in expected
    ]
    first_summary = members[1].xpath("summary")[0]
    assert "SULAIMANI (ESTA)" in text_of(first_summary.xpath(f".//*[{C('headline')}]")[0])
    assert f"{expected[1]['similarity']:.2f}" in text_of(first_summary)
    assert text_of(page.xpath("//*[@id='count']")[0]) == "1 of 1 cluster"


@needs_browser
def test_comparison_highlights_the_shared_passages(seeds_report, seeds_json, seed_docs, tmp_path):
    """#open=c1 shows each member beside its original; every highlighted passage of the member
    has its partner in the original, and each is a prose segment the alignment matched."""
    page = dom(seeds_report, tmp_path, "open=c1")
    pairs = page.xpath(f"//details[{C('member')} and @open]//*[{C('pair')}]")
    assert len(pairs) == 4
    config = Config()
    for pair in pairs:
        left, right = pair.xpath(f"*[{C('side')}]")
        member_id = text_of(right.xpath("h3")[0]).split(": ", 1)[1]
        marks_a, marks_b = left.xpath(".//mark"), right.xpath(".//mark")
        assert marks_a and marks_b
        assert {m.get("data-k") for m in marks_b} <= {m.get("data-k") for m in marks_a}
        segments = {seed_docs[member_id].text[a:b] for a, b in prose_spans(seed_docs[member_id].text, config)}
        assert {text_of(m) for m in marks_b} <= segments
        assert text_of(right.xpath(f"*[{C('text')}]")[0]) == seed_docs[member_id].text
    assert text_of(pairs[0].xpath(f"*[{C('side')}]/h3")[0]) == f"original: {ORIGINAL}"


@needs_browser
def test_relation_filter_hides_the_other_members(seeds_report, tmp_path):
    """#relation=extended keeps the clusters with an extended member and, in them, the original
    and that member; a relation no cluster has leaves none."""
    page = dom(seeds_report, tmp_path, "relation=extended")
    members = page.xpath(f"//section[{C('cluster')}]//details[{C('member')}]")
    assert [m.get("data-relation") for m in members] == ["original", "extended"]
    assert members[1].get("data-doc") == PAGE
    assert (
        text_of(page.xpath(f"//*[{C('hidden-note')}]")[0]) == "3 other members hidden by the relation filter"
    )
    empty = dom(seeds_report, tmp_path, "relation=near-copy")
    assert empty.xpath(f"//section[{C('cluster')}]") == []
    assert text_of(empty.xpath("//*[@id='count']")[0]) == "0 of 1 cluster"


@needs_browser
def test_search_finds_clusters_by_headline_or_id(seeds_report, tmp_path):
    """#q= keeps the clusters where a member's id or headline holds the words, marking that member."""
    page = dom(seeds_report, tmp_path, "q=Connect%20with")
    hits = page.xpath(f"//details[{C('member')} and {C('hit')}]")
    assert [h.get("data-doc") for h in hits] == [PAGE]
    assert len(page.xpath(f"//details[{C('member')}]")) == 5
    none = dom(seeds_report, tmp_path, "q=no%20such%20story")
    assert none.xpath(f"//section[{C('cluster')}]") == [] and text_of(
        none.xpath(f"//main/p[{C('empty')}]")[0]
    )


@needs_browser
def test_screenshot_of_the_report(seeds_report, tmp_path):
    """Chromium draws the page (saved as report.png under tmp_path for a look)."""
    shot = tmp_path / "report.png"
    chromium(seeds_report, tmp_path, "open=c1", f"--screenshot={shot}", "--window-size=1280,900")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


@pytest.mark.parametrize("policy", ["with-csp", "without-csp"])
@needs_browser
def test_markup_in_documents_and_ids_does_not_run(injection_report, tmp_path, policy):
    """<script> and <img onerror> in a text or an id show as text and never run, even with the
    page's Content-Security-Policy taken out (the escaping alone holds)."""
    page = injection_report
    if policy == "without-csp":
        page = tmp_path / "no-csp.html"
        text = injection_report.read_text(encoding="utf-8")
        text, found = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
        assert found == 1
        page.write_text(text, encoding="utf-8")
    tree = dom(page, tmp_path, "open=c1")
    assert tree.get("data-pwned") is None
    assert text_of(tree.xpath("//title")[0]) == TITLE
    assert tree.xpath("//img") == []
    assert len(tree.xpath("//script")) == 1 + 1 + 2  # the page's script, its data, two texts
    shown = " ".join(text_of(t) for t in tree.xpath(f"//*[{C('text')}]"))
    assert "<script>document.title='pwned';" in shown and "</script><script>" in shown
    assert "<img src=x onerror=" in shown
    ids = [d.get("data-doc") for d in tree.xpath(f"//details[{C('member')}]")]
    assert "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','id')\">" in ids
    assert tree.get("data-ready") is not None  # the page's own script did run
