"""Users' dictionaries on the command line (``--actors``/``--agents``) and knowledge-base files.

The dictionaries are small invented examples written by the tests. Each distinct set of
dictionary files builds its own pipeline (a few seconds), so the files most tests share are
written once per module. The Phoenix tests use the shared reference material and skip
without it.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from communique.actors.kb import KnowledgeBase, merge_people
from communique.actors.petrarch import read_dictionary
from communique.cli import cli
from communique.coder import Coder
from communique.errors import DataFileError
from communique.resources import packaged_path
from tests.conftest import shared_file

WIDE = {"COLUMNS": "1000"}

# An invented French minister who later leaves office; "Washington" read as Congress; and the
# Kremlin deliberately left uncoded.
USER_ACTORS = """\
# Invented entries for the tests.
JEAN_PIERRE_FOURNIVAL_  ; a made-up minister
+J.P._FOURNIVAL_
\t[FRAGOV 150101-191231]
\t[FRAELI >200101]
WASHINGTON_  [USALEG]  # the user reads Washington as Congress
KREMLIN_  [---]
"""
USER_AGENTS = """\
# An invented role word: no built-in role covers it.
BEEKEEPER [~AGR]
LIGHTHOUSE_KEEPER {LIGHTHOUSE_KEEPERS} [~CVL]
"""
ARTICLE = "Jean-Pierre Fournival met Xi Jinping in Beijing on Monday.\n"


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty directory, so that no stray ``communique.toml`` changes the settings."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def dictionaries(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(actors file, agents file), written once so that the CLI reuses one pipeline each."""
    folder = tmp_path_factory.mktemp("dictionaries")
    actors, agents = folder / "user.actors", folder / "user.agents"
    actors.write_text(USER_ACTORS, encoding="utf-8")
    agents.write_text(USER_AGENTS, encoding="utf-8")
    return actors, agents


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), env=WIDE)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def resolve(phrase: str, when: str, *options: str) -> dict[str, Any]:
    result = invoke("actors", "resolve", phrase, "--date", when, *options)
    assert result.exit_code == 0, result.output
    record: dict[str, Any] = json.loads(result.stdout)
    return record


# --- communique actors resolve ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "code"),
    [
        ("2014-12-31", ""),  # before any restriction, and no default: uncoded
        ("2015-01-01", "FRAGOV"),
        ("2019-12-31", "FRAGOV"),
        ("2020-01-01", "FRAELI"),
        ("2024-08-29", "FRAELI"),
    ],
)
def test_resolve_follows_the_date_restrictions(
    dictionaries: tuple[Path, Path], when: str, code: str
) -> None:
    actors, _ = dictionaries
    record = resolve("Jean-Pierre Fournival", when, "--actors", str(actors))
    assert record["code"] == code
    assert record["matched_by"] == f"actors:{actors.name}:2"


def test_resolve_a_synonym(dictionaries: tuple[Path, Path]) -> None:
    actors, _ = dictionaries
    record = resolve("J.P. Fournival", "2017-05-01", "--actors", str(actors))
    assert (record["code"], record["name"]) == ("FRAGOV", "Jean Pierre Fournival")


def test_without_the_file_the_invented_name_is_unknown(coder: Coder) -> None:
    assert coder.resolve_actor("Jean-Pierre Fournival", when="2017-05-01").code == ""


def test_a_user_entry_overrides_the_built_in_knowledge_base(
    coder: Coder, dictionaries: tuple[Path, Path]
) -> None:
    assert coder.resolve_actor("Washington", when="2024-08-29").code == "USAGOV"
    actors, _ = dictionaries
    record = resolve("Washington", "2024-08-29", "--actors", str(actors))
    assert (record["country"], record["sector"], record["code"]) == ("USA", "LEG", "USALEG")
    assert record["matched_by"] == f"actors:{actors.name}:6"


def test_a_null_code_stops_a_built_in_name_being_coded(
    coder: Coder, dictionaries: tuple[Path, Path]
) -> None:
    assert coder.resolve_actor("the Kremlin", when="2024-08-29").code == "RUSGOV"
    actors, _ = dictionaries
    record = resolve("the Kremlin", "2024-08-29", "--actors", str(actors))
    assert (record["code"], record["matched_by"]) == ("", f"actors:{actors.name}:7")


