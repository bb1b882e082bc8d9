"""news_dedupe.text: normalisation, tokens, segments, prose marking and shingles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from news_dedupe.text import (
    MIN_SEGMENT_TOKENS,
    STOPWORDS,
    Segment,
    is_prose,
    mark_prose,
    normalize,
    segments,
    shingles,
    stem,
    tokenize,
)

# Text with the characters the tokenizer and the sentence splitter treat specially.
_SPECIAL = st.sampled_from(list("ab Σσς.!?。！？\n'’‘“”-–—é\u0301ΑБ北京かカ1 \t\r\u2028…\"ﬁＡ"))
tricky_text = st.one_of(st.text(), st.lists(_SPECIAL, max_size=200).map("".join))


# -- normalize -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(tricky_text)
def test_normalize_is_idempotent(text):
    """Normalising twice gives the same text as normalising once."""
    once = normalize(text)
    assert normalize(once) == once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Shi\u2019ite", "shi'ite"),
        ("Shi\u2018ite", "shi'ite"),
        ("Shi\u02bcite", "shi'ite"),
        ("Shi`ite", "shi'ite"),
        ("\u201cAccept the results\u201d", '"accept the results"'),
        ("\u00abAccept\u00bb", '"accept"'),
        ("U.S.\u2013led", "u.s.-led"),
        ("U.S.\u2014led", "u.s.-led"),
        ("U.S.\u2212led", "u.s.-led"),
        ("U.S.\u2010led", "u.s.-led"),
    ],
)
def test_normalize_unifies_quotes_and_dashes(raw, expected):
    """Typographic quotes, apostrophes and dashes compare equal to their ASCII forms."""
    assert normalize(raw) == expected


def test_normalize_folds_case_and_compatibility_forms():
    """Case is folded (ß as ss) and compatibility characters (ligatures, full-width) are unfolded."""
    assert normalize("BAGHDAD Reuters") == "baghdad reuters"
    assert normalize("Straße") == normalize("STRASSE") == "strasse"
    assert normalize("\ufb01re") == "fire"
    assert normalize("\uff21\uff22\uff23") == "abc"


# -- tokenize --------------------------------------------------------------------------------


def test_tokenize_english_words_numbers_possessives():
    """Words and numbers are tokens; possessive 's goes, inner apostrophes are removed, hyphens split."""
    assert tokenize("Iran’s Shi’ite militias, Iran-backed, won 2015 seats.") == [
        "iran",
        "shiite",
        "militias",
        "iran",
        "backed",
        "won",
        "2015",
        "seats",
    ]


def test_tokenize_equal_for_typographic_variants():
    """A curly-quote version and a plain version of one sentence give the same tokens."""
    assert tokenize("Ghaani’s message: “Accept the result.”") == tokenize(
        'GHAANI\'S message: "accept the result."'
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Οι πυροσβέστες έφτασαν στην Ελλάδα.", ["οι", "πυροσβέστεσ", "έφτασαν", "στην", "ελλάδα"]),
        ("Пожарные прибыли в Грецию в субботу.", ["пожарные", "прибыли", "в", "грецию", "в", "субботу"]),
        ("وصل رجال الإطفاء إلى اليونان", ["وصل", "رجال", "الإطفاء", "إلى", "اليونان"]),
        ("مُحَمَّد", ["مُحَمَّد"]),  # vowel marks stay inside the word
        ("Café naïve", ["café", "naïve"]),
    ],
)
def test_tokenize_non_latin_scripts(text, expected):
    """Greek, Cyrillic and Arabic words are whole tokens, with their combining marks."""
    assert tokenize(text) == expected


def test_tokenize_han_characters_one_token_each():
    """Each Han character is a token of its own, between spaces, punctuation or other Han characters."""
    assert tokenize("北京大学") == ["北", "京", "大", "学"]
    assert tokenize("iPhone 15 在北京发布。") == ["iphone", "15", "在", "北", "京", "发", "布"]


