"""What a sentence states (figures, names) and whether two texts agree on it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from news_dedupe.facts import (
    NAME,
    NUMBER,
    WORD,
    agreement,
    codes,
    conflicts,
    figures,
    mentions,
    names,
    segment_facts,
    skeleton,
    sound,
    sounds,
    subjects,
)


def test_figures_keep_their_digits_whatever_the_scale_word():
    """1,650,000 and 1.65 mln state one figure; a spun "28.5 thousand" keeps 28.5m's digits."""
    assert figures("an offering of 1,650,000 shares") == figures("an offering of 1.65 mln shares")
    assert figures("agreed to pay $28.5m") == figures("agreed to yield $28.5thousand")
    assert figures("to arrange one billion dlrs") == figures("to arrange 1 bln dlrs")


def test_fractions_and_other_amounts_are_other_figures():
    """Fed funds at 6-1/8 and at 6-5/16 pct, or one and two billion, are different figures."""
    assert figures("trading at 6-1/8 pct") != figures("trading at 6-5/16 pct")
    assert figures("arrange one billion dlrs") != figures("arrange two billion dlrs")


def test_names_leave_out_sentence_openers_headlines_and_company_forms():
    """A capitalised first word names nothing unless a capitalised word follows; Inc names nobody."""
    found = names("Earlier, Amplicon Inc said New Jersey Resources and E.F. Hutton led it.", 5)
    assert found == names("Dealers said Amplicon, New Jersey Resources and E.F. Hutton led it.", 5)
    assert len(found) == 6  # Amplicon, New, Jersey, Resources, EF, Hutton
    assert names("The Federal Reserve said.", 5) == names("Dealers said the Federal Reserve said.", 5)
    assert names("U.K. Money Market Surplus Revised To 250 Mln Stg", 5) == []


def test_respelled_names_have_one_skeleton():
    """Transliterations and misspellings that keep the consonants compare equal."""
    assert skeleton("Niyazov") == skeleton("Niiazov")
    assert skeleton("Eduardo") == skeleton("Eduerdo")
    assert skeleton("Hertz") != skeleton("Time")


def test_codes_keep_the_kind_and_tie_a_name_to_the_same_word():
    """A fact's code keeps its kind in the low bits; a name and the plain word differ only there."""
    name, word, number = codes(["@rts", "~rts", "#285"])
    assert (name & 3, word & 3, number & 3) == (NAME, WORD, NUMBER)
    assert name & ~3 == word & ~3


def _segments(*texts: str) -> list[list[int]]:
    return [codes(segment_facts(t, [w.lower()[:5] for w in t.split()], 5)) for t in texts]


def test_a_templated_report_states_other_figures():
    """The Bank of England's surplus of one hour and shortage of another share wording, not figures."""
    a = _segments(
        "The Bank of England said it revised its forecast of the surplus to 250 mln stg from 150 mln."
    )
    b = _segments("The Bank of England said it revised its forecast of the shortage to 1.15 billion stg.")
    facts = agreement(a, b, [(0, 0)])
    assert facts.figures == 2 and facts.figures_missing == 2  # 250 and 150: the shorter's own
    assert agreement(a, a, [(0, 0)]).figures_missing == 0


def test_a_figure_cut_from_a_sentence_is_not_held_against_a_version():
    """A version that drops the age of the man it names states nothing the original does not."""
    original = _segments("Finance minister Eduardo Lizano, 54, resigned on Monday, officials said.")
    version = _segments("Finance minister Eduardo Lizano resigned on Monday, officials said.")
    facts = agreement(version, original, [(0, 0)])
    assert (facts.figures, facts.figures_missing, facts.names_missing) == (0, 0, 0)
    assert agreement(original, version, [(0, 0)]).figures_missing == 1  # the other way round, it would


def test_a_name_used_as_a_plain_word_is_not_missing():
    """A rewrite that writes "local area network" for "Local Area Network" mentions the same thing."""
    a = _segments("Western Digital said it licensed its Local Area Network package to them.")
    b = _segments("the company said western digital licensed the local area network package.")
    assert agreement(a, b, [(0, 0)]).names_missing == 0


@given(
    st.lists(
        st.sampled_from(["Hertz", "UAL", "filed", "500", "mln", "Time", "said", "1.5", "Monday"]), min_size=1
    )
)
def test_a_text_agrees_with_itself(words):
    """Whatever a text states, it states nothing its copy does not."""
    text = "The company " + " ".join(words) + "."
    segs = _segments(text)
    facts = agreement(segs, segs, [(0, 0)])
    assert facts.figures_missing == 0 and facts.names_missing == 0 and facts.words_found == 1.0


def test_a_headline_names_whom_the_text_is_about():
    """The headline's words that the body writes as names are the subject; title case alone is not."""
    body = _segments("Sun Co said it raised the price it pays for crude oil by 50 cts a barrel.")
    assert mentions(subjects(["sun raises crude postings 50 cts"], body, 5), body)
    other = _segments("Diamond Shamrock said it raised the price it pays for crude oil by 50 cts a barrel.")
    about_diamond = subjects(["diamond shamrock raises crude postings"], other, 5)
    assert about_diamond and not mentions(about_diamond, body)
    assert subjects([], body, 5) == set()


