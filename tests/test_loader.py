"""Tests of news_dedupe.loader: paths, separator styles, record formats, compression, encodings."""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import json
import lzma
import os
import re
import sys
import tracemalloc
from pathlib import Path

import pytest

from news_dedupe.document import Document
from news_dedupe.errors import ConfigError, InputError
from news_dedupe.loader import LoadOptions, LoadWarning, file_id, load, split_text

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "loader"
SEEDS = ROOT / "fixtures" / "seeds.txt"
GOLDS = sorted(FIXTURES.glob("*.gold.json"))


def run(paths, options=None):
    """Load `paths`; return the documents and the warnings."""
    warnings: list[LoadWarning] = []
    docs = list(load(paths, options or LoadOptions(), warnings.append))
    return docs, warnings


def messages(warnings, kind=None):
    return [w.message for w in warnings if kind is None or w.kind == kind]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Work in tmp_path so that paths, ids and messages are short and exact."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def here(name: str) -> str:
    """The id of a file `name` given from the working folder: that folder's name, then `name`."""
    return f"{Path.cwd().name}/{name}"


def write(path: Path | str, content: str | bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_bytes(content)
    return path


# --- separator styles -------------------------------------------------------------------------


@pytest.mark.parametrize("gold", GOLDS, ids=[g.name.split(".")[0] for g in GOLDS])
def test_separator_style_fixture(gold, monkeypatch):
    """Each separator style's fixture loads into exactly the documents of its gold file."""
    monkeypatch.chdir(FIXTURES)
    expected = json.loads(gold.read_text(encoding="utf-8"))
    name = gold.name.replace(".gold.json", ".txt")
    docs, warnings = run([name])
    ids = [here(d["id"]) if d["id"].startswith(name + "#") else d["id"] for d in expected["documents"]]
    assert [d.id for d in docs] == ids
    documents = zip(ids, expected["documents"], strict=True)
    assert docs == [Document(i, d["text"], f"{name}:{d['line']}") for i, d in documents]
    assert [(w.kind, w.skipped) for w in warnings] == [("separator-style", False)]
    assert f"split at {expected['style']} separators" in warnings[0].message


@pytest.mark.parametrize("gold", GOLDS, ids=[g.name.split(".")[0] for g in GOLDS])
def test_split_text_fixture(gold):
    """split_text returns the gold parts and names the detected style."""
    expected = json.loads(gold.read_text(encoding="utf-8"))
    name = gold.name.replace(".gold.json", ".txt")
    parts, style = split_text((FIXTURES / name).read_text(encoding="utf-8"), name)
    assert style == expected["style"]
    assert parts == [(d["id"], d["text"], d["line"]) for d in expected["documents"]]


def test_every_style_has_a_fixture():
    """The gold fixtures cover every automatically detected style."""
    styles = {json.loads(g.read_text(encoding="utf-8"))["style"] for g in GOLDS}
    assert styles == {
        "head",
        "equals",
        "equals-prefix",
        "dashes",
        "more",
        "wikiextractor",
        "trec",
        "form-feed",
    }


def test_seeds_split_into_five_documents():
    """fixtures/seeds.txt, as `tail -n +1` wrote it, splits into its five articles."""
    docs, warnings = run([str(SEEDS)])
    assert [d.id for d in docs] == [
        "000_159ea15f3dd1f5af.txt",
        "001_0cbfd229ab594fd8.txt",
        "002_456f058fb562b431.txt",
        "003_c4c92065ccfd9160.txt",
        "004_e12faccc1f133855.txt",
    ]
    assert docs[0].text.startswith("SULAIMANI (ESTA)")
    assert docs[0].text.endswith("Get the militias under control.")
    assert docs[1].source == f"{SEEDS}:15"
    assert not any("==>" in d.text for d in docs)
    assert messages(warnings) == [f"{SEEDS}: split at head separators (==> NAME <==): 5 documents"]


def tail_n1(*files: tuple[str, str]) -> str:
    """What `tail -n +1 NAME...` writes for files of these (name, content)."""
    return "".join(("\n" if n else "") + f"==> {name} <==\n{text}" for n, (name, text) in enumerate(files))


def test_tail_output_keeps_a_quoted_header_as_text(in_tmp):
    """In tail's output a `==> NAME <==` line inside a file (no blank line before it) is text of
    that file, not a phantom document, and a warning names the line."""
    log = "The server wrote:\n==> access.log <==\nGET /index.html 200\n"
    write("all.txt", tail_n1(("a.txt", "First article.\n"), ("b.txt", log), ("c.txt", "Third.\n")))
    docs, warnings = run(["all.txt"])
    assert [(d.id, d.text) for d in docs] == [
        ("a.txt", "First article.\n"),
        ("b.txt", log),
        ("c.txt", "Third.\n"),
    ]
    assert [(w.kind, w.place, w.skipped) for w in warnings][0] == ("separator-doubt", "line 6", False)
    assert warnings[0].message == (
        "all.txt: line 6: '==> access.log <==' looks like a separator but is kept as text: tail writes "
        "a blank line before each header after the first (--separator '^==> (?P<id>.+) <==$' splits at "
        "every such line)"
    )


def test_tail_output_keeps_a_repeated_header_name_as_text(in_tmp):
    """In tail's output a header line repeating an earlier name is text, with a warning."""
    quoted = "It printed:\n\n==> a.txt <==\nand stopped.\n"
    write("all.txt", tail_n1(("a.txt", "First article.\n"), ("b.txt", quoted)))
    docs, warnings = run(["all.txt"])
    assert [(d.id, d.text) for d in docs] == [("a.txt", "First article.\n"), ("b.txt", quoted)]
    assert messages(warnings, "separator-doubt") == [
        "all.txt: line 7: '==> a.txt <==' looks like a separator but is kept as text: it repeats the "
        "name of the document at line 1 (--separator '^==> (?P<id>.+) <==$' splits at every such line)"
    ]


def test_head_separators_without_blank_lines_split_as_before(in_tmp):
    """A file whose second header follows no blank line (not tail's output) splits at every
    header, a repeated name included (renamed), without doubts."""
    write("h.txt", "==> a <==\none\n==> b <==\ntwo\n==> a <==\nthree\n")
    docs, warnings = run(["h.txt"])
    assert [d.id for d in docs] == ["a", "b", "a~2"]
    assert messages(warnings, "separator-doubt") == []


def test_separator_lines_inside_an_article_do_not_split(monkeypatch):
    """Lines that look like separators but do not open the file leave it one document."""
    monkeypatch.chdir(FIXTURES)
    docs, warnings = run(["mid_separator.txt"])
    text = (FIXTURES / "mid_separator.txt").read_text()
    assert docs == [Document("loader/mid_separator.txt", text, "mid_separator.txt")]
    assert warnings == []


def test_a_single_header_does_not_split(monkeypatch):
    """A file opened by a header that never occurs again is one document, header included."""
    monkeypatch.chdir(FIXTURES)
    docs, _ = run(["one_header.txt"])
    assert [d.id for d in docs] == ["loader/one_header.txt"]
    assert docs[0].text.startswith("=== Editorial ===\n")


def test_only_separators_is_skipped(monkeypatch):
    """A file with separators and no text yields nothing and says so."""
    monkeypatch.chdir(FIXTURES)
    docs, warnings = run(["only_separators.txt"])
    assert docs == []
    assert [(w.kind, w.message, w.skipped) for w in warnings][-1] == (
        "only-separators",
        "only_separators.txt: only separators, no text, skipped",
        True,
    )


def test_separator_with_empty_body_is_skipped(in_tmp):
    """A document whose body is blank is passed over with an `empty` warning naming its line."""
    write("c.txt", "==> a <==\nalpha\n==> b <==\n\n   \n==> c <==\ngamma\n")
    docs, warnings = run(["c.txt"])
    assert [d.id for d in docs] == ["a", "c"]
    empty = [w for w in warnings if w.kind == "empty"]
    assert [(w.place, w.message, w.skipped) for w in empty] == [
        ("line 3", "c.txt: line 3: document 'b' is empty, skipped", True)
    ]


def test_form_feed_pages_are_numbered(monkeypatch):
    """Form feeds split pages whose ids are the file's id and #1, #2, …"""
    monkeypatch.chdir(FIXTURES)
    docs, _ = run(["formfeed.txt"])
    assert [d.id for d in docs] == ["loader/formfeed.txt#1", "loader/formfeed.txt#2", "loader/formfeed.txt#3"]


def test_leading_and_trailing_form_feeds_make_no_pages():
    """A form feed at the very start or end does not create a blank page."""
    parts, style = split_text("\fone\ftwo\f", "p.txt")
    assert style == "form-feed"
    assert parts == [("p.txt#1", "one", 1), ("p.txt#2", "two", 1)]


def test_custom_separator_with_id_group(in_tmp):
    """--separator overrides detection, and its `id` group names the documents."""
    write("s.txt", "intro text\n## Story: first\nbody one\n## Story: second\nbody two\n")
    options = LoadOptions(separator=r"^## Story: (?P<id>\S+)$")
    docs, warnings = run(["s.txt"], options)
    assert [(d.id, d.text) for d in docs] == [
        (here("s.txt#1"), "intro text"),
        ("first", "body one"),
        ("second", "body two\n"),
    ]
    assert "split at custom separators" in messages(warnings, "separator-style")[0]


def test_custom_separator_without_id_group():
    """A separator regex without an `id` group numbers the documents; no match keeps one document."""
    parts, style = split_text("%%\na\n%%\nb", "x.txt", separator=r"^%%$")
    assert (parts, style) == ([("x.txt#1", "a", 1), ("x.txt#2", "b", 3)], "custom")
    assert split_text("no marks here", "x.txt", separator=r"^%%$") == ([("x.txt", "no marks here", 1)], None)


def test_invalid_separator_regex_is_a_config_error():
    """A separator that is not a valid regex is rejected when the options are made."""
    with pytest.raises(ConfigError, match=r"^--separator: not a valid regular expression"):
        LoadOptions(separator="(unclosed")


def test_file_without_separators_is_one_document_named_by_path(in_tmp):
    """A plain file is one document: its id is its folder's name and its own, its source the path
    as given."""
    write("deep/sub/plain.txt", "Just one short article.\n")
    docs, warnings = run(["deep/sub/plain.txt"])
    assert docs == [Document("sub/plain.txt", "Just one short article.\n", "deep/sub/plain.txt")]
    assert warnings == []


# --- record formats ---------------------------------------------------------------------------


def test_jsonl_with_custom_fields(monkeypatch):
    """JSON Lines records use the chosen id/text fields; no id gives file-id#line; blank lines are ignored."""
    monkeypatch.chdir(FIXTURES)
    docs, warnings = run(["records.jsonl"], LoadOptions(id_field="uid", text_field="body"))
    assert [(d.id, d.source) for d in docs] == [
        ("n1", "records.jsonl:1"),
        ("2", "records.jsonl:3"),
        ("loader/records.jsonl#4", "records.jsonl:4"),
    ]
    assert docs[0].text == "Wind turbines were installed off the east coast."
    assert warnings == []


def test_csv_with_custom_fields(monkeypatch):
    """CSV rows use the header's columns; quoted fields may hold newlines; no id gives file-id#line."""
    monkeypatch.chdir(FIXTURES)
    docs, _ = run(["records.csv"], LoadOptions(id_field="uid", text_field="body"))
    assert [(d.id, d.source) for d in docs] == [
        ("c1", "records.csv:2"),
        ("c2", "records.csv:3"),
        ("loader/records.csv#5", "records.csv:5"),
    ]
    assert docs[1].text == 'The ferry company said:\n"Two electric boats are on order."'


def test_tsv_with_custom_fields(monkeypatch):
    """TSV files are read like CSV with tabs."""
    monkeypatch.chdir(FIXTURES)
    docs, _ = run(["records.tsv"], LoadOptions(id_field="uid", text_field="body"))
    assert [(d.id, d.text) for d in docs] == [
        ("t1", "The night market returns on Friday."),
        ("t2", "A new cycle lane opened on the ring road."),
    ]


def test_csv_with_huge_field(in_tmp):
    """A CSV field far larger than the csv module's default limit (128 KiB) is read."""
    big = "word " * 100_000
    write("big.csv", f'id,text\nb1,"{big}"\n')
    docs, _ = run(["big.csv"])
    assert docs[0].text == big


def test_bad_json_line_raises(in_tmp):
    """Malformed JSON stops the run with the file, the line and the fix."""
    write("feed.jsonl", '{"id": 1, "text": "ok"}\n{"id": 2 "text": "broken"}\n')
    with pytest.raises(InputError) as e:
        run(["feed.jsonl"])
    assert str(e.value) == (
        "feed.jsonl: line 2: not valid JSON (Expecting ',' delimiter); "
        "use --skip-bad-records to pass over bad records"
    )


def test_bad_json_line_skipped(in_tmp):
    """With skip_bad_records a malformed line is passed over with a bad-record warning."""
    write("feed.jsonl", '{"id": 1, "text": "ok"}\n{"id": 2 "text": "broken"}\n{"id": 3, "text": "fine"}\n')
    docs, warnings = run(["feed.jsonl"], LoadOptions(skip_bad_records=True))
    assert [d.id for d in docs] == ["1", "3"]
    assert [(w.kind, w.place, w.message, w.skipped) for w in warnings] == [
        (
            "bad-record",
            "line 2",
            "feed.jsonl: line 2: not valid JSON (Expecting ',' delimiter), record skipped",
            True,
        )
    ]


def test_missing_text_field(in_tmp):
    """A record without the text field is an error naming the fields it has, or skipped on request."""
    write("feed.jsonl", '{"id": "a", "body": "x"}\n{"id": "b", "text": "y"}\n')
    with pytest.raises(InputError) as e:
        run(["feed.jsonl"])
    assert str(e.value) == (
        "feed.jsonl: line 1: no 'text' field (fields: id, body); choose the text field with "
        "--text-field (here perhaps --text-field body), or use --skip-bad-records to pass over bad records"
    )
    docs, warnings = run(["feed.jsonl"], LoadOptions(skip_bad_records=True))
    assert [d.id for d in docs] == ["b"]
    assert [w.kind for w in warnings] == ["bad-record"]


def test_missing_text_field_without_a_string_field(in_tmp):
    """A record lacking the text field and any string field still names --text-field."""
    write("n.jsonl", '{"id": "a", "n": 5}\n')
    with pytest.raises(InputError) as e:
        run(["n.jsonl"])
    assert str(e.value) == (
        "n.jsonl: line 1: no 'text' field (fields: id, n); choose the text field with --text-field, "
        "or use --skip-bad-records to pass over bad records"
    )


def test_missing_text_field_suggests_the_longest_string_field(in_tmp):
    """The suggested --text-field is the field with the longest text, not the first one."""
    write("w.jsonl", '{"title": "Short", "id": "w1", "content": "A much longer body of text."}\n')
    with pytest.raises(InputError, match=r"here perhaps --text-field content\), or use --skip-bad-records"):
        run(["w.jsonl"])


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('["a", "list"]', "not a JSON object (found list)"),
        ('{"id": 1, "text": 5}', "field 'text' is not a string"),
        ('{"id": [1], "text": "x"}', "field 'id' is not a string or a number"),
    ],
)
def test_unusable_json_records(in_tmp, line, reason):
    """Records that parse but cannot be a document are bad records with a reason."""
    write("r.jsonl", line + "\n")
    expected = f"r.jsonl: line 1: {reason}; use --skip-bad-records"
    with pytest.raises(InputError, match="^" + re.escape(expected)):
        run(["r.jsonl"])