def test_tokenize_han_after_digits_or_latin_still_one_token_each():
    """Han characters right after a number or a Latin word (2024年, GDP增长) are still one token each."""
    assert tokenize("15在北京发布") == ["15", "在", "北", "京", "发", "布"]
    assert tokenize("GDP增长") == ["gdp", "增", "长"]
    assert tokenize("2024年3月") == ["2024", "年", "3", "月"]


def test_tokenize_kana_and_thai_one_token_per_character():
    """Other scripts written without spaces are cut into characters too."""
    assert tokenize("ひらがなカタカナ") == list("ひらがなカタカナ")
    assert tokenize("ภาษา") == list("ภาษา")


@settings(max_examples=300, deadline=None)
@given(tricky_text)
def test_tokenize_never_crashes_and_gives_clean_tokens(text):
    """Any text tokenizes into non-empty tokens without spaces or apostrophes."""
    tokens = tokenize(text)
    assert all(tokens)
    assert not any(ch.isspace() or ch == "'" for t in tokens for ch in t)


@settings(max_examples=200, deadline=None)
@given(tricky_text)
def test_tokenize_normalized_text_is_the_same(text):
    """Tokenizing already-normalised text gives the same tokens."""
    assert tokenize(normalize(text)) == tokenize(text)


# -- stem and shingles -----------------------------------------------------------------------


def test_stem_truncates_every_token():
    """Truncation stemming cuts each token to the given length and leaves shorter ones alone."""
    assert stem(["destabilising", "destabilizing", "iran", "militias"], 5) == [
        "desta",
        "desta",
        "iran",
        "milit",
    ]


def test_shingles_word_ngrams():
    """Shingles are the distinct word n-grams; a text shorter than n is one gram; no text, none."""
    assert shingles(["a", "b", "c", "d"], 3) == {"a b c", "b c d"}
    assert shingles(["a", "b", "a", "b"], 2) == {"a b", "b a"}
    assert shingles(["a", "b"], 3) == {"a b"}
    assert shingles([], 3) == set()


# -- segments --------------------------------------------------------------------------------


def test_segments_split_sentences_and_keep_line_numbers():
    """Sentences become segments; blank lines are skipped but line numbers count them."""
    text = (
        "The bodies of two young children have been recovered from a lake. "
        "Searchers are still looking for a third.\n"
        "\n"
        "Authorities believe all three children were under the age of five."
    )
    segs = segments(text)
    assert [s.line for s in segs] == [1, 1, 3]
    assert segs[0].tokens[:3] == ("the", "bodies", "of")
    assert segs[1].text == "Searchers are still looking for a third."
    assert all(isinstance(s, Segment) and not s.prose for s in segs)


def test_segments_short_sentence_joins_its_neighbour_on_the_line():
    """A sentence shorter than MIN_SEGMENT_TOKENS joins its neighbour on the same line."""
    segs = segments("He added. The militia official said the Iranians were furious.")
    assert len(segs) == 1
    assert segs[0].tokens == (
        "he",
        "added",
        "the",
        "militia",
        "official",
        "said",
        "the",
        "iranians",
        "were",
        "furious",
    )
    # a short last sentence joins the one before it
    segs = segments("The militia official said the Iranians were furious. He added.")
    assert len(segs) == 1 and segs[0].tokens[-2:] == ("he", "added")


def test_segments_lines_never_join():
    """A short chrome line stays a segment of its own, however short."""
    segs = segments("Connect with us\nThe bodies of two young children have been recovered from a lake.")
    assert [s.tokens for s in segs][0] == ("connect", "with", "us")
    assert [s.line for s in segs] == [1, 2]


def test_segments_cjk_split_without_spaces():
    """Chinese sentences split after 。 and ！ with no space after them."""
    segs = segments("本市图书馆周六宣布新建的阅览室。馆长李明在发布会上表示欢迎！")
    assert [len(s.tokens) for s in segs] == [15, 13]


