"""news_dedupe.cli: the `dedupe find` command, its options, streams and exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from news_dedupe.cli import cli
from news_dedupe.cluster import RELATIONS
from news_dedupe.config import PRESETS, Config
from news_dedupe.loader import load
from news_dedupe.report import CSV_COLUMNS

ORIGINAL = "001_0cbfd229ab594fd8.txt"
SUMMARY = "5 documents read, 1 cluster, 5 documents in clusters, 0 too short, 0 skipped"


def invoke(runner, *args, ok=True, **kwargs):
    """Run `dedupe ARGS`; on happy paths let exceptions through (catch_exceptions=False)."""
    return runner.invoke(cli, [str(a) for a in args], catch_exceptions=not ok, **kwargs)


@pytest.fixture
def seeds(seeds_path) -> str:
    return str(seeds_path)


@pytest.fixture
def seeds_json(runner, seeds) -> dict:
    result = invoke(runner, seeds, "--format", "json")
    assert result.exit_code == 0
    return json.loads(result.stdout)


# -- the seeds, in every format ----------------------------------------------------------------


def test_seeds_text_report(runner, seeds):
    """`dedupe seeds.txt`: one block of five, the original first, then the summary; stderr is quiet."""
    result = invoke(runner, seeds)
    assert result.exit_code == 0
    assert result.stderr == ""
    blocks = result.stdout.rstrip("\n").split("\n\n")
    assert len(blocks) == 2
    lines = blocks[0].split("\n")
    assert lines[0] == "c1: 5 versions of one story"
    assert lines[1] == f"  original   {ORIGINAL}  BAGHDAD (Reuters) – Iran is intervening…"
    assert len(lines) == 6
    for line in lines[2:]:
        relation, doc_id = line.split()[:2]
        assert relation in RELATIONS[1:] and doc_id != ORIGINAL
        assert "similarity" in line and "jaccard" in line and "containment" in line
    assert blocks[1] == SUMMARY
    assert result.stdout.endswith(SUMMARY + "\n")


def test_find_subcommand_is_the_default(runner, seeds):
    """`dedupe find seeds.txt` prints what `dedupe seeds.txt` prints."""
    assert invoke(runner, "find", seeds).stdout == invoke(runner, seeds).stdout


def test_seeds_json_report(seeds_json):
    """--format json: version, config, document count and one cluster of five with scores."""
    data = seeds_json
    assert data["version"] == 1
    assert data["config"] == Config().as_dict()
    assert data["documents"] == 5
    (cluster,) = data["clusters"]
    assert cluster["id"] == "c1"
    assert cluster["representative"] == ORIGINAL
    members = cluster["members"]
    assert len(members) == 5
    assert members[0]["id"] == ORIGINAL and members[0]["relation"] == "original"
    assert cluster["representative"] in [m["id"] for m in members]
    for member in members[1:]:
        assert member["relation"] in RELATIONS[1:]
        for key in ("similarity", "jaccard", "containment"):
            assert isinstance(member[key], float) and 0.0 <= member[key] <= 1.0
        assert member["reason"]


def test_seeds_jsonl_report(runner, seeds, seeds_json):
    """--format jsonl: one cluster per line, the same clusters as the JSON report."""
    result = invoke(runner, seeds, "--format", "jsonl")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == seeds_json["clusters"][0]


def test_seeds_csv_report(runner, seeds):
    """--format csv: a header, then one row per member of the cluster."""
    result = invoke(runner, seeds, "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 6
    assert {r[0] for r in rows[1:]} == {"c1"}
    assert rows[1][2:4] == [ORIGINAL, "original"]


def test_singletons_are_left_out(runner, seeds, cases_dir):
    """Documents in no cluster do not appear in the clusters, only in the count."""
    result = invoke(runner, seeds, cases_dir / "cjk.txt", "--format", "json")
    data = json.loads(result.stdout)
    assert data["documents"] == 8
    ids = {m["id"] for c in data["clusters"] for m in c["members"]}
    assert "cjk_weather" not in ids


def test_page_fixture_json(runner, cases_dir):
    """The page carrying four stories is a member of four clusters; the stories are never together."""
    result = invoke(runner, cases_dir / "page.txt", "--format", "json")
    data = json.loads(result.stdout)
    clusters = [{m["id"] for m in c["members"]} for c in data["clusters"]]
    assert len(clusters) == 4
    assert all("003_c4c92065ccfd9160.txt" in c for c in clusters)
    assert all(len(c) == 2 for c in clusters)


# -- streams and output ------------------------------------------------------------------------


def test_output_file(runner, seeds, tmp_path):
    """-o FILE writes the report there and nothing to stdout."""
    out = tmp_path / "report.json"
    result = invoke(runner, seeds, "--format", "json", "-o", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == invoke(runner, seeds, "--format", "json").stdout
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def test_output_dash_is_stdout(runner, seeds):
    """-o - writes to stdout."""
    assert invoke(runner, seeds, "--output", "-").stdout == invoke(runner, seeds).stdout


def test_output_replaces_an_existing_file(runner, seeds, tmp_path):
    """An existing output file is replaced, not appended to."""
    out = tmp_path / "report.txt"
    out.write_text("old content\n")
    invoke(runner, seeds, "-o", out)
    assert out.read_text(encoding="utf-8").endswith(SUMMARY + "\n")
    assert "old content" not in out.read_text(encoding="utf-8")


def test_unwritable_output_is_exit_2(runner, seeds, tmp_path):
    """An output path in a missing folder: exit 2, one error line naming the path, nothing on stdout."""
    out = tmp_path / "missing" / "report.txt"
    result = invoke(runner, seeds, "-o", out, ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {out}: cannot write output (No such file or directory)\n"


def test_output_to_a_folder_is_a_usage_error(runner, seeds, tmp_path):
    """-o naming a folder is refused before anything is read."""
    result = invoke(runner, seeds, "-o", tmp_path, ok=False)
    assert result.exit_code == 2
    assert "Invalid value for '-o' / '--output'" in result.stderr


def test_stdin(runner, seeds_path):
    """`-` reads the documents from standard input."""
    result = invoke(runner, "-", input=seeds_path.read_text(encoding="utf-8"))
    assert result.exit_code == 0
    assert result.stdout.endswith(SUMMARY + "\n")


def test_verbose_shows_config_on_stderr(runner, seeds):
    """--verbose puts the config and input details on stderr; stdout is the same report."""
    result = invoke(runner, seeds, "--verbose")
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert f"config: preset=balanced {Config()}" in lines
    assert any("candidate pairs" in line for line in lines)
    assert any(seeds in line and "5 documents" in line for line in lines)
    assert result.stdout == invoke(runner, seeds).stdout


def test_warnings_of_one_kind_are_capped(runner, seeds, tmp_path):
    """Past five warnings of one kind, one line counts the rest; --verbose prints them all."""
    for n in range(8):
        (tmp_path / "short" / f"{n}.txt").parent.mkdir(exist_ok=True)
        (tmp_path / "short" / f"{n}.txt").write_text(f"Ferry {n} delayed by fog.\n", encoding="utf-8")
        (tmp_path / "empty" / f"{n}.txt").parent.mkdir(exist_ok=True)
        (tmp_path / "empty" / f"{n}.txt").write_text("", encoding="utf-8")
    result = invoke(runner, seeds, tmp_path / "short", tmp_path / "empty")
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert sum("is too short to judge" in line for line in lines) == 5
    assert sum("empty file, skipped" in line for line in lines) == 5
    assert "warning: … and 3 more empty warnings (--verbose shows them all)" in lines
    assert lines[-1] == "warning: … and 3 more too-short warnings (--verbose shows them all)"
    assert len(lines) == 12
    loud = invoke(runner, seeds, tmp_path / "short", tmp_path / "empty", "-v")
    assert sum("is too short to judge" in line for line in loud.stderr.splitlines()) == 8
    assert "more" not in loud.stderr.replace("more than", "")


def test_a_document_far_larger_than_an_article_is_named(runner, seed_docs, tmp_path):
    """A document of a million characters gives one warning naming it and its size, and saying
    that alignment reads only its first max_segments segments; the run goes on."""
    big = tmp_path / "dump.txt"
    story = seed_docs[ORIGINAL].text + "\n"
    big.write_text(story * (1_000_000 // len(story) + 1), encoding="utf-8")
    result = invoke(runner, big, "--format", "json")
    assert result.exit_code == 0
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f"warning: {big}: document '{tmp_path.name}/dump.txt' is 1.0 million characters (about "
    )
    assert line.endswith(
        "words), far larger than a news article: slow to read and profile; alignment reads only its "
        "first 2,000 segments (max_segments)"
    )


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_shows_percent_and_time_left_on_a_terminal(monkeypatch):
    """On a terminal, a stage with a known total shows its count, share done and time left at
    its pace so far; off a terminal nothing is written."""
    from news_dedupe import cli_common as cli_module

    clock = iter([100.0, 110.0, 130.0])
    monkeypatch.setattr(cli_module.time, "monotonic", lambda: next(clock))
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    messages = cli_module.Messages(verbose=False, quiet=False)
    messages.progress("verify", 0, 1000)
    messages.progress("verify", 250, 1000)
    messages.progress("verify", 1000, 1000)
    assert screen.getvalue().split("\r\x1b[K")[1:] == [
        "verified 0 of 1,000 pairs",
        "verified 250 of 1,000 pairs (25%, 0:30 left)",
        "verified 1,000 of 1,000 pairs",
        "",
    ]
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    cli_module.Messages(verbose=False, quiet=False).progress("verify", 250, 1000)
    assert pipe.getvalue() == ""


def test_warnings_go_to_stderr_and_quiet_silences_them(runner, seeds, tmp_path):
    """A skipped binary file gives a warning on stderr (none with --quiet) and counts as skipped."""
    binary = tmp_path / "image.bin"
    binary.write_bytes(b"\x89PNG\x00\x00\x00binary")
    loud = invoke(runner, seeds, binary)
    assert loud.exit_code == 0
    assert loud.stderr.startswith(f"warning: {binary}: ")
    assert len(loud.stderr.splitlines()) == 1
    assert loud.stdout.endswith(
        "5 documents read, 1 cluster, 5 documents in clusters, 0 too short, 1 skipped\n"
    )
    quiet = invoke(runner, seeds, binary, "--quiet")
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout


def test_quiet_and_verbose(runner, seeds):
    """--quiet wins over --verbose: nothing on stderr."""
    result = invoke(runner, seeds, "-v", "-q")
    assert result.exit_code == 0 and result.stderr == ""


# -- exit codes --------------------------------------------------------------------------------


def test_fail_on_duplicates_exit_1_when_clusters(runner, seeds):
    """--fail-on-duplicates exits 1 when a cluster is found, and still prints the report."""
    result = invoke(runner, seeds, "--fail-on-duplicates")
    assert result.exit_code == 1
    assert result.stdout.endswith(SUMMARY + "\n")
    assert result.stderr == ""


def test_fail_on_duplicates_exit_0_without_clusters(runner, cases_dir):
    """--fail-on-duplicates exits 0 when nothing is clustered."""
    result = invoke(runner, cases_dir / "chrome.txt", "--fail-on-duplicates")
    assert result.exit_code == 0
    assert result.stdout == "2 documents read, 0 clusters, 0 documents in clusters, 0 too short, 0 skipped\n"


def test_missing_file(runner, tmp_path):
    """A missing file: exit 2 and one line naming it."""
    missing = tmp_path / "nope.txt"
    result = invoke(runner, missing, ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {missing}: no such file\n"


def test_missing_file_among_good_ones(runner, seeds, tmp_path):
    """A missing file fails the run before anything is reported."""
    result = invoke(runner, seeds, tmp_path / "nope.txt", ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_binary_file_alone(runner, tmp_path):
    """A binary file alone: a warning naming it, then exit 2 with 'nothing to compare' naming it."""
    binary = tmp_path / "data.bin"
    binary.write_bytes(b"abc\x00def" * 10)
    result = invoke(runner, binary, ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    *warnings, error = result.stderr.splitlines()
    assert error == f"error: nothing to compare: no document long enough was read from {binary}"
    assert len(warnings) == 1 and str(binary) in warnings[0]


def test_empty_file(runner, tmp_path):
    """An empty file: exit 2, 'nothing to compare'."""
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = invoke(runner, empty, ok=False)
    assert result.exit_code == 2
    assert (
        result.stderr.splitlines()[-1]
        == f"error: nothing to compare: no document long enough was read from {empty}"
    )


def test_empty_stdin(runner):
    """Nothing on standard input: exit 2, 'nothing to compare' naming '-'."""
    result = invoke(runner, "-", input="", ok=False)
    assert result.exit_code == 2
    assert (
        result.stderr.splitlines()[-1] == "error: nothing to compare: no document long enough was read from -"
    )


def test_only_short_documents(runner, seeds):
    """When every document is too short to judge, there is nothing to compare: exit 2."""
    result = invoke(runner, seeds, "--min-words", 100000, ok=False)
    assert result.exit_code == 2
    assert (
        result.stderr.splitlines()[-1]
        == f"error: nothing to compare: no document long enough was read from {seeds}"
    )


def test_invalid_utf8_warns_and_continues(runner, seeds, tmp_path):
    """A file with a bad byte in otherwise UTF-8 text: a warning naming the file, and the run goes on."""
    text = "Caf\u00e9 owners in S\u00e3o Paulo said the \u201cnew rules\u201d would hurt trade this winter. "
    bad = tmp_path / "bad.txt"
    bad.write_bytes(text.encode("utf-8") * 3 + b"\xff" + text.encode("utf-8") * 3)
    result = invoke(runner, seeds, bad)
    assert result.exit_code == 0
    assert result.stderr.startswith(f"warning: {bad}: ")
    assert "UTF-8" in result.stderr
    assert result.stdout.endswith(
        "6 documents read, 1 cluster, 5 documents in clusters, 0 too short, 0 skipped\n"
    )


def test_file_without_separators_is_one_document(runner, seed_docs, tmp_path):
    """Files without separators are one document each, named by their folder and file name."""
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(seed_docs[ORIGINAL].text, encoding="utf-8")
    b.write_text(seed_docs[ORIGINAL].text, encoding="utf-8")
    result = invoke(runner, a, b, "--format", "json")
    assert result.exit_code == 0
    (cluster,) = json.loads(result.stdout)["clusters"]
    assert [(m["id"], m["relation"]) for m in cluster["members"]] == [
        (f"{tmp_path.name}/a.txt", "original"),
        (f"{tmp_path.name}/b.txt", "identical"),
    ]


def test_bad_separator_regex(runner, seeds):
    """An invalid --separator: exit 2 and one line naming the option."""
    result = invoke(runner, seeds, "--separator", "(unclosed", ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: --separator: not a valid regular expression (")
    assert len(result.stderr.splitlines()) == 1


def test_keyboard_interrupt_is_exit_130(runner, seeds, monkeypatch):
    """Ctrl-C during a run: 'interrupted' on stderr and exit 130, no traceback."""

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("news_dedupe.cli.find_duplicates", interrupted)
    result = invoke(runner, seeds, ok=False)
    assert result.exit_code == 130
    assert result.stderr == "interrupted\n"


# -- input options -----------------------------------------------------------------------------


def test_custom_separator_with_id_group(runner, seed_docs, tmp_path):
    """--separator with a named group `id` splits the file and names the documents."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(
        "".join(f"### story {doc_id}\n{doc.text}\n" for doc_id, doc in seed_docs.items()), encoding="utf-8"
    )
    result = invoke(runner, corpus, "--separator", r"^### story (?P<id>\S+)$", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["documents"] == 5
    assert data["clusters"][0]["representative"] == ORIGINAL


def test_id_and_text_fields(runner, seed_docs, tmp_path):
    """--id-field and --text-field pick the fields of JSON Lines records."""
    records = tmp_path / "records.jsonl"
    records.write_text(
        "".join(json.dumps({"key": k, "body": d.text}) + "\n" for k, d in seed_docs.items()), encoding="utf-8"
    )
    result = invoke(runner, records, "--id-field", "key", "--text-field", "body", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["clusters"][0]["representative"] == ORIGINAL


def test_skip_bad_records(runner, seed_docs, tmp_path):
    """A malformed JSON line fails the run (exit 2, naming file and line) unless --skip-bad-records."""
    records = tmp_path / "records.jsonl"
    lines = [json.dumps({"id": k, "text": d.text}) for k, d in seed_docs.items()]
    lines.insert(2, "{not json")
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    strict = invoke(runner, records, ok=False)
    assert strict.exit_code == 2
    assert strict.stderr.startswith(f"error: {records}: line 3: ")
    assert len(strict.stderr.splitlines()) == 1
    lenient = invoke(runner, records, "--skip-bad-records")
    assert lenient.exit_code == 0
    assert lenient.stdout.endswith(
        "5 documents read, 1 cluster, 5 documents in clusters, 0 too short, 1 skipped\n"
    )
    assert "line 3" in lenient.stderr


# -- detection options -------------------------------------------------------------------------


@pytest.mark.parametrize(("preset", "size"), [("strict", 4), ("balanced", 5), ("loose", 5)])
def test_preset(runner, seeds, preset, size):
    """--preset picks a named set of thresholds, recorded in the JSON config."""
    result = invoke(runner, seeds, "--preset", preset, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["config"] == PRESETS[preset].as_dict()
    assert len(data["clusters"][0]["members"]) == size


def test_usage_error_without_find_shows_it_optional(runner, seeds):
    """A usage error after `dedupe FILE` shows `Usage: dedupe [find] ...`, not a `find` nobody
    typed; after `dedupe find FILE` it shows `dedupe find`."""
    implicit = invoke(runner, seeds, "--bogus", ok=False, prog_name="dedupe")
    assert implicit.exit_code == 2
    assert implicit.stderr.splitlines()[0] == "Usage: dedupe [find] [OPTIONS] PATHS..."
    assert "No such option '--bogus'" in implicit.stderr
    typed = invoke(runner, "find", seeds, "--bogus", ok=False, prog_name="dedupe")
    assert typed.stderr.splitlines()[0] == "Usage: dedupe find [OPTIONS] PATHS..."


def test_unknown_preset(runner, seeds):
    """An unknown preset is a usage error: exit 2."""
    result = invoke(runner, seeds, "--preset", "fast", ok=False)
    assert result.exit_code == 2
    assert "Invalid value for '--preset'" in result.stderr


@pytest.mark.parametrize(
    ("option", "field", "value"),
    [
        ("--min-words", "min_words", 30),
        ("--segment-match", "segment_match", 0.45),
        ("--contained", "contained", 0.85),
        ("--rewrite", "rewrite", 0.4),
        ("--spread", "spread", 0.15),
        ("--lead", "lead", 0.6),
        ("--rare-df", "rare_df", 0.05),
        ("--num-perm", "num_perm", 1024),
        ("--bands", "lsh_bands", 32),
        ("--seed", "seed", 7),
    ],
)
def test_threshold_options_are_accepted_and_recorded(runner, seeds, option, field, value):
    """Every threshold option is accepted and shows in the config of the JSON report."""
    result = invoke(runner, seeds, option, value, "--format", "json")
    assert result.exit_code == 0, result.stderr
    config = json.loads(result.stdout)["config"]
    assert config[field] == value
    assert config == Config().replace(**{field: value}).as_dict()


def test_threshold_overrides_apply_on_top_of_the_preset(runner, seeds):
    """An option changes only its field of the chosen preset."""
    result = invoke(runner, seeds, "--preset", "strict", "--lead", "0.7", "--format", "json")
    assert json.loads(result.stdout)["config"] == PRESETS["strict"].replace(lead=0.7).as_dict()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--min-words", "0"),
        ("--segment-match", "1.5"),
        ("--contained", "-0.1"),
        ("--rewrite", "2"),
        ("--spread", "-1"),
        ("--lead", "1.01"),
        ("--rare-df", "7"),
        ("--num-perm", "0"),
        ("--bands", "0"),
        ("--seed", "one"),
        ("--contained", "high"),
    ],
)
def test_out_of_range_values_are_rejected(runner, seeds, option, value):
    """Out-of-range or malformed threshold values: exit 2 naming the option, no report."""
    result = invoke(runner, seeds, option, value, ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"Invalid value for '{option}'" in result.stderr


def test_num_perm_not_a_multiple_of_bands(runner, seeds):
    """--num-perm must be a multiple of --bands: exit 2 with the config error on one line."""
    result = invoke(runner, seeds, "--num-perm", "100", "--bands", "64", ok=False)
    assert result.exit_code == 2
    assert result.stderr == "error: num_perm (100) must be a multiple of lsh_bands (64)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "-1"], "seed must be in [0, 2**32 - 1], got -1"),
        (["--seed", str(2**32)], f"seed must be in [0, 2**32 - 1], got {2**32}"),
        (["--bands", "1"], "lsh_bands must be at least 2, got 1"),
    ],
)
def test_values_the_hashing_cannot_use_are_clean_errors(runner, seeds, args, message):
    """A seed outside numpy's range or a single LSH band: exit 2 and one error line, no traceback."""
    result = invoke(runner, seeds, *args, ok=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_jobs_do_not_change_the_report(runner, seeds, cases_dir, jobs):
    """--jobs N gives the same report as the default."""
    args = (seeds, cases_dir / "page.txt", "--format", "json")
    assert invoke(runner, *args, "--jobs", jobs).stdout == invoke(runner, *args).stdout


def test_jobs_must_be_positive(runner, seeds):
    """--jobs 0 is a usage error: exit 2."""
    result = invoke(runner, seeds, "-j", "0", ok=False)
    assert result.exit_code == 2
    assert "Invalid value for '-j' / '--jobs'" in result.stderr


# -- determinism -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_two_runs_give_identical_bytes(runner, seeds, cases_dir, fmt):
    """The same input twice gives byte-identical reports."""
    args = (seeds, cases_dir / "page.txt", cases_dir / "cjk.txt", "--format", fmt)
    first, second = invoke(runner, *args), invoke(runner, *args)
    assert first.stdout_bytes == second.stdout_bytes
    assert first.stdout


def test_hash_seed_does_not_change_the_report(seeds_path, cases_dir, tmp_path):
    """Two processes with different PYTHONHASHSEED write byte-identical JSON."""
    outputs = []
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "news_dedupe.cli",
                str(seeds_path),
                str(cases_dir / "page.txt"),
                str(cases_dir / "chrome.txt"),
                "--format",
                "json",
                "--quiet",
            ],
            env=env,
            capture_output=True,
            check=True,
            cwd=tmp_path,
            timeout=120,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["clusters"]


def test_version(runner):
    """--version prints the program name and version."""
    result = invoke(runner, "--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("dedupe, version ")


def test_find_help_lists_every_option(runner):
    """`dedupe find --help` documents every option the issue asks for."""
    result = invoke(runner, "find", "--help")
    assert result.exit_code == 0
    for option in (
        "--format",
        "--output",
        "--fail-on-duplicates",
        "--jobs",
        "--id-field",
        "--text-field",
        "--separator",
        "--skip-bad-records",
        "--preset",
        "--min-words",
        "--segment-match",
        "--contained",
        "--rewrite",
        "--spread",
        "--lead",
        "--rare-df",
        "--num-perm",
        "--bands",
        "--seed",
        "--verbose",
        "--quiet",
    ):
        assert option in result.stdout


def test_a_document_too_short_to_judge_is_named_with_its_file_and_line(runner, seeds, tmp_path):
    corpus = tmp_path / "batch.jsonl"
    lines = [json.dumps({"id": d.id, "text": d.text}) for d in load([str(seeds)])]
    lines.insert(2, json.dumps({"id": "stub", "text": "Markets closed early."}))
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(runner, corpus)
    assert f"warning: {corpus}:3: document 'stub' is too short to judge" in result.stderr
