"""Reading PETRARCH-format actor and agent dictionaries, and finding their phrases in text.

Every dictionary here is a small invented example written into ``tmp_path``; the format is the
one in ``shared/reference/petrarch/dictionaries.rst``. Date restrictions sit on tab-indented
lines, hence the ``\\t`` in the examples.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from communique.actors.coded import CodedIndex
from communique.actors.petrarch import (
    ActorEntry,
    DatedCode,
    Dictionary,
    Problem,
    agent_sector,
    phrase_key,
    read_dictionary,
    split_code,
)
from communique.coder import Coder


def actors_file(tmp_path: Path, text: str, name: str = "test.actors") -> tuple[Path, Dictionary]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, read_dictionary(path, kind="actors")


def agents_file(tmp_path: Path, text: str, name: str = "test.agents") -> tuple[Path, Dictionary]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, read_dictionary(path, kind="agents")


def only_entry(dictionary: Dictionary) -> ActorEntry:
    assert dictionary.problems == []
    assert len(dictionary.actors) == 1, dictionary.actors
    return dictionary.actors[0]


def agent_codes(dictionary: Dictionary) -> dict[tuple[str, ...], str]:
    return {agent.phrase: agent.code for agent in dictionary.agents}


# --- actors: phrases and codes -----------------------------------------------------------------


def test_primary_phrase_synonyms_and_default_code(tmp_path: Path) -> None:
    path, dictionary = actors_file(
        tmp_path, "RURITANIA_  [RUR]\n+RURITANIAN_\n+STRELSAU_\n\nZENDA_ [RURZEN]\n"
    )
    assert dictionary.problems == []
    ruritania, zenda = dictionary.actors
    assert ruritania.phrases == ("RURITANIA_", "RURITANIAN_", "STRELSAU_")
    assert ruritania.name == "Ruritania"
    assert (ruritania.default, ruritania.dated) == ("RUR", ())
    assert ruritania.where == f"{path.name}:1"
    assert (zenda.phrases, zenda.default, zenda.where) == (("ZENDA_",), "RURZEN", f"{path.name}:5")
    assert ruritania.code_at(date(2024, 8, 29)) == "RUR"


def test_a_synonym_line_may_carry_codes_and_display_names_keep_initials(tmp_path: Path) -> None:
    entry = only_entry(actors_file(tmp_path, "RUDOLF_RASSENDYLL_\n+R._RASSENDYLL_ [RURGOV]\n")[1])
    assert entry.phrases == ("RUDOLF_RASSENDYLL_", "R._RASSENDYLL_")
    assert entry.default == "RURGOV"
    assert entry.name == "Rudolf Rassendyll"


@pytest.mark.parametrize(
    ("restriction", "start", "end"),
    [
        (">100101", date(2010, 1, 1), None),
        (">20100101", date(2010, 1, 1), None),
        ("> 140608", date(2014, 6, 8), None),
        ("<090120", None, date(2009, 1, 20)),
        ("<19890120", None, date(1989, 1, 20)),
        ("150101-191231", date(2015, 1, 1), date(2019, 12, 31)),
        ("19970101-20061231", date(1997, 1, 1), date(2006, 12, 31)),
        ("18970101-450703", date(1897, 1, 1), date(1945, 7, 3)),
        # Two-digit years up to 30 are 20YY, later ones 19YY.
        ("<300101", None, date(2030, 1, 1)),
        ("<310101", None, date(1931, 1, 1)),
        ("991231-000101", date(1999, 12, 31), date(2000, 1, 1)),
    ],
)
def test_date_restriction_forms(
    tmp_path: Path, restriction: str, start: date | None, end: date | None
) -> None:
    entry = only_entry(actors_file(tmp_path, f"RUDOLF_RASSENDYLL_\n\t[RURGOV {restriction}]\n")[1])
    assert entry.dated == (DatedCode("RURGOV", start=start, end=end),)
    assert entry.default is None


@pytest.mark.parametrize(
    ("restriction", "inside", "outside"),
    [
        ("100101-101231", [date(2010, 1, 1), date(2010, 12, 31)], [date(2009, 12, 31)]),
        ("100101-101231", [date(2010, 6, 1)], [date(2011, 1, 1)]),
        (">100101", [date(2010, 1, 1), date(2040, 1, 1)], [date(2009, 12, 31)]),
        ("<100101", [date(2010, 1, 1), date(1950, 1, 1)], [date(2010, 1, 2)]),
    ],
)
def test_date_limits_are_inclusive(
    tmp_path: Path, restriction: str, inside: list[date], outside: list[date]
) -> None:
    text = f"RUDOLF_RASSENDYLL_ [RURELI]\n\t[RURGOV {restriction}]\n"
    entry = only_entry(actors_file(tmp_path, text)[1])
    assert [entry.code_at(when) for when in inside] == ["RURGOV"] * len(inside)
    assert [entry.code_at(when) for when in outside] == ["RURELI"] * len(outside)


def test_the_first_covering_restriction_wins_and_the_default_fills_the_gaps(
    tmp_path: Path,
) -> None:
    text = (
        "RUDOLF_RASSENDYLL_\n"
        "\t[RURGOV 100101-151231]\n"
        "\t[RURMIL 120101-121231]\n"  # overlaps the first: never used
        "\t[RURELI]\n"  # the default, on a restriction line
        "\t[RURLEG >200101]\n"
    )
    entry = only_entry(actors_file(tmp_path, text)[1])
    assert entry.default == "RURELI"
    assert entry.code_at(date(2012, 6, 1)) == "RURGOV"
    assert entry.code_at(date(2009, 6, 1)) == "RURELI"
    assert entry.code_at(date(2017, 6, 1)) == "RURELI"
    assert entry.code_at(date(2021, 6, 1)) == "RURLEG"


def test_without_a_default_an_uncovered_date_has_no_code(tmp_path: Path) -> None:
    entry = only_entry(actors_file(tmp_path, "RUDOLF_RASSENDYLL_\n\t[RURGOV >100101]\n")[1])
    assert entry.code_at(date(2010, 1, 1)) == "RURGOV"
    assert entry.code_at(date(2009, 12, 31)) is None


def test_the_null_code_leaves_a_known_phrase_uncoded(tmp_path: Path) -> None:
    _, dictionary = actors_file(tmp_path, "RURITANIA_ [RUR]\nBLACK_ELPHBERG_  [---]\n")
    assert dictionary.problems == []
    assert [entry.phrases for entry in dictionary.actors] == [("RURITANIA_",), ("BLACK_ELPHBERG_",)]
    null = dictionary.actors[1]
    assert (null.default, null.dated) == (None, ())
    assert null.code_at(date(2024, 8, 29)) is None


def test_comments_with_hash_and_semicolon_are_ignored(tmp_path: Path) -> None:
    text = (
        "# .actor file for the tests\n"
        "; another comment style\n"
        "RURITANIA_  [RUR]  # the country\n"
        "+STRELSAU_ ; its capital\n"
        "\n"
        "   \n"
        "RUDOLF_RASSENDYLL_  ; CountryInfo.txt\n"
        "\t[RURGOV >100101]  # crowned\n"
        "\t# a comment between restrictions\n"
        "\t[RURELI] ; otherwise\n"
    )
    path, dictionary = actors_file(tmp_path, text)
    assert dictionary.problems == []
    ruritania, rudolf = dictionary.actors
    assert (ruritania.phrases, ruritania.default) == (("RURITANIA_", "STRELSAU_"), "RUR")
    assert rudolf.phrases == ("RUDOLF_RASSENDYLL_",)
    assert (rudolf.default, rudolf.dated) == ("RURELI", (DatedCode("RURGOV", date(2010, 1, 1)),))
    assert rudolf.where == f"{path.name}:7"


# --- actors: lines that cannot be read -------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("\t[RURGOV >991332]", "cannot read the date"),
        ("\t[RURGOV >1001]", "cannot read the date '1001'"),
        ("\t[RURGOV 2010]", "cannot read the date restriction '2010'"),
        ("\t[rurgov]", "cannot read the code 'rurgov'"),
        ("\t[RURGOV >100101] crowned", "unexpected text 'crowned' outside [...]"),
        ("+RUPERT]_", "cannot read the phrase 'RUPERT]_'"),
        ("  JUST A PHRASE [RUR", "unexpected text '[RUR' outside [...]"),
    ],
)
def test_a_malformed_line_is_reported_and_skipped_while_the_rest_loads(
    tmp_path: Path, line: str, message: str
) -> None:
    text = (
        f"RURITANIA_ [RUR]\nRUDOLF_RASSENDYLL_ [RURELI]\n\t[RURMIL <000101]\n{line}\n"
        "ZENDA_ [RURZEN]\n"
    )
    path, dictionary = actors_file(tmp_path, text)
    assert len(dictionary.problems) == 1, dictionary.problems
    problem = dictionary.problems[0]
    assert (problem.path, problem.line) == (path, 4)
    assert message in problem.message
    assert str(problem).startswith(f"{path}:4: ")
    ruritania, rudolf, zenda = dictionary.actors
    # The entry the bad line belongs to keeps everything else it says.
    assert rudolf.phrases == ("RUDOLF_RASSENDYLL_",)
    assert (rudolf.default, rudolf.dated) == (
        "RURELI",
        (DatedCode("RURMIL", end=date(2000, 1, 1)),),
    )
    assert (ruritania.default, zenda.default) == ("RUR", "RURZEN")


@pytest.mark.parametrize(
    "line", ["+R._RASSENDYLL_ [RURGOV >1001]", "\t[RURGOV >100101] [RURMIL >1001]"]
)
def test_a_skipped_line_adds_nothing_to_its_entry(tmp_path: Path, line: str) -> None:
    """Neither the synonym nor the good code before the bad one is kept."""
    path, dictionary = actors_file(tmp_path, f"RUDOLF_RASSENDYLL_ [RURELI]\n{line}\n")
    assert [(p.path, p.line) for p in dictionary.problems] == [(path, 2)]
    rudolf = dictionary.actors[0]
    assert (rudolf.phrases, rudolf.default, rudolf.dated) == (("RUDOLF_RASSENDYLL_",), "RURELI", ())


def test_an_entry_whose_first_line_is_unreadable_is_skipped_whole(tmp_path: Path) -> None:
    text = (
        "RURITANIA_ [RUR]\n"
        "RUPERT_OF_HENTZAU_ [RUR GOV EXTRA]\n"  # line 2: the code cannot be read
        "+RUPERT_\n"
        "\t[RURREB >100101]\n"
        "ZENDA_ [RURZEN]\n"
        "+ZENDA_CASTLE_\n"
    )
    path, dictionary = actors_file(tmp_path, text)
    assert [(p.path, p.line) for p in dictionary.problems] == [(path, 2)]
    assert "cannot read the code" in dictionary.problems[0].message
    ruritania, zenda = dictionary.actors
    # The orphaned synonym and restriction are not given to the entry before.
    assert (ruritania.phrases, ruritania.default, ruritania.dated) == (("RURITANIA_",), "RUR", ())
    assert zenda.phrases == ("ZENDA_", "ZENDA_CASTLE_")


def test_a_synonym_before_any_phrase_is_reported(tmp_path: Path) -> None:
    path, dictionary = actors_file(tmp_path, "# header\n+STRELSAU_\nRURITANIA_ [RUR]\n")
    assert [str(problem) for problem in dictionary.problems] == [
        f"{path}:2: a synonym or date restriction before any actor phrase"
    ]
    assert [entry.phrases for entry in dictionary.actors] == [("RURITANIA_",)]


def test_problem_reads_as_file_line_message() -> None:
    problem = Problem(Path("dicts/mine.actors"), 12, "cannot read the code 'x'")
    assert str(problem) == "dicts/mine.actors:12: cannot read the code 'x'"


def test_a_byte_order_mark_is_not_part_of_the_first_line(tmp_path: Path) -> None:
    """Files saved by some Windows editors start with a UTF-8 byte-order mark."""
    commented = tmp_path / "commented.actors"
    commented.write_text("# saved by Notepad\nRURITANIA_ [RUR]\n", encoding="utf-8-sig")
    assert read_dictionary(commented, kind="actors").problems == []
    actors = tmp_path / "bom.actors"
    actors.write_text("RURITANIA_ [RUR]\n", encoding="utf-8-sig")
    assert only_entry(read_dictionary(actors, kind="actors")).name == "Ruritania"
    agents = tmp_path / "bom.agents"
    agents.write_text("BEEKEEPER [~AGR]\n", encoding="utf-8-sig")
    assert ("beekeeper",) in agent_codes(read_dictionary(agents, kind="agents"))


# --- agents -----------------------------------------------------------------------------------


def test_agents_regular_plurals(tmp_path: Path) -> None:
    text = "BEEKEEPER [~AGR]\nSECRETARY [~GOV]\nENVOY [~GOV]\nHARBOUR_BOSS [~BUS]\n"
    _, dictionary = agents_file(tmp_path, text)
    assert dictionary.problems == []
    assert agent_codes(dictionary) == {
        ("beekeeper",): "AGR",
        ("beekeepers",): "AGR",
        ("secretary",): "GOV",
        ("secretaries",): "GOV",  # -y after a consonant: -ies
        ("envoy",): "GOV",
        ("envoys",): "GOV",  # -y after a vowel: -s
        ("harbour", "boss"): "BUS",
        ("harbour", "bosses"): "BUS",  # -ss: -es
    }


def test_agents_irregular_and_no_plural(tmp_path: Path) -> None:
    text = (
        "ATTORNEY_GENERAL {ATTORNEYS_GENERAL} [~GOVATG]\n"
        "POLICE {} [~COP]\n"
        "PARLIAMENTARY_OPPOSITION {} [~OPP] #jap 11 Oct 2002\n"
    )
    _, dictionary = agents_file(tmp_path, text)
    assert dictionary.problems == []
    assert agent_codes(dictionary) == {
        ("attorney", "general"): "GOVATG",
        ("attorneys", "general"): "GOVATG",
        ("police",): "COP",
        ("parliamentary", "opposition"): "OPP",
    }


def test_agent_code_before_or_after_the_tilde(tmp_path: Path) -> None:
    path, dictionary = agents_file(
        tmp_path,
        "<!-- AGENTS FOR THE TESTS -->\n"
        "FOREIGN_MINISTER [~GOVFRM]\n"
        "HUMAN_RIGHTS_BODY {} [NGO~]\n"
        "COPTIC_CHRISTIAN {} [~CHRCPT]\n"
        "PEACEKEEPING_TROOPS {} [IGO~]\n",
    )
    assert dictionary.problems == []
    found = {agent.phrase: (agent.code, agent.sector, agent.where) for agent in dictionary.agents}
    assert found[("foreign", "minister")] == ("GOVFRM", "GOV", f"{path.name}:2")
    assert found[("human", "rights", "body")] == ("NGO", "NGO", f"{path.name}:3")
    assert found[("coptic", "christian")] == ("CHRCPT", "REL", f"{path.name}:4")
    assert found[("peacekeeping", "troops")] == ("IGO", "IGO", f"{path.name}:5")


def test_substitution_sets_expand_without_extra_plurals(tmp_path: Path) -> None:
    text = (
        "!PERSON! = MAN, MEN, WOMAN , WOMEN,PERSON\n"
        "!MINIST! = MINISTER, MINISTRY\n"
        "CONGRESS!PERSON! [~LEG}\n"  # "}" closing the code is a known slip, accepted
        "!MINIST!_OF_LIGHTHOUSES [~GOV]\n"
    )
    _, dictionary = agents_file(tmp_path, text)
    assert dictionary.problems == []
    assert agent_codes(dictionary) == {
        ("congressman",): "LEG",
        ("congressmen",): "LEG",
        ("congresswoman",): "LEG",
        ("congresswomen",): "LEG",
        ("congressperson",): "LEG",
        ("minister", "of", "lighthouses"): "GOV",
        ("ministry", "of", "lighthouses"): "GOV",
    }


def test_malformed_agent_lines_are_reported_and_the_rest_loads(tmp_path: Path) -> None:
    text = (
        "BEEKEEPER [~AGR]\n"
        "ISLAMIC_EXTREMIST\n"  # no code
        "CONGRESS!PERSON! [~LEG]\n"  # the set is defined only later
        "!PERSON! = MAN, WOMAN\n"
        "LIGHTHOUSE_KEEPER [~cvl]\n"  # not a code
        "ASSEMBLY!PERSON! [~LEG]\n"
    )
    path, dictionary = agents_file(tmp_path, text)
    assert [(p.path, p.line) for p in dictionary.problems] == [(path, 2), (path, 3), (path, 5)]
    assert "expected PHRASE {PLURAL} [~CODE]" in dictionary.problems[0].message
    assert "!PERSON! is not defined above this line" in dictionary.problems[1].message
    assert "cannot read the agent code" in dictionary.problems[2].message
    assert agent_codes(dictionary) == {
        ("beekeeper",): "AGR",
        ("beekeepers",): "AGR",
        ("assemblyman",): "LEG",
        ("assemblywoman",): "LEG",
    }


# --- codes and phrases ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "parts"),
    [
        ("USAGOV", ("USA", "GOV", None)),
        ("AFGELI", ("AFG", "ELI", None)),
        ("IGOUNO", (None, "IGO", "IGOUNO")),
        ("IMGMUSALQ", (None, "REB", "IMGMUSALQ")),
        ("NGAREB", ("NGA", "REB", None)),
        ("USA", ("USA", None, None)),
        ("AFGGOVJUD", ("AFG", "GOV", None)),
        ("USAASMGOV", ("USA", "GOV", None)),  # a territory's group comes before the sector
        ("IRQMUSSHI", ("IRQ", "REL", None)),  # religion groups only: religious
        ("", (None, None, None)),
        ("US", (None, None, None)),
    ],
)
def test_split_code(code: str, parts: tuple[str | None, str | None, str | None]) -> None:
    assert split_code(code) == parts


@pytest.mark.parametrize(
    ("code", "sector"), [("GOVFRM", "GOV"), ("MIL", "MIL"), ("CHRCPT", "REL"), ("MUSRAD", "REL")]
)
def test_agent_sector(code: str, sector: str) -> None:
    assert agent_sector(code) == sector


def test_phrase_key_ignores_case_underscores_and_punctuation() -> None:
    expected = ("u", "s", "state", "department")
    assert phrase_key("U.S._STATE_DEPARTMENT_") == expected
    assert phrase_key("U.S. State Department") == expected
    assert phrase_key("___") == ()


# --- finding dictionary phrases in a parsed document ------------------------------------------


def test_coded_index_finds_multiword_phrases_and_skips_ordinary_lower_case_words(
    coder: Coder, tmp_path: Path
) -> None:
    text = "U.S._STATE_DEPARTMENT_ [USAGOV]\nTURKEY_ [TUR]\nCHAD_ [TCD]\n"
    index = CodedIndex(actors_file(tmp_path, text)[1].actors)
    assert len(index) == 3
    doc = coder.nlp("The U.S. State Department said turkey prices rose in Turkey and chad in Chad.")
    found = [(doc[m.start : m.end].text, m.entry.default) for m in index.find(doc, taken=set())]
    assert found == [("U.S. State Department", "USAGOV"), ("Turkey", "TUR"), ("Chad", "TCD")]
    lookup = index.lookup("u.s. state department")
    assert lookup is not None
    assert lookup.default == "USAGOV"


def test_coded_index_leaves_tokens_taken_by_others(coder: Coder, tmp_path: Path) -> None:
    index = CodedIndex(actors_file(tmp_path, "TURKEY_ [TUR]\nCHAD_ [TCD]\n")[1].actors)
    doc = coder.nlp("Turkey and Chad signed a deal.")
    assert [doc[m.start : m.end].text for m in index.find(doc, taken={0})] == ["Chad"]


def test_a_later_entry_for_the_same_phrase_replaces_an_earlier_one(tmp_path: Path) -> None:
    _, first = actors_file(tmp_path, "ZENDA_ [RURZEN]\n", name="first.actors")
    _, second = actors_file(tmp_path, "ZENDA_ [RURGOV]\n", name="second.actors")
    index = CodedIndex(first.actors)
    index.add(second.actors)
    entry = index.lookup("Zenda")
    assert entry is not None
    assert (entry.default, entry.where) == ("RURGOV", "second.actors:1")


def test_a_substitution_that_names_itself_is_one_problem(tmp_path: Path) -> None:
    """Found by fuzzing: a set whose words hold its own marker recursed without end."""
    text = "!WORKER! = DOCK!WORKER!, PORT\nHARBOUR!WORKER! [~BUS]\nTEA_PICKER [AGR~]\n"
    path, dictionary = agents_file(tmp_path, text)
    assert [(p.path, p.line) for p in dictionary.problems] == [(path, 2)]
    assert "does !WORKER! name itself?" in dictionary.problems[0].message
