"""news_dedupe.evaluate: reading gold files, pairs of groups, and pairwise precision/recall/F1."""

from __future__ import annotations

import json

import pytest

from news_dedupe.cluster import Cluster, Member
from news_dedupe.config import PRESETS, Config
from news_dedupe.errors import InputError
from news_dedupe.evaluate import (
    Evaluation,
    GoldDoc,
    evaluate,
    nearest_threshold_first,
    pairs_of,
    read_gold,
    threshold_distance,
)


def cluster(*ids: str) -> Cluster:
    """A reported cluster of IDS, the first one its original (scores do not matter here)."""
    members = tuple(Member(i, "original" if n == 0 else "near-copy", None) for n, i in enumerate(ids))
    return Cluster(ids[0], members)


def gold(*docs: GoldDoc) -> dict[str, GoldDoc]:
    return {d.id: d for d in docs}


def write_lines(path, lines: list[str]) -> str:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


# -- read_gold ---------------------------------------------------------------------------------


def test_read_gold_valid_file(tmp_path):
    """Every field is read, optional ones default, blank lines are skipped, ids and clusters become str."""
    path = write_lines(
        tmp_path / "g.jsonl",
        [
            json.dumps({"id": "a", "clusters": ["s1"]}),
            "",
            "   ",
            json.dumps({"id": "b", "clusters": ["s1", "s2"], "kind": "summary", "source": "a"}),
            json.dumps({"id": 7, "clusters": [3], "kind": "followup", "source": 8, "negative": True}),
            json.dumps({"id": "c", "clusters": None}),
        ],
    )
    assert read_gold(path) == {
        "a": GoldDoc("a", ["s1"]),
        "b": GoldDoc("b", ["s1", "s2"], kind="summary", source="a"),
        "7": GoldDoc("7", ["3"], kind="followup", source="8", negative=True),
        "c": GoldDoc("c", []),
    }


def test_read_gold_empty_file(tmp_path):
    """An empty gold file is read as no documents, not an error."""
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    assert read_gold(str(path)) == {}


def test_read_gold_malformed_json_names_file_and_line(tmp_path):
    """A line that is not JSON is an InputError naming the file and its line number (blank lines counted)."""
    path = write_lines(tmp_path / "g.jsonl", [json.dumps({"id": "a", "clusters": ["s"]}), "", "{not json"])
    with pytest.raises(InputError) as info:
        read_gold(path)
    assert str(info.value) == (
        f"{path}: line 3: not a gold record (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))"
    )


@pytest.mark.parametrize(
    "line",
    [
        '{"clusters": ["s"]}',  # no id
        '["a", ["s"]]',  # not an object
        '"a"',
        "42",
        '{"id": "a", "clusters": 5}',  # clusters not a list
    ],
)
def test_read_gold_not_a_record(tmp_path, line):
    """Valid JSON that is not a gold record is an InputError naming the file and line, not a crash."""
    path = write_lines(tmp_path / "g.jsonl", [json.dumps({"id": "a", "clusters": ["s"]}), line])
    with pytest.raises(InputError) as info:
        read_gold(path)
    assert str(info.value).startswith(f"{path}: line 2: not a gold record (")


def test_read_gold_missing_file(tmp_path):
    """A missing gold file is an InputError naming it and saying why."""
    path = str(tmp_path / "absent.jsonl")
    with pytest.raises(InputError) as info:
        read_gold(path)
    assert str(info.value) == f"{path}: cannot read gold file (No such file or directory)"


def test_read_gold_not_utf8(tmp_path):
    """A gold file that is not UTF-8 is an InputError naming the file, not a UnicodeDecodeError."""
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "a", "clusters": ["s"]}\n{"id": "caf\xe9", "clusters": ["s"]}\n')
    with pytest.raises(InputError, match=f"^{str(path)}: "):
        read_gold(str(path))


def test_read_gold_clusters_string_rejected(tmp_path):
    """A clusters field that is a string, not a list, is an InputError, not one cluster per character."""
    path = write_lines(tmp_path / "g.jsonl", [json.dumps({"id": "a", "clusters": "story"})])
    with pytest.raises(InputError, match="line 1: not a gold record"):
        read_gold(path)