def test_csv_without_text_column(in_tmp):
    """A CSV header without the text column is an error even with skip_bad_records."""
    write("t.csv", "id,body\n1,x\n")
    with pytest.raises(InputError) as e:
        run(["t.csv"], LoadOptions(skip_bad_records=True))
    assert str(e.value) == (
        "t.csv: line 1: no 'text' column in the header (fields: id, body); "
        "choose the text column with --text-field"
    )


def test_short_csv_row_is_a_bad_record(in_tmp):
    """A CSV row too short to reach the text column is a bad record."""
    write("t.csv", "id,extra,text\n1,a,first\n2\n3,c,third\n")
    with pytest.raises(InputError, match="^t.csv: line 3: 1 fields where the header has 3, no 'text'"):
        run(["t.csv"])
    docs, warnings = run(["t.csv"], LoadOptions(skip_bad_records=True))
    assert [d.id for d in docs] == ["1", "3"]
    assert messages(warnings) == ["t.csv: line 3: 1 fields where the header has 3, no 'text', record skipped"]


def test_jsonl_with_no_records(in_tmp):
    """A JSON Lines file of blank lines yields nothing, with an `empty` warning."""
    write("blank.jsonl", "\n\n  \n")
    docs, warnings = run(["blank.jsonl"])
    assert docs == []
    assert [(w.kind, w.skipped) for w in warnings] == [("empty", True)]


