"""news_dedupe.cli: the `dedupe eval` and `dedupe explain` commands, their reports and errors."""

from __future__ import annotations

import json

import pytest

from news_dedupe.cli import EXIT_ERROR, cli

ORIGINAL = "001_0cbfd229ab594fd8.txt"
TRANSLATED = "004_e12faccc1f133855.txt"
PAGE = "003_c4c92065ccfd9160.txt"


def invoke(runner, *args, ok=True):
    """Run `dedupe ARGS`; on happy paths let exceptions through (catch_exceptions=False)."""
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=not ok)


@pytest.fixture
def seeds(seeds_path) -> str:
    return str(seeds_path)


@pytest.fixture(scope="session")
def gold_dir(fixtures_dir):
    return fixtures_dir / "gold"


@pytest.fixture
def seeds_gold(gold_dir) -> str:
    """Gold of the seeds: one story: a summary, garbled, syndicated and translated version of the original."""
    return str(gold_dir / "seeds.gold.jsonl")


@pytest.fixture
def page_args(gold_dir, cases_dir) -> list[str]:
    """The page case against a gold that puts two carried stories together and leaves Serbia off the page."""
    return ["eval", "--gold", str(gold_dir / "page_mislabelled.gold.jsonl"), str(cases_dir / "page.txt")]


# -- eval --------------------------------------------------------------------------------------


def test_eval_seeds_text(runner, seeds, seeds_gold):
    """The seeds score perfectly against their gold, one recall line per kind, sorted; stderr is quiet."""
    result = invoke(runner, "eval", "--gold", seeds_gold, seeds)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "documents 5  gold pairs 10  reported pairs 10",
        "  recall garbled        1/1 = 1.000",
        "  recall summary        1/1 = 1.000",
        "  recall syndicated     1/1 = 1.000",
        "  recall translated     1/1 = 1.000",
        "precision 1.0000  recall 1.0000  F1 1.0000  false pairs 0  missed pairs 0",
    ]


def test_eval_seeds_json(runner, seeds, seeds_gold):
    """`--format json` prints one object with the scores, recall by kind and the run's config."""
    result = invoke(runner, "eval", "--gold", seeds_gold, seeds, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["precision"], data["recall"], data["f1"]) == (1.0, 1.0, 1.0)
    assert data["recall_by_kind"] == {
        kind: {"found": 1, "total": 1} for kind in ("garbled", "summary", "syndicated", "translated")
    }
    assert (data["gold_pairs"], data["reported_pairs"]) == (10, 10)
    assert (data["missed"], data["false"], data["missed_pairs"], data["false_pairs"]) == ([], [], 0, 0)
    assert data["negatives_merged"] == {} and data["unknown_ids"] == []
    assert data["config"]["min_words"] == 20


def test_eval_lists_false_pairs_nearest_to_a_threshold_first(runner, seeds, tmp_path):
    """Against a gold where the seeds are five stories, all ten reported pairs are false, listed
    nearest to a threshold (--contained, --rewrite, --lead) first, not highest similarity first."""
    from news_dedupe.config import Config
    from news_dedupe.evaluate import threshold_distance

    gold = tmp_path / "apart.gold.jsonl"
    ids = ["000_159ea15f3dd1f5af.txt", ORIGINAL, "002_456f058fb562b431.txt", PAGE, TRANSLATED]
    gold.write_text("".join(json.dumps({"id": i, "clusters": [i]}) + "\n" for i in ids), encoding="utf-8")
    result = invoke(runner, "eval", "--gold", gold, seeds, "--format", "json", "--show", "10")
    false = json.loads(result.stdout)["false"]
    assert len(false) == 10
    distances = [round(threshold_distance(r["similarity"], Config()), 4) for r in false]
    assert distances == sorted(distances)
    assert [r["similarity"] for r in false] != sorted((r["similarity"] for r in false), reverse=True)


def test_eval_lists_missed_and_false_pairs(runner, page_args):
    """A gold claiming a false pair lists it as missed, an unlabelled true pair as false, with scores."""
    result = invoke(runner, *page_args)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    missed = [line for line in lines if line.startswith("  missed: ")]
    false = [line for line in lines if line.startswith("  false: ")]
    assert missed == [
        "  missed: carried_greece ~ carried_minnesota  similarity 0.06  "
        "only 0.06 of the shorter text matches, in one block: a shared passage, not one story"
    ]
    assert false == [
        f"  false: {PAGE} ~ carried_serbia  similarity 0.94  "
        "0.94 of the shorter text is found in order in the other"
    ]
    assert lines[-1] == "precision 0.7500  recall 0.7500  F1 0.7500  false pairs 1  missed pairs 1"