# -- pairs_of ----------------------------------------------------------------------------------


def test_pairs_of_sorted_unique_pairs():
    """Each group gives every unordered pair once, smaller id first; repeats and singletons add nothing."""
    assert pairs_of([["c", "a", "b"], ["d"], ["b", "a", "a"], []]) == {("a", "b"), ("a", "c"), ("b", "c")}


def test_pairs_of_overlapping_groups_do_not_chain():
    """A document in two groups pairs with both groups' members, but the groups are not linked."""
    assert pairs_of([["page", "x"], ["page", "y"]]) == {("page", "x"), ("page", "y")}


def test_pairs_of_nothing():
    """No groups, no pairs."""
    assert pairs_of([]) == set()


# -- evaluate ----------------------------------------------------------------------------------


def test_evaluate_perfect():
    """Clusters equal to the gold stories score 1.0 everywhere, with nothing missed or false."""
    g = gold(GoldDoc("a", ["s"]), GoldDoc("b", ["s"]), GoldDoc("c", ["s"]), GoldDoc("z", ["other"]))
    result = evaluate([cluster("a", "b", "c")], g)
    assert (result.precision, result.recall, result.f1) == (1.0, 1.0, 1.0)
    assert (result.gold_pairs, result.reported_pairs) == (3, 3)
    assert result.missed == [] and result.false == [] and result.unknown_ids == []


def test_evaluate_partial():
    """One true pair of two reported, three gold: precision 1/2, recall 1/3, F1 2/5, pairs listed."""
    g = gold(GoldDoc("a", ["s"]), GoldDoc("b", ["s"]), GoldDoc("c", ["s"]))
    result = evaluate([cluster("a", "b"), cluster("c", "d")], g)
    assert result.precision == pytest.approx(1 / 2)
    assert result.recall == pytest.approx(1 / 3)
    assert result.f1 == pytest.approx(2 / 5)
    assert (result.gold_pairs, result.reported_pairs) == (3, 2)
    assert result.missed == [("a", "c"), ("b", "c")]
    assert result.false == [("c", "d")]
    assert result.unknown_ids == ["d"]


def test_evaluate_page_in_several_gold_stories():
    """A page in two gold stories pairs with each: in both clusters is perfect, merging them is not."""
    g = gold(GoldDoc("page", ["s1", "s2"]), GoldDoc("x", ["s1"]), GoldDoc("y", ["s2"]))
    assert evaluate([cluster("x", "page"), cluster("y", "page")], g).f1 == 1.0
    merged = evaluate([cluster("x", "page", "y")], g)
    assert merged.false == [("x", "y")]
    assert merged.precision == pytest.approx(2 / 3) and merged.recall == 1.0


def test_evaluate_recall_by_kind():
    """Each document with a kind and a source counts one pair of its kind, found in either id order."""
    g = gold(
        GoldDoc("orig", ["s"]),
        GoldDoc("b_sum", ["s"], kind="summary", source="orig"),
        GoldDoc("a_sum", ["s"], kind="summary", source="orig"),
        GoldDoc("tr", ["s"], kind="translated", source="orig"),
        GoldDoc("nokind", ["s"], source="orig"),
        GoldDoc("nosource", ["s"], kind="garbled"),
    )
    result = evaluate([cluster("orig", "b_sum", "nokind", "nosource")], g)
    assert result.recall_by_kind == {"summary": (1, 2), "translated": (0, 1)}
    assert result.negatives_merged == {}


def test_evaluate_negatives_merged():
    """Hard negatives are tallied by kind apart from recall, counting those the report wrongly merged."""
    g = gold(
        GoldDoc("orig", ["s"]),
        GoldDoc("copy", ["s"], kind="syndicated", source="orig"),
        GoldDoc("f1", ["f1"], kind="followup", source="orig", negative=True),
        GoldDoc("f2", ["f2"], kind="followup", source="orig", negative=True),
        GoldDoc("t", ["t"], kind="same-topic", source="orig", negative=True),
    )
    result = evaluate([cluster("orig", "copy", "f1")], g)
    assert result.negatives_merged == {"followup": (1, 2), "same-topic": (0, 1)}
    assert result.recall_by_kind == {"syndicated": (1, 1)}
    assert result.false == [("copy", "f1"), ("f1", "orig")]