# --- compression ------------------------------------------------------------------------------

COMPRESSORS = {
    "gz": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
}


@pytest.mark.parametrize("ext", ["gz", "bz2", "xz", "zst"])
def test_compressed_text(in_tmp, ext):
    """A compressed file is read as the file it contains: corpus.txt.<ext> splits like corpus.txt."""
    if ext == "zst":
        zstandard = pytest.importorskip("zstandard")
        compress = zstandard.ZstdCompressor().compress
    else:
        compress = COMPRESSORS[ext]
    write(f"head.txt.{ext}", compress((FIXTURES / "head.txt").read_bytes()))
    docs, _ = run([f"head.txt.{ext}"])
    assert [d.id for d in docs] == ["harbour.txt", "council.txt", "weather.txt"]
    assert docs[1].source == f"head.txt.{ext}:5"


def test_concatenated_zstd_frames(in_tmp):
    """A .zst made of several frames (zstd a; zstd b; cat) is read whole."""
    zstandard = pytest.importorskip("zstandard")
    compress = zstandard.ZstdCompressor().compress
    write("c.txt.zst", compress(b"==> a <==\none\n") + compress(b"==> b <==\ntwo\n"))
    docs, _ = run(["c.txt.zst"])
    assert [(d.id, d.text) for d in docs] == [("a", "one"), ("b", "two\n")]


