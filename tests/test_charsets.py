"""news_dedupe.charsets: which legacy encoding a file that is not UTF-8 is read in."""

from __future__ import annotations

import pytest

from news_dedupe.charsets import choose_legacy, looks_latin, unlikely

ENGLISH = "The club paid a fee for the striker, who scored twice on his debut against Leeds. " * 4


@pytest.mark.parametrize(
    "text",
    [
        ENGLISH + "Tickets cost \u00a315 each.",
        "Le café était fermé à Noël, a-t-il déclaré « sans surprise ».",
        "Die Straße nach Zürich ist für Lastwagen gesperrt, sagte ein Sprecher.",
        ENGLISH + "It was the club\u2019s \u201cbest\u201d season \u2013 so far\u2026",
    ],
)
def test_latin_text_looks_latin(text):
    """English with a pound sign, French, German and curly punctuation read as Latin text."""
    assert looks_latin(text)


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Мэр Москвы в среду открыл новый пешеходный мост через реку.", "cp1251"),
        ("Ο δήμαρχος της Αθήνας εγκαίνιασε νέα γέφυρα την Τετάρτη.", "cp1253"),
        (ENGLISH + "Tokyo (東京) and Osaka (大阪) said.", "shift_jis"),
    ],
)
def test_other_scripts_misread_as_cp1252_do_not_look_latin(text, codec):
    """Cyrillic, Greek and Japanese bytes read as cp1252 are not taken for Latin text."""
    misread = text.encode(codec).decode("cp1252", "replace")
    assert not looks_latin(misread)


def test_unlikely_is_stray_foreign_characters_in_english():
    """A half-width katakana in English is unlikely; a Japanese word or a Russian text is not."""
    assert unlikely(ENGLISH + "a \uff6315.8m signing")
    assert not unlikely(ENGLISH + "Tokyo (東京) said.")
    assert not unlikely("Мэр Москвы в среду открыл новый мост.")
    assert not unlikely(ENGLISH + "a \u00a315.8m signing")


def test_choose_legacy_prefers_cp1252_for_latin1_news(fixtures_dir):
    """The Latin-1 fixture that charset-normalizer takes for cp932 is read as cp1252."""
    pytest.importorskip("charset_normalizer")
    assert choose_legacy((fixtures_dir / "formats" / "latin1.txt").read_bytes()) == ("cp1252", False)


def test_choose_legacy_keeps_a_guess_of_another_script():
    """A Russian cp1251 text keeps charset-normalizer's guess; it is not unlikely."""
    pytest.importorskip("charset_normalizer")
    text = "Мэр Москвы в среду открыл новый пешеходный мост через реку. «Это решительный шаг», заявил он.\n"
    assert choose_legacy(text.encode("cp1251")) == ("cp1251", False)