@pytest.mark.parametrize(
    ("phrase", "code", "rule"),
    [
        ("Kenyan beekeepers", "KENAGR", "role:beekeepers"),
        ("a Kenyan beekeeper", "KENAGR", "role:beekeeper"),
        ("Norwegian lighthouse keepers", "NORCVL", "role:lighthouse keepers"),
    ],
)
def test_agents_file_adds_role_words(
    coder: Coder, dictionaries: tuple[Path, Path], phrase: str, code: str, rule: str
) -> None:
    before = coder.resolve_actor(phrase, when="2024-08-29")
    assert before.sector == ""
    _, agents = dictionaries
    record = resolve(phrase, "2024-08-29", "--agents", str(agents))
    assert (record["code"], record["matched_by"]) == (code, rule)


def test_a_malformed_dictionary_line_is_skipped_with_its_place(tmp_path: Path) -> None:
    actors = tmp_path / "broken.actors"
    actors.write_text(
        "RURITANIA_ [RUR]\n"
        "RUDOLF_RASSENDYLL_\n"
        "\t[RURGOV 2010-2020]\n"  # line 3: not a date restriction
        "\t[RURELI]\n",
        encoding="utf-8",
    )
    result = invoke(
        "actors", "resolve", "Rudolf Rassendyll", "--date", "2015-06-01", "--actors", str(actors)
    )
    assert result.exit_code == 0, result.output
    skipped = [
        line for line in result.stderr.splitlines() if line.startswith("communique: skipped")
    ]
    assert len(skipped) == 1, result.stderr
    assert skipped[0].startswith(f"communique: skipped {actors}:3: ")
    assert "cannot read the date restriction '2010-2020'" in skipped[0]
    record = json.loads(result.stdout)
    assert (record["code"], record["matched_by"]) == ("RURELI", f"actors:{actors.name}:2")


def test_a_missing_dictionary_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "absent.actors"
    result = invoke("actors", "resolve", "Washington", "--actors", str(missing))
    assert result.exit_code == 2
    assert "absent.actors" in result.stderr