def test_compressed_jsonl(in_tmp):
    """x.jsonl.gz is JSON Lines."""
    write("x.jsonl.gz", gzip.compress(b'{"id": "g1", "text": "gzipped record"}\n'))
    docs, _ = run(["x.jsonl.gz"])
    assert docs == [Document("g1", "gzipped record", "x.jsonl.gz:1")]


def test_concatenated_gzip_members(in_tmp):
    """A .gz made of several members (cat a.gz b.gz) is read whole."""
    write("c.txt.gz", gzip.compress(b"==> a <==\none\n") + gzip.compress(b"==> b <==\ntwo\n"))
    docs, _ = run(["c.txt.gz"])
    assert [(d.id, d.text) for d in docs] == [("a", "one"), ("b", "two\n")]


def test_truncated_gzip(in_tmp):
    """A truncated gzip stream is an InputError naming the file."""
    data = gzip.compress(("line of text\n" * 1000).encode())
    write("x.txt.gz", data[: len(data) // 2])
    with pytest.raises(InputError) as e:
        run(["x.txt.gz"])
    assert str(e.value) == (
        "x.txt.gz: truncated or corrupt gzip stream "
        "(Compressed file ended before the end-of-stream marker was reached)"
    )


def test_not_really_gzip(in_tmp):
    """A .gz file that is not gzip data is reported as corrupt."""
    write("y.txt.gz", b"plain text, not gzip\n")
    with pytest.raises(InputError, match=r"^y.txt.gz: truncated or corrupt gzip stream \(Not a gzipped file"):
        run(["y.txt.gz"])


@pytest.mark.parametrize("ext", ["bz2", "xz"])
def test_truncated_bz2_and_xz(in_tmp, ext):
    """Truncated bzip2 and xz streams are InputErrors too."""
    data = COMPRESSORS[ext](("line of text\n" * 1000).encode())
    write(f"x.txt.{ext}", data[: len(data) // 2])
    method = {"bz2": "bzip2", "xz": "xz"}[ext]
    with pytest.raises(InputError, match=rf"^x.txt.{ext}: truncated or corrupt {method} stream"):
        run([f"x.txt.{ext}"])


def test_truncated_zstd(in_tmp):
    """A truncated zstd frame is an InputError, not a silently short document."""
    zstandard = pytest.importorskip("zstandard")
    data = zstandard.ZstdCompressor().compress(("line of text\n" * 1000).encode())
    write("x.txt.zst", data[: len(data) // 2])
    with pytest.raises(InputError, match=r"^x.txt.zst: truncated or corrupt zstd stream"):
        run(["x.txt.zst"])


def test_zst_without_zstandard(in_tmp, monkeypatch):
    """Without the zstandard package a .zst file names the extra to install."""
    monkeypatch.setitem(sys.modules, "zstandard", None)
    write("x.txt.zst", b"\x28\xb5\x2f\xfd")
    with pytest.raises(InputError) as e:
        run(["x.txt.zst"])
    assert str(e.value) == (
        "x.txt.zst: reading .zst files needs the zstandard package: install news-dedupe[zstd]"
    )


# --- paths ------------------------------------------------------------------------------------


def test_folder_is_recursive_and_sorted(in_tmp):
    """A folder gives one document per file, recursively, in sorted order, hidden names left out."""
    for name in ["corpus/b.txt", "corpus/a/z.txt", "corpus/a/b/c.txt", "corpus/c.txt", "corpus/.hidden.txt"]:
        write(name, f"text of {name}\n")
    docs, _ = run(["corpus"])
    assert [d.id for d in docs] == ["corpus/a/b/c.txt", "corpus/a/z.txt", "corpus/b.txt", "corpus/c.txt"]


def test_ids_do_not_depend_on_the_working_folder(tmp_path, monkeypatch):
    """A folder given from inside, from its parent or from higher up gives the same ids (its
    name, then the path inside it); so does a file given from its folder or from the parent."""
    write(tmp_path / "proj" / "batch" / "a.txt", "alpha\n")
    write(tmp_path / "proj" / "batch" / "sub" / "b.txt", "beta\n")
    ids = []
    places = [("proj/batch", "."), ("proj/batch/sub", ".."), ("proj", "batch/"), (".", "proj/batch")]
    for cwd, folder in places:
        monkeypatch.chdir(tmp_path / cwd)
        ids.append([d.id for d in load([folder])])
    assert ids == [["batch/a.txt", "batch/sub/b.txt"]] * 4
    monkeypatch.chdir(tmp_path / "proj")
    assert [d.id for d in load(["batch/a.txt", "batch/sub/b.txt"])] == ["batch/a.txt", "sub/b.txt"]
    monkeypatch.chdir(tmp_path / "proj" / "batch")
    assert [d.id for d in load(["a.txt", "sub/b.txt"])] == ["batch/a.txt", "sub/b.txt"]
    assert file_id(str(tmp_path / "proj" / "batch" / "a.txt")) == "batch/a.txt"


def test_empty_folder(in_tmp):
    """A folder without files (hidden ones left out) is an InputError naming it, before any reading."""
    write("void/empty/.hidden", "not read\n")
    write("a.txt", "a\n")
    with pytest.raises(InputError) as e:
        load(["a.txt", "void"])
    assert str(e.value) == "void: no files found in the folder"


def test_symlink_loop_is_walked_once(in_tmp):
    """A symbolic link back to an enclosing folder does not make the walk loop."""
    write("top/sub/doc.txt", "only once\n")
    os.symlink("..", "top/sub/up")
    docs, _ = run(["top"])
    assert [d.id for d in docs] == ["top/sub/doc.txt"]


def test_broken_symlink_in_folder(in_tmp):
    """A dangling symbolic link inside a folder is reported, not silently dropped."""
    write("top/a.txt", "a\n")
    os.symlink("missing.txt", "top/b.txt")
    with pytest.raises(InputError, match=r"^top/b.txt: no such file \(broken symbolic link\)$"):
        run(["top"])


def test_paths_keep_their_order(in_tmp):
    """Paths are read in the order given, not sorted."""
    write("z.txt", "zed\n")
    write("a.txt", "ay\n")
    docs, _ = run(["z.txt", "a.txt"])
    assert [d.id for d in docs] == [here("z.txt"), here("a.txt")]


def test_stdin(monkeypatch):
    """`-` reads standard input; its source is <stdin>."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"==> a <==\none\n==> b <==\ntwo\n")))
    docs, _ = run(["-"])
    assert docs == [Document("a", "one", "<stdin>:1"), Document("b", "two\n", "<stdin>:3")]


def test_stdin_single_document(monkeypatch):
    """Standard input without separators is one document named <stdin>."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("piped text\n"))
    docs, _ = run(["-"])
    assert docs == [Document("<stdin>", "piped text\n", "<stdin>")]


def test_gzipped_stdin(monkeypatch):
    """Compressed data on standard input is recognised by its magic bytes."""
    data = gzip.compress(b"==> a <==\none\n==> b <==\ntwo\n")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    docs, _ = run(["-"])
    assert [d.id for d in docs] == ["a", "b"]


def test_globs(in_tmp):
    """A path that does not exist literally is a glob pattern, expanded sorted (** recursive)."""
    write("b.txt", "b\n")
    write("a.txt", "a\n")
    write("d/x.jsonl", '{"id": "x", "text": "deep"}\n')
    write("y.jsonl", '{"id": "y", "text": "top"}\n')
    assert [d.id for d in run(["*.txt"])[0]] == [here("a.txt"), here("b.txt")]
    assert [d.id for d in run(["**/*.jsonl"])[0]] == ["x", "y"]


def test_glob_matching_nothing(in_tmp):
    """A glob that matches nothing is an InputError."""
    with pytest.raises(InputError, match=r"^\*.nothing: no such file \(the pattern matches nothing\)$"):
        run(["*.nothing"])


def test_missing_file(in_tmp):
    """A missing file is reported when load is called, before anything is read."""
    write("there.txt", "x\n")
    with pytest.raises(InputError) as e:
        load(["there.txt", "x.txt"])
    assert str(e.value) == "x.txt: no such file"


def test_unreadable_file(in_tmp, monkeypatch):
    """A file that cannot be opened for lack of permission says so."""
    import news_dedupe.loader as loader

    def refuse(path, mode="r"):
        raise PermissionError(13, "Permission denied", path)

    write("secret.txt", "x\n")
    monkeypatch.setattr(loader, "open", refuse, raising=False)
    with pytest.raises(InputError) as e:
        run(["secret.txt"])
    assert str(e.value) == "secret.txt: permission denied"


def test_duplicate_ids_get_suffixes(in_tmp):
    """A repeated id becomes id~2, id~3 with a duplicate-id warning, across files too."""
    write("one.txt", "==> a <==\nfirst\n==> a <==\nsecond\n")
    write("two.txt", "==> a <==\nthird\n==> b <==\nfourth\n")
    docs, warnings = run(["one.txt", "two.txt"])
    assert [d.id for d in docs] == ["a", "a~2", "a~3", "b"]
    assert messages(warnings, "duplicate-id") == [
        "one.txt: line 3: duplicate id 'a', renamed 'a~2'",
        "two.txt: line 1: duplicate id 'a', renamed 'a~3'",
    ]
    assert all(not w.skipped for w in warnings)


def test_duplicate_suffix_avoids_existing_ids(in_tmp):
    """A suffixed id never collides with an id the input already has."""
    write("d.txt", "==> a <==\n1\n==> a~2 <==\n2\n==> a <==\n3\n")
    assert [d.id for d in run(["d.txt"])[0]] == ["a", "a~2", "a~3"]


def test_same_file_twice(in_tmp):
    """Giving a file twice yields it twice, the second time renamed."""
    write("x.txt", "text\n")
    docs, warnings = run(["x.txt", "x.txt"])
    x = here("x.txt")
    assert [d.id for d in docs] == [x, f"{x}~2"]
    assert messages(warnings) == [f"x.txt: duplicate id '{x}', renamed '{x}~2'"]


# --- encodings --------------------------------------------------------------------------------


def test_utf8_bom_is_stripped(in_tmp):
    """A UTF-8 byte order mark does not reach the text (nor hide a first header)."""
    write("bom.txt", codecs.BOM_UTF8 + "==> a <==\ncafé\n==> b <==\nthé\n".encode())
    docs, warnings = run(["bom.txt"])
    assert [(d.id, d.text) for d in docs] == [("a", "café"), ("b", "thé\n")]
    assert [w.kind for w in warnings] == ["separator-style"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom(in_tmp, codec):
    """UTF-16/32 files with a byte order mark are decoded, not taken for binary."""
    text = "Zürich: Straßenbahn fährt wieder.\n"
    data = codecs.BOM_UTF16_BE + text.encode("utf-16-be") if codec == "utf-16-be" else text.encode(codec)
    write("u.txt", data)
    docs, warnings = run(["u.txt"])
    assert [d.text for d in docs] == [text]
    assert [(w.kind, w.skipped) for w in warnings] == [("decoded-as", False)]
    assert warnings[0].message.startswith("u.txt: decoded as UTF-")


def test_invalid_utf8_is_replaced_with_offset(in_tmp):
    """Bad bytes in a UTF-8 file become U+FFFD and the warning gives the first bad byte's offset."""
    data = "Iran’s envoy said “no” to the plan. ".encode() * 3 + b"\xff\xfe end\n"
    write("corpus.txt", data)
    docs, warnings = run(["corpus.txt"])
    assert docs[0].text.endswith("\ufffd\ufffd end\n")
    assert data.index(b"\xff") == 126
    assert [(w.kind, w.place, w.message, w.skipped) for w in warnings] == [
        ("encoding", "byte 126", "corpus.txt: byte 126: invalid UTF-8, decoded with replacement", False)
    ]


def test_invalid_utf8_after_the_sample(in_tmp):
    """A bad byte far into a large file is still found, and its offset counts from the file start."""
    data = b"plain ascii line\n" * 70_000 + b"caf\xe9\n"  # past the first 1 MiB read
    write("late.txt", data)
    docs, warnings = run(["late.txt"])
    assert docs[0].text.endswith("caf\ufffd\n")
    assert messages(warnings) == [f"late.txt: byte {len(data) - 2}: invalid UTF-8, decoded with replacement"]


def test_cp1252_file_is_decoded_as_cp1252(in_tmp):
    """A legacy Western file is detected and decoded, with a decoded-as note."""
    pytest.importorskip("charset_normalizer")
    text = (
        "Le maire de Lyon a inauguré mercredi un nouveau pont piétonnier au-dessus du Rhône. "
        "« C'est une étape décisive », a-t-il déclaré devant la presse.\n"
    )
    write("fr.txt", text.encode("cp1252"))
    docs, warnings = run(["fr.txt"])
    assert docs[0].text == text
    assert [(w.kind, w.message, w.skipped) for w in warnings] == [
        ("decoded-as", "fr.txt: decoded as cp1252", False)
    ]


def test_short_latin1_file(in_tmp):
    """Even a short Latin-1 line is read as cp1252, not as some other code page."""
    pytest.importorskip("charset_normalizer")
    write("l.txt", "Le café était fermé à Noël.\n".encode("latin-1"))
    docs, warnings = run(["l.txt"])
    assert docs[0].text == "Le café était fermé à Noël.\n"
    assert messages(warnings) == ["l.txt: decoded as cp1252"]


def test_unlikely_guess_is_a_warning(in_tmp):
    """When the only encoding that fits turns English into stray CJK symbols, a warning names
    the file and the encoding (cp1252 cannot decode 0x81, Latin-1 makes it a control character)."""
    pytest.importorskip("charset_normalizer")
    english = "The club paid a fee of 5m for the striker, who scored twice on his debut. " * 3
    write("odd.txt", english.encode() + b"Tickets cost \xa3\x81\x81 each.\n")
    docs, warnings = run(["odd.txt"])
    assert [(w.kind, w.skipped) for w in warnings] == [("encoding-guess", False)]
    assert warnings[0].message == (
        "odd.txt: decoded as cp932, an unlikely guess for text of mostly ASCII letters: "
        "check its accented letters and symbols, or convert the file to UTF-8"
    )
    assert docs[0].text.startswith(english)


def test_cp1251_file(in_tmp):
    """A Cyrillic legacy file is detected too."""
    pytest.importorskip("charset_normalizer")
    text = "Мэр Москвы в среду открыл новый пешеходный мост через реку. «Это решительный шаг», заявил он.\n"
    write("ru.txt", text.encode("cp1251"))
    docs, warnings = run(["ru.txt"])
    assert docs[0].text == text
    assert messages(warnings) == ["ru.txt: decoded as cp1251"]


def test_binary_file_is_skipped(in_tmp):
    """A file with NUL bytes near its start is passed over with a binary warning."""
    write("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write("ok.txt", "fine\n")
    docs, warnings = run(["image.png", "ok.txt"])
    assert [d.id for d in docs] == [here("ok.txt")]
    assert [(w.kind, w.place, w.message, w.skipped) for w in warnings] == [
        ("binary", "byte 8", "image.png: byte 8: NUL byte, looks like a binary file, skipped", True)
    ]


def test_pdf_is_skipped(in_tmp):
    """A PDF without a NUL byte near its start is still passed over, as unsupported, not read as text."""
    write("report.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\nBT (Some text) Tj ET\n%%EOF\n")
    docs, warnings = run(["report.pdf"])
    assert docs == []
    assert [(w.kind, w.message, w.skipped) for w in warnings] == [
        ("binary", "report.pdf: a PDF file, not supported (extract its text first), skipped", True)
    ]


@pytest.mark.parametrize("content", [b"", b"  \n\n\t \n"])
def test_empty_file_is_skipped(in_tmp, content):
    """An empty or whitespace-only file yields nothing and an `empty` warning."""
    write("e.txt", content)
    docs, warnings = run(["e.txt"])
    assert docs == []
    assert [(w.kind, w.message, w.skipped) for w in warnings] == [
        ("empty", "e.txt: empty file, skipped", True)
    ]


def test_crlf_and_cr_become_lf(in_tmp):
    """Windows (CRLF) and old Mac (CR) line ends are read as LF, headers included."""
    write("w.txt", b"==> a <==\r\none\r\ntwo\r\n==> b <==\rthree\rfour\r")
    docs, _ = run(["w.txt"])
    assert [(d.id, d.text) for d in docs] == [("a", "one\ntwo"), ("b", "three\nfour\n")]


def test_crlf_split_across_chunks():
    """A CR at the end of one piece and LF at the start of the next make one line end."""
    from news_dedupe.loader import _lines

    assert list(_lines(["a\r", "\nb\r", "c\r"])) == ["a", "b", "c", ""]


# --- memory and streaming ---------------------------------------------------------------------


def test_large_single_line_document_in_bounded_memory(in_tmp):
    """A long single-line document costs a few times its size, not more (no quadratic copies)."""
    size = 8 << 20
    write("big.txt.gz", gzip.compress(b"x" * size, compresslevel=1))
    tracemalloc.start()
    try:
        docs = list(load(["big.txt.gz"]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(docs[0].text) == size
    assert peak < 4 * size


def test_documents_stream_before_the_file_is_read_whole(monkeypatch):
    """The first document is yielded after reading about one chunk, not the whole input."""

    class Source:
        """A 50 MB stream of 5 KB documents that counts what was read."""

        def __init__(self) -> None:
            self.read_bytes = 0
            self.n = 0

        def read(self, size: int = -1) -> bytes:
            out = bytearray()
            while len(out) < size and self.n < 10_000:
                out += f"==> d{self.n} <==\n".encode() + b"y" * 5000 + b"\n"
                self.n += 1
            self.read_bytes += len(out)
            return bytes(out)

    source = Source()

    class Stdin:
        buffer = source

    monkeypatch.setattr(sys, "stdin", Stdin())
    docs = load(["-"])
    first = next(docs)
    assert first.id == "d0"
    assert source.read_bytes < 3 << 20
    assert sum(1 for _ in docs) == 9_999


def test_warnings_are_optional(in_tmp):
    """Without a warn callback, problems that are passed over are passed over silently."""
    write("e.txt", b"")
    write("a.txt", "==> a <==\none\n==> a <==\ntwo\n")
    assert [d.id for d in load(["e.txt", "a.txt"])] == ["a", "a~2"]


def test_flag_large_names_documents_far_larger_than_an_article():
    """A document of 100,000 words (or a million characters) is named with its size, once; one
    of short lines without prose is not said to be cut; articles pass silently."""
    from news_dedupe.loader import flag_large

    prose = "The council said on Tuesday that the new bridge would open to traffic in the spring. " * 7000
    words = "x " * 100_000
    docs = [Document("a", "A short article.", "a.txt"), Document("b", prose, "b.txt:3"), Document("w", words)]
    warnings: list[LoadWarning] = []
    assert list(flag_large(docs, warnings.append, 2000)) == docs
    assert [(w.kind, w.path, w.skipped) for w in warnings] == [("large-document", "b.txt:3", False)] + [
        ("large-document", "w", False)
    ]
    assert warnings[0].message == (
        "b.txt:3: document 'b' is 0.6 million characters (about 112,000 words), far larger than a news "
        "article: slow to read and profile; alignment reads only its first 2,000 segments (max_segments)"
    )
    assert warnings[1].message.endswith("far larger than a news article: slow to read and profile")


def test_load_warning_str_is_its_message():
    """A LoadWarning prints as its message."""
    w = LoadWarning("empty", "e.txt", "", "e.txt: empty file, skipped", True)
    assert str(w) == "e.txt: empty file, skipped"


# --- optional formats -------------------------------------------------------------------------

ARTICLE = (
    b"<html><head><title>Ferry</title></head><body><article><h1>Ferry resumes</h1>"
    b"<p>The island ferry resumed its winter timetable on Monday after three days of storms.</p>"
    b"<p>Passengers were told to expect delays on the early crossing until Friday.</p>"
    b"</article></body></html>"
)


def test_parquet_with_custom_fields(in_tmp):
    """Parquet rows are documents with the chosen fields; a row without id is file-id#n."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({"uid": ["p1", None, "p3"], "body": ["first row", "second row", "third row"]})
    pq.write_table(table, "t.parquet")
    docs, warnings = run(["t.parquet"], LoadOptions(id_field="uid", text_field="body"))
    assert [(d.id, d.text, d.source) for d in docs] == [
        ("p1", "first row", "t.parquet:record 1"),
        (here("t.parquet#2"), "second row", "t.parquet:record 2"),
        ("p3", "third row", "t.parquet:record 3"),
    ]
    assert warnings == []


def test_parquet_bad_rows_and_columns(in_tmp):
    """A null text is a bad record (named by record number); a missing text column is an error."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["ok", None]}), "n.parquet")
    with pytest.raises(InputError) as e:
        run(["n.parquet"])
    assert str(e.value) == (
        "n.parquet: record 2: field 'text' is not a string; use --skip-bad-records to pass over bad records"
    )
    docs, warnings = run(["n.parquet"], LoadOptions(skip_bad_records=True))
    assert [d.id for d in docs] == ["a"]
    assert messages(warnings) == ["n.parquet: record 2: field 'text' is not a string, record skipped"]
    pq.write_table(pa.table({"id": ["a"], "body": ["x"]}), "c.parquet")
    with pytest.raises(InputError, match=r"^c.parquet: no 'text' column \(fields: id, body\)"):
        run(["c.parquet"])


def test_corrupt_parquet(in_tmp):
    """A file named .parquet that is not Parquet is an InputError."""
    pytest.importorskip("pyarrow.parquet")
    write("x.parquet", b"not parquet at all")
    with pytest.raises(InputError, match=r"^x.parquet: not a readable Parquet file"):
        run(["x.parquet"])


@pytest.mark.parametrize(
    ("file", "module", "message"),
    [
        (
            "x.parquet",
            "pyarrow.parquet",
            "x.parquet: reading Parquet files needs the pyarrow package: install news-dedupe[parquet]",
        ),
        (
            "x.html",
            "trafilatura",
            "x.html: extracting article text from HTML needs the trafilatura package: "
            "install news-dedupe[html]",
        ),
        (
            "x.warc",
            "warcio.archiveiterator",
            "x.warc: reading WARC archives needs the warcio package: install news-dedupe[warc]",
        ),
    ],
)
def test_optional_format_without_its_library(in_tmp, monkeypatch, file, module, message):
    """Without the optional library, such a file names the extra to install."""
    monkeypatch.setitem(sys.modules, module, None)
    write(file, b"WARC/1.0\r\n\r\n")  # past the WARC check; the import fails first elsewhere
    with pytest.raises(InputError) as e:
        run([file])
    assert str(e.value) == message


def test_saved_html_page(monkeypatch):
    """A saved page gives its article text, without navigation, and its canonical URL as id."""
    pytest.importorskip("trafilatura")
    monkeypatch.chdir(FIXTURES)
    docs, warnings = run(["page.html"])
    assert [d.id for d in docs] == ["https://gazette.example.org/2024/harbour-reopens"]
    assert docs[0].text.startswith("Harbour reopens after repairs\nThe harbour authority reopened")
    assert "Sport" not in docs[0].text and "Copyright" not in docs[0].text
    assert warnings == []


def test_html_page_without_text(in_tmp):
    """A page with no article text is skipped with an `empty` warning."""
    pytest.importorskip("trafilatura")
    write("blank.htm", b"<html><body></body></html>")
    docs, warnings = run(["blank.htm"])
    assert docs == []
    assert messages(warnings) == ["blank.htm: no text found, skipped"]


def _warc(path: str, pages: list[tuple[str, str, bytes, str]], compress: bool) -> None:
    """Write a WARC of (url, status, payload, content type) responses, then a warcinfo record."""
    warcwriter = pytest.importorskip("warcio.warcwriter")
    from warcio.statusandheaders import StatusAndHeaders

    with open(path, "wb") as f:
        writer = warcwriter.WARCWriter(f, gzip=compress)
        for url, status, payload, content_type in pages:
            headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=headers)
            )
        writer.write_record(writer.create_warcinfo_record(path, {"software": "news-dedupe tests"}))


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_warc_archive(in_tmp, name):
    """A WARC gives one document per HTML 2xx response, named by its URL; other records are passed over."""
    pytest.importorskip("trafilatura")
    pages = [
        ("https://news.example/ferry", "200 OK", ARTICLE, "text/html; charset=utf-8"),
        ("https://news.example/logo.png", "200 OK", b"\x89PNG...", "image/png"),
        ("https://news.example/gone", "404 Not Found", ARTICLE, "text/html"),
        ("https://news.example/ferry-copy", "200 OK", ARTICLE, "text/html"),
    ]
    _warc(name, pages, compress=name.endswith(".gz"))
    docs, _ = run([name])
    assert [(d.id, d.source) for d in docs] == [
        ("https://news.example/ferry", f"{name}:record 1"),
        ("https://news.example/ferry-copy", f"{name}:record 4"),
    ]
    assert docs[0].text.startswith("Ferry resumes\nThe island ferry resumed")


def test_corrupt_warc(in_tmp):
    """A file named .warc that is not WARC is an InputError."""
    pytest.importorskip("warcio")
    write("bad.warc", b"this is not a warc file\n\n")
    with pytest.raises(InputError) as e:
        run(["bad.warc"])
    assert str(e.value) == "bad.warc: not a WARC archive (it does not begin with 'WARC/')"


def test_truncated_warc_gz(in_tmp):
    """A truncated .warc.gz is reported like any truncated gzip stream."""
    pytest.importorskip("trafilatura")
    _warc("c.warc.gz", [("https://news.example/ferry", "200 OK", ARTICLE * 50, "text/html")], compress=True)
    data = Path("c.warc.gz").read_bytes()
    write("c.warc.gz", data[: len(data) // 2])
    with pytest.raises(InputError, match=r"^c.warc.gz: truncated or corrupt gzip stream"):
        run(["c.warc.gz"])