def test_evaluate_no_gold_pairs():
    """With no gold pairs recall is 1.0 by definition; every reported pair is false."""
    g = gold(GoldDoc("a", ["s1"]), GoldDoc("b", ["s2"]))
    result = evaluate([cluster("a", "b")], g)
    assert (result.precision, result.recall, result.f1) == (0.0, 1.0, 0.0)
    assert result.gold_pairs == 0 and result.false == [("a", "b")]


def test_evaluate_no_reported_pairs():
    """With nothing reported precision is 1.0 by definition; every gold pair is missed."""
    g = gold(GoldDoc("a", ["s"]), GoldDoc("b", ["s"]))
    result = evaluate([], g)
    assert (result.precision, result.recall, result.f1) == (1.0, 0.0, 0.0)
    assert result.reported_pairs == 0 and result.missed == [("a", "b")]


def test_evaluate_nothing_at_all():
    """No gold pairs and no reported pairs is a perfect score, not a division by zero."""
    result = evaluate([], gold(GoldDoc("a", ["s"])))
    assert (result.precision, result.recall, result.f1) == (1.0, 1.0, 1.0)


def test_evaluate_unknown_ids():
    """Reported ids absent from the gold are listed once, sorted; they still count as false pairs."""
    g = gold(GoldDoc("a", ["s"]), GoldDoc("b", ["s"]))
    result = evaluate([cluster("a", "b", "zz"), cluster("b", "yy")], g)
    assert result.unknown_ids == ["yy", "zz"]
    assert result.false == [("a", "zz"), ("b", "yy"), ("b", "zz")]


def test_as_dict_rounds_and_names_fields():
    """as_dict rounds scores to four places and spells the kind tallies out."""
    result = Evaluation(
        precision=2 / 3,
        recall=1 / 3,
        f1=4 / 9,
        gold_pairs=3,
        reported_pairs=2,
        recall_by_kind={"summary": (1, 2)},
        negatives_merged={"followup": (0, 1)},
        missed=[("a", "c")],
        false=[("c", "d")],
        unknown_ids=["d"],
    )
    assert result.as_dict() == {
        "precision": 0.6667,
        "recall": 0.3333,
        "f1": 0.4444,
        "gold_pairs": 3,
        "reported_pairs": 2,
        "recall_by_kind": {"summary": {"found": 1, "total": 2}},
        "negatives_merged": {"followup": {"merged": 0, "total": 1}},
        "missed": [["a", "c"]],
        "false": [["c", "d"]],
        "unknown_ids": ["d"],
    }
    json.dumps(result.as_dict())  # serialisable as it stands


def test_pairs_nearest_to_a_threshold_come_first():
    """Missed and false pairs are listed nearest to a threshold (contained 0.9, rewrite 0.45,
    lead 0.55) first, not highest similarity first; pairs not compared come last."""
    rows = [
        {"a": "d1", "b": "d2", "similarity": 0.99},
        {"a": "d3", "b": "d4", "similarity": 0.5},
        {"a": "d5", "b": "d6", "similarity": 0.88},
        {"a": "d0", "b": "d9", "reason": "not compared"},
        {"a": "d7", "b": "d8", "similarity": 0.05},
    ]
    ordered = nearest_threshold_first(rows, Config())
    assert [r["similarity"] for r in ordered[:4]] == [0.88, 0.5, 0.99, 0.05]
    assert ordered[4]["a"] == "d0"


def test_threshold_distance_follows_the_preset():
    """The distance is to the run's own thresholds: 0.6 is 0.05 from balanced's lead and on
    strict's rewrite; 0.7 is 0.1 from strict's."""
    assert threshold_distance(0.6, Config()) == pytest.approx(0.05)
    assert threshold_distance(0.6, PRESETS["strict"]) == pytest.approx(0.0)
    assert threshold_distance(0.7, PRESETS["strict"]) == pytest.approx(0.1)