# --- communique code --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("published", "code"), [("2017-05-01", "FRAGOV"), ("2021-05-03", "FRAELI")]
)
def test_code_uses_the_users_code_on_the_event_date(
    tmp_path: Path, dictionaries: tuple[Path, Path], published: str, code: str
) -> None:
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    actors, _ = dictionaries
    result = invoke(
        "code", str(article), "--date", published, "--actors", str(actors), "--format", "jsonl"
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(events) == 1, events
    event = events[0]
    assert event["date"] == published  # "on Monday" is the publication day
    assert event["source"]["text"] == "Jean-Pierre Fournival"
    assert (event["source"]["code"], event["source"]["resolved"]) == (code, True)
    assert (event["target"]["code"], event["resolved"]) == ("CHNGOV", True)


# --- the knowledge base in Python -------------------------------------------------------------


def test_with_dictionaries_extends_a_copy(dictionaries: tuple[Path, Path], tmp_path: Path) -> None:
    actors, agents = dictionaries
    broken = tmp_path / "broken.agents"
    broken.write_text("BEEKEEPER\n", encoding="utf-8")
    base = KnowledgeBase.default()
    kb = base.with_dictionaries(actors=[actors], agents=[agents, broken])
    entry = kb.user_actors.lookup("Jean Pierre Fournival")
    assert entry is not None
    assert entry.code_at(date(2017, 5, 1)) == "FRAGOV"
    assert kb.roles[("beekeepers",)] == "AGR"
    assert [(p.path, p.line) for p in kb.problems] == [(broken, 1)]
    # The shared default knowledge base is untouched.
    assert base.user_actors.lookup("Jean Pierre Fournival") is None
    assert ("beekeepers",) not in base.roles
    assert base.problems == []


PEOPLE = """\
- name: Ada Quillfeather
  country: GBR
  roles:
    - {title: minister of lighthouses, sector: GOV, start: "2001-01-01", end: null}
- name: Bram Oosterveld
  country: NLD
  roles:
    - {title: harbour master, sector: HARBOUR, start: "2001-01-01", end: null}
"""


def packaged_files(people: list[Path]) -> dict[str, Any]:
    """The arguments of ``KnowledgeBase.from_files`` with the packaged data, but these people."""
    data = packaged_path("actors/data")
    return {
        "countries": data / "countries.yml",
        "organisations": data / "organisations.yml",
        "institutions": data / "institutions.yml",
        "roles": data / "roles.yml",
        "people": people,
    }


def test_a_people_file_breaking_its_schema_names_the_field(tmp_path: Path) -> None:
    people = tmp_path / "people.yml"
    people.write_text(PEOPLE, encoding="utf-8")
    with pytest.raises(DataFileError) as raised:
        KnowledgeBase.from_files(**packaged_files([people]))
    message = str(raised.value)
    assert str(people) in message
    assert "entry 1" in message
    assert "roles/0/sector" in message
    assert "'HARBOUR'" in message


def test_a_valid_people_file_loads(tmp_path: Path) -> None:
    people = tmp_path / "people.yml"
    people.write_text(PEOPLE.replace("HARBOUR", "GOV"), encoding="utf-8")
    kb = KnowledgeBase.from_files(**packaged_files([people]))
    bram = kb.unique_person_by_surname("Oosterveld")
    assert bram is not None
    assert (bram.name, bram.country) == ("Bram Oosterveld", "NLD")
    office = bram.office_at(date(2024, 8, 29))
    assert office is not None
    assert office.sector == "GOV"


def test_merge_people_pools_aliases_and_roles_of_the_same_person() -> None:
    minister = {"title": "minister", "sector": "GOV", "start": "2001-01-01", "end": "2005-01-01"}
    envoy = {"title": "envoy", "sector": "GOV", "start": "2006-01-01", "end": None}
    first: list[dict[str, Any]] = [
        {
            "name": "Ada Quillfeather",
            "country": "GBR",
            "aliases": ["A. Quillfeather"],
            "roles": [minister],
        }
    ]
    second: list[dict[str, Any]] = [
        {
            "name": "Ada Quillfeather",
            "country": "GBR",
            "aliases": ["Ada Q."],
            "roles": [minister, envoy],
        },
        {"name": "Ada Quillfeather", "country": "NZL", "roles": [envoy]},
    ]
    merged = merge_people([first, second])
    assert len(merged) == 2
    british = next(entry for entry in merged if entry["country"] == "GBR")
    assert british["aliases"] == ["A. Quillfeather", "Ada Q."]
    assert british["roles"] == [minister, envoy]
    # The input is not changed.
    assert (first[0]["aliases"], first[0]["roles"]) == (["A. Quillfeather"], [minister])


# --- the Phoenix country dictionary (shared reference material) --------------------------------

PHOENIX_COUNTRIES = "reference/petrarch/Phoenix.Countries.actors.txt"
# Ian Khama: elite, then president of Botswana from 2008-04-01 (">080401"), in Phoenix terms.
KHAMA = "IAN_KHAMA_"


def line_of(path: Path, start: str) -> int:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    numbers = [number for number, line in enumerate(lines, start=1) if line.startswith(start)]
    assert len(numbers) == 1, numbers
    return numbers[0]


@pytest.fixture(scope="module")
def phoenix_coder() -> Coder:
    return Coder(actors=[shared_file(PHOENIX_COUNTRIES)])


def test_phoenix_country_dictionary_loads_with_few_problems() -> None:
    path = shared_file(PHOENIX_COUNTRIES)
    dictionary = read_dictionary(path, kind="actors")
    assert len(dictionary.actors) > 10_000
    assert len(dictionary.problems) < 20, [str(problem) for problem in dictionary.problems]
    total = len(path.read_text(encoding="utf-8", errors="replace").splitlines())
    assert all(
        problem.path == path and 1 <= problem.line <= total for problem in dictionary.problems
    )
    khama = next(entry for entry in dictionary.actors if entry.phrases[0] == KHAMA)
    assert re.fullmatch(r"Phoenix\.Countries\.actors\.txt:\d+", khama.where)
    assert khama.code_at(date(2008, 4, 1)) == "BWAGOV"
    assert khama.code_at(date(2008, 3, 31)) == "BWAELI"


@pytest.mark.parametrize(("when", "code"), [("2005-06-01", "BWAELI"), ("2010-06-01", "BWAGOV")])
def test_a_phoenix_date_restriction_outranks_the_curated_people(
    coder: Coder, phoenix_coder: Coder, when: str, code: str
) -> None:
    path = shared_file(PHOENIX_COUNTRIES)
    # Without the file, the curated knowledge base knows him as a person.
    assert coder.resolve_actor("Ian Khama", when=when).matched_by.startswith("person:Ian Khama")
    result = phoenix_coder.resolve_actor("Ian Khama", when=when)
    assert result.code == code
    assert result.matched_by == f"actors:{path.name}:{line_of(path, KHAMA)}"


def test_phoenix_dictionary_problems_reach_the_coder(phoenix_coder: Coder) -> None:
    path = shared_file(PHOENIX_COUNTRIES)
    problems = phoenix_coder.dictionary_problems
    assert problems == read_dictionary(path, kind="actors").problems