def test_a_figure_keeps_what_it_counts():
    """6 pct and 6 bln dlrs are other facts; $28.5m and 28.5 mln dlrs one; a figure given without
    its unit agrees with the same digits in any unit."""
    assert figures("funds at 6 pct") != figures("arranged 6 bln dlrs")
    assert figures("to pay $28.5m") == figures("to pay 28.5 mln dlrs")
    assert figures("trading at six pct") == figures("trading at 6 pct")
    assert figures("Four others said so") == []  # a number word counts only before a unit or scale
    with_unit = _segments("Federal funds traded at 6 pct, dealers said on the day.")
    without = _segments("Federal funds traded at 6, dealers said on the day.")
    other = _segments("The Fed arranged 6 bln dlrs of repurchases, dealers said on the day.")
    assert agreement(with_unit, without, [(0, 0)]).figures_missing == 0
    assert agreement(without, with_unit, [(0, 0)]).figures_missing == 0
    assert agreement(with_unit, other, [(0, 0)]).figures_missing == 1


def test_respelled_and_transliterated_names_sound_alike():
    """Qaani, Ghaani and Ka'ani, or al-Kadhimi and al-Kazimi, are one name to the ear; Fieldcrest and
    Sonat, or Honduras and Turkey, are not."""
    assert sound("qaani") == sound("ghaani") == sound("kaani")
    assert sound("kadhimi") == sound("kazimi")
    assert sound("brazilian") == sound("brezilian")
    assert sound("fieldcrest") != sound("sonat")
    assert sound("honduras") != sound("turkey")
    assert sounds("Brigadier General Esmail Ghaani rushed") == sounds("Brigadier General Esmail Qaani rushed")


def test_tickers_name_nobody():
    """Each wire codes a company its own way (<HAN>, <HNSN.L>): a ticker is not a name."""
    assert names("Hanson Trust Plc <HAN> said", 5) == names("Hanson Trust Plc <HNSN.L> said", 5)


def test_a_swap_is_a_name_traded_for_another_in_one_wording_not_a_name_cut():
    """A matched pair whose words agree but whose names each side lacks trades a name; a pair in
    which one side only drops a name, or a figure moved to the next sentence, trades nothing."""
    a = _segments(
        "Volkswagen said it is building a car factory in Honduras this year.",
        "The plant will employ 1,200 people.",
    )
    b = _segments(
        "Porsche said it is building a car factory in Turkey this year.",
        "The plant will employ 1,200 people.",
    )
    cut = _segments(
        "Volkswagen said it is building a car factory this year.", "The plant will employ 1,200 people."
    )
    moved = _segments(
        "Volkswagen said it is building a car factory in Honduras with 1,200 jobs.",
        "The plant will employ people this year.",
    )
    assert conflicts(a, b, [(0, 0), (1, 1)]) == [(0, 0)]
    assert conflicts(cut, a, [(0, 0), (1, 1)]) == []
    assert conflicts(moved, a, [(0, 0), (1, 1)]) == []


def test_a_figure_traded_for_a_new_one_is_a_swap_unless_a_correction_is_allowed_it():
    """Another week's amount in one slot is a swap; `figures=False` (a correction) looks at names only."""
    a = _segments("The port loaded 412,000 tonnes of grain in the week, the board said.")
    b = _segments("The port loaded 388,500 tonnes of grain in the week, the board said.")
    assert conflicts(a, b, [(0, 0)]) == [(0, 0)]
    assert conflicts(a, b, [(0, 0)], figures=False) == []


_ASCII_PROSE = st.text(
    alphabet=st.sampled_from(list("aAbBcCdDeEnNoOpPtTsSmMlL0123456789 ,.;:'\"()-&$/`!?<>\t")), max_size=120
) | st.sampled_from(
    [
        "It paid $5.5 mln dlrs, or 6-1/8 pct, for one billion dlrs of Mr. O'Brien's shares.",
        "Corrects: A Sun Co unit said on Dec. 22 it would sell 1,650,000 shares at 28.5 cts.",
        "THE U.S.-LED FORCES SAID IT A",
    ]
)


@given(_ASCII_PROSE)
def test_ascii_fast_paths_find_what_the_unicode_patterns_find(text):
    """On ASCII text the stdlib patterns find exactly what the `regex` ones do (they are faster)."""
    from news_dedupe import facts

    assert [m.span() for m in facts._ASCII_NUMBER.finditer(text)] == [
        m.span() for m in facts._NUMBER.finditer(text)
    ]
    assert facts._ASCII_LOWER_WORD.findall(text) == facts._LOWER_WORD.findall(text)
    assert bool(facts._ASCII_MAYBE_FIGURE.search(text.lower())) == bool(facts._MAYBE_FIGURE.search(text))