def test_segments_long_sentence_is_cut_and_a_tiny_tail_dropped():
    """A sentence longer than max_tokens is cut into pieces; a last piece under 6 tokens is left out."""
    words = " ".join(f"w{i}" for i in range(25))
    segs = segments(words, max_tokens=10)
    assert [len(s.tokens) for s in segs] == [10, 10]  # the 5-token tail is dropped
    segs = segments(" ".join(f"w{i}" for i in range(27)), max_tokens=10)
    assert [len(s.tokens) for s in segs] == [10, 10, 7]


@settings(max_examples=300, deadline=None)
@given(tricky_text)
def test_segments_keep_every_token_in_order(text):
    """Without the length cap, the segments' tokens are exactly the text's tokens, in order."""
    segs = segments(text, max_tokens=10**9)
    assert [t for s in segs for t in s.tokens] == tokenize(text)
    assert all(s.tokens for s in segs)
    mark_prose(segs)  # never crashes either


# -- prose -----------------------------------------------------------------------------------


def test_is_prose_needs_function_words_and_length():
    """A sentence with function words is prose; a headline list line or a short line is not."""
    assert is_prose(tokenize("The Iranian government did not respond to requests for comment."))
    assert not is_prose(tokenize("Iran Quds Force chief meets Iraqi PM Baghdad"))
    assert not is_prose(tokenize("Connect with us"))
    assert len(tokenize("Connect with us")) < MIN_SEGMENT_TOKENS


def test_mark_prose_english_page():
    """On an English page, sentences are prose and furniture (menus, short lines) is not."""
    text = (
        "Connect with us\n"
        "The Iranian government, which condemned the attack at the time, did not respond to requests.\n"
        "Home World Business Sports Opinion Video Weather Podcasts Newsletters\n"
        "Continue Reading"
    )
    marked = mark_prose(segments(text))
    assert [s.prose for s in marked] == [False, True, False, False]


def test_mark_prose_other_language_judged_by_length():
    """Text with no English function words counts every segment of 6 tokens or more as prose."""
    text = "Οι πυροσβέστες από τη Ρουμανία έφτασαν στην Αθήνα το Σάββατο.\nΑθήνα Ελλάδα"
    marked = mark_prose(segments(text))
    assert [s.prose for s in marked] == [True, False]
    chinese = mark_prose(segments("本市图书馆周六宣布新建的阅览室。"))
    assert [s.prose for s in chinese] == [True]


def test_stopwords_are_normalised_english_function_words():
    """The stopword list is lower-case, apostrophe-free and includes the words prose needs."""
    assert {"the", "of", "and", "said"} <= STOPWORDS
    assert all(w == normalize(w) and "'" not in w for w in STOPWORDS)


def test_shingle_hashes_count_the_same_grams_as_shingles():
    """Hashed n-grams are as many as the distinct n-gram strings, and equal texts hash equally."""
    from news_dedupe.text import shingle_hashes

    tokens = ["the", "cat", "sat", "on", "the", "mat", "and", "the", "cat", "sat", "on", "the", "hat"]
    hashed = shingle_hashes(tokens, 3)
    assert len(hashed) == len(shingles(tokens, 3))
    assert list(hashed) == sorted(hashed)
    assert (shingle_hashes(list(tokens), 3) == hashed).all()
    assert len(shingle_hashes(["a", "b"], 3)) == 1
    assert len(shingle_hashes([], 3)) == 0
    assert shingle_hashes(["b", "a", "c"], 3)[0] != shingle_hashes(["a", "b", "c"], 3)[0]


def test_a_wire_lede_full_of_figures_is_prose():
    """Figures are not words: a lede that states its terms in numbers still reads as prose."""
    lede = tokenize(
        "MEPC Plc is issuing a 75 mln stg eurobond due April 15, 2004 paying 9-7/8 pct and priced "
        "at 99-5/8 pct, lead manager County Natwest Capital Markets said."
    )
    assert is_prose(lede)
    assert not is_prose(tokenize("Home | World | Markets | 2004 | 15 | 75 | Contact us"))