def test_eval_show_zero_hides_pairs(runner, page_args):
    """`--show 0` lists no pair, only how many were left out; the scores are unchanged."""
    result = invoke(runner, *page_args, "--show", "0")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "  missed: ... 1 more" in lines and "  false: ... 1 more" in lines
    assert not any("~" in line for line in lines)
    assert lines[-1] == "precision 0.7500  recall 0.7500  F1 0.7500  false pairs 1  missed pairs 1"


def test_eval_json_missed_pairs_scored(runner, page_args):
    """In JSON, missed and false pairs carry their scores, decision and reason."""
    result = invoke(runner, *page_args, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    (missed,) = data["missed"]
    assert (missed["a"], missed["b"], missed["duplicate"]) == ("carried_greece", "carried_minnesota", False)
    assert missed["similarity"] == pytest.approx(0.06, abs=0.01)
    assert missed["reason"].endswith("a shared passage, not one story")
    (false,) = data["false"]
    assert (false["a"], false["b"], false["duplicate"]) == (PAGE, "carried_serbia", True)
    assert (data["missed_pairs"], data["false_pairs"]) == (1, 1)


def test_eval_gold_id_not_in_input(runner, seeds, tmp_path):
    """A gold pair with a document missing from the input is missed, with a reason instead of scores."""
    gold = tmp_path / "gold.jsonl"
    rows = [{"id": ORIGINAL, "clusters": ["s"]}, {"id": "elsewhere.txt", "clusters": ["s"]}]
    gold.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    result = invoke(runner, "eval", "--gold", gold, seeds)
    assert result.exit_code == 0
    reason = "not compared: a document is too short or missing from the input"
    assert f"  missed: {ORIGINAL} ~ elsewhere.txt  {reason}" in result.stdout.splitlines()


def test_eval_missing_gold(runner, seeds, tmp_path):
    """A missing gold file: exit 2 and one `error:` line naming it, nothing on stdout."""
    gold = tmp_path / "absent.jsonl"
    result = invoke(runner, "eval", "--gold", gold, seeds, ok=False)
    assert result.exit_code == EXIT_ERROR == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {gold}: cannot read gold file (No such file or directory)\n"


def test_eval_malformed_gold(runner, seeds, tmp_path):
    """A malformed gold line: exit 2 and one `error:` line naming the file and line, nothing on stdout."""
    gold = tmp_path / "bad.jsonl"
    gold.write_text(
        json.dumps({"id": ORIGINAL, "clusters": ["s"]}) + '\n{"clusters": ["s"]}\n', encoding="utf-8"
    )
    result = invoke(runner, "eval", "--gold", gold, seeds, ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {gold}: line 2: not a gold record ('id')\n"


# -- explain -----------------------------------------------------------------------------------


def test_explain_seeds_pair_text(runner, seeds):
    """The original and its translated summary: DUPLICATES, why, LSH candidacy, scores, shared passages."""
    result = invoke(runner, "explain", seeds, "--pair", ORIGINAL, TRANSLATED)
    assert result.exit_code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"{ORIGINAL} ~ {TRANSLATED}: DUPLICATES"
    assert lines[1].startswith("  reason: rewrite: 0.51 of the shorter text follows the other in order")
    assert lines[2].startswith("  candidate from LSH: yes (rare-word Jaccard ")
    assert [line.split()[0] for line in lines[3:13]] == [
        "similarity",
        "jaccard",
        "containment",
        "containment_a",
        "containment_b",
        "coverage_a",
        "coverage_b",
        "runs",
        "spread",
        "lead",
    ]
    assert lines[3] == "  similarity     0.5133"
    header = lines[13]
    assert header.startswith("shared passages, in order (")
    count = int(header.rsplit("(", 1)[1].rstrip("):"))
    assert count >= 3
    assert sum(line.startswith("  [") and "] A: " in line for line in lines) == count
    assert sum(line.startswith("         B: ") for line in lines) == count


def test_explain_seeds_pair_json(runner, seeds):
    """`--format json` has the decision, reason, LSH candidacy, scores and the shared passages."""
    result = invoke(runner, "explain", seeds, "--pair", ORIGINAL, TRANSLATED, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["a"], data["b"], data["duplicate"], data["candidate"]) == (ORIGINAL, TRANSLATED, True, True)
    assert data["reason"].startswith("rewrite: ")
    assert data["similarity"] == pytest.approx(0.51, abs=0.01)
    assert 0 < data["rare_jaccard"] <= 1
    assert len(data["shared"]) >= 3
    for passage in data["shared"]:
        assert set(passage) == {"a", "b", "similarity"}
        assert 0.4 <= passage["similarity"] <= 1  # at or above --segment-match
    assert "Reuters" in data["shared"][0]["a"]


def test_explain_unrelated_stories(runner, cases_dir):
    """Two stories on the same site share only its chrome: NOT DUPLICATES."""
    result = invoke(
        runner, "explain", cases_dir / "chrome.txt", "--pair", "chrome_minnesota", "chrome_serbia"
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "chrome_minnesota ~ chrome_serbia: NOT DUPLICATES"
    assert lines[1].startswith("  reason: ") and "not one story" in lines[1]


def test_explain_unknown_id(runner, seeds):
    """An id that is not in the input: exit 2 and one `error:` line naming it."""
    result = invoke(runner, "explain", seeds, "--pair", ORIGINAL, "nope.txt", ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "error: nope.txt: no such document in the input\n"


def test_explain_too_short(runner, seed_docs, tmp_path):
    """A document below --min-words: exit 2 and its own message, not "no such document"."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(
        f"==> {ORIGINAL} <==\n{seed_docs[ORIGINAL].text}\n==> brief <==\nIran intervenes again.\n",
        encoding="utf-8",
    )
    result = invoke(runner, "explain", corpus, "--pair", ORIGINAL, "brief", ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "error: brief: too short to judge\n"


def test_eval_on_labelled_pairs(runner, seeds, fixtures_dir):
    """--pairs scores the report on read-and-labelled pairs and lists the DIFFERENT pairs merged
    with the reader's reason and the tool's."""
    result = invoke(runner, "eval", seeds, "--pairs", fixtures_dir / "pairs" / "seeds.tsv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "labelled pairs: SAME 2, DIFFERENT 1, UNSURE 1 (not scored), 1 naming a document not in the input"
    )
    assert lines[1].startswith(f"  merged DIFFERENT: {ORIGINAL} ~ {PAGE}  (deliberately wrong label")
    assert "tool: 0.97 of the shorter text is found in order in the other" in lines[1]
    assert lines[-1] == "precision 0.6667  recall 1.0000  DIFFERENT merged 1  SAME missed 0"


def test_eval_on_labelled_pairs_json(runner, seeds, fixtures_dir):
    """The JSON form carries the same counts and each merged pair's scores."""
    result = invoke(
        runner, "eval", seeds, "--pairs", fixtures_dir / "pairs" / "seeds.tsv", "--format", "json"
    )
    data = json.loads(result.stdout)
    assert (data["precision"], data["recall"], data["different_merged"]) == (0.6667, 1.0, 1)
    assert data["merged"][0]["b"] == PAGE and data["merged"][0]["similarity"] > 0.9
    assert data["absent"] == [[ORIGINAL, "not-in-the-input.txt"]]


def test_eval_pairs_with_a_bad_label_is_exit_2(runner, seeds, fixtures_dir):
    """A label other than SAME, DIFFERENT or UNSURE stops the run with the file and line."""
    path = fixtures_dir / "pairs" / "bad_label.tsv"
    result = invoke(runner, "eval", seeds, "--pairs", path, ok=False)
    assert result.exit_code == EXIT_ERROR
    assert f"{path}: line 2: expected a<TAB>b<TAB>label<TAB>reason" in result.stderr
    assert "Traceback" not in result.stderr


def test_eval_needs_gold_or_pairs_not_both(runner, seeds, seeds_gold, fixtures_dir):
    """One of --gold and --pairs, exactly."""
    pairs = fixtures_dir / "pairs" / "seeds.tsv"
    for args in ((), ("--gold", seeds_gold, "--pairs", pairs)):
        result = invoke(runner, "eval", seeds, *args, ok=False)
        assert result.exit_code == 2
        assert "give one of --gold GOLD.jsonl or --pairs PAIRS.tsv" in result.stderr
