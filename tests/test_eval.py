"""Scoring the coder against gold records: the readers, the scores, and the two commands.

Scoring is tested on hand-made records and real ``Event`` objects; the readers on small files
written to ``tmp_path``; ``communique eval`` on a three-sentence gold of real countries, coded
by the real pipeline (the same one the session's ``coder`` fixture loads), and
``communique dictionaries stats`` on the built-in patterns and on a pattern file of its own.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from communique.cli import cli
from communique.errors import InputError
from communique.events.gold import (
    Excluded,
    GoldRecord,
    gold_date,
    gold_format,
    iter_gold,
    read_gold,
)
from communique.events.patterns import Pattern
from communique.events.scoring import Counts, coverage, score
from communique.ontology import cameo, cameo_codes
from communique.records import Actor, Event

WIDE = {"COLUMNS": "1000"}
DAY = date(2024, 3, 4)


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in an empty directory, so that no stray ``communique.toml`` changes the settings."""
    monkeypatch.chdir(tmp_path)


def actor(code: str) -> Actor:
    country, sector = (code[:3], code[3:] or None) if code else (None, None)
    return Actor.of(text=code, name=code, country=country, sector=sector)


def event(source: str, target: str, code: str, sentence: str = "S.", rule: str = "t#r") -> Event:
    return Event(
        event_id=f"{source}-{code}-{target}",
        article_id="a",
        sentence_index=0,
        sentence=sentence,
        span=(0, 1),
        trigger="x",
        rule=rule,
        date=None,
        date_precision=None,
        source=actor(source),
        target=actor(target),
        cameo=cameo(code),
        plover=None,
    )


def record(
    record_id: str, *expected: tuple[str, str, str], noevents: bool = False, text: str = "T."
) -> GoldRecord:
    return GoldRecord(
        record_id, text, DAY, list(expected), noevents=noevents, where=f"g:{record_id}"
    )


# --- scoring ----------------------------------------------------------------------------------


def test_counts_give_precision_recall_and_f1() -> None:
    counts = Counts(expected=4, predicted=2, matched=1)
    assert (counts.precision, counts.recall) == (0.5, 0.25)
    assert counts.f1 == pytest.approx(1 / 3)
    assert (Counts().precision, Counts().recall, Counts().f1) == (0.0, 0.0, 0.0)


def test_events_are_matched_as_multisets() -> None:
    gold = [record("r1", ("FRA", "DEU", "111"), ("FRA", "DEU", "111"), ("DEU", "FRA", "111"))]
    coded = {"r1": [event("FRA", "DEU", "111"), event("DEU", "FRA", "111")]}
    scores = score(gold, coded)
    assert (scores.events.expected, scores.events.predicted, scores.events.matched) == (3, 2, 2)
    assert [(m.source, m.target, m.code) for m in scores.misses] == [("FRA", "DEU", "111")]
    assert scores.false_events == []
    assert scores.exact == 0


def test_an_event_coded_twice_is_one_match_and_one_false_event() -> None:
    gold = [record("r1", ("FRA", "DEU", "111"))]
    coded = {"r1": [event("FRA", "DEU", "111", "First."), event("FRA", "DEU", "111", "Second.")]}
    scores = score(gold, coded)
    assert (scores.events.matched, scores.events.predicted) == (1, 2)
    assert [(f.record_id, f.sentence) for f in scores.false_events] == [("r1", "Second.")]
    assert scores.events.precision == 0.5 and scores.events.recall == 1.0


def test_the_coarse_level_compares_countries_and_roots() -> None:
    gold = [record("r1", ("FRAGOV", "DEU", "112"))]
    coded = {"r1": [event("FRA", "DEUMIL", "111")]}
    scores = score(gold, coded)
    assert scores.events.matched == 0
    assert (scores.countries.expected, scores.countries.matched) == (1, 1)
    assert scores.countries.f1 == 1.0
    assert scores.exact == 0


def test_exact_records_and_noevents() -> None:
    gold = [
        record("hit", ("FRA", "DEU", "111")),
        record("quiet", noevents=True),
        record("noisy", noevents=True, text="Brazil praised Argentina."),
    ]
    coded = {
        "hit": [event("FRA", "DEU", "111")],
        "quiet": [],
        "noisy": [event("BRA", "ARG", "051", "Brazil praised Argentina.", "verbs.yml#praise")],
    }
    scores = score(gold, coded)
    assert (scores.records, scores.exact) == (3, 2)
    assert scores.exact_rate == pytest.approx(2 / 3)
    [false] = scores.false_events
    assert (false.record_id, false.code, false.rule) == ("noisy", "051", "verbs.yml#praise")
    assert false.sentence == "Brazil praised Argentina."


def test_a_crash_makes_every_expected_event_a_miss() -> None:
    gold = [
        record("boom", ("FRA", "DEU", "111"), text="France criticized Germany."),
        record("lost", noevents=True),
        record("fine", ("RUS", "UKR", "130")),
    ]
    coded: dict[str, Any] = {"boom": "RuntimeError: boom", "fine": [event("RUS", "UKR", "130")]}
    scores = score(gold, coded)
    assert [(c.record_id, c.message) for c in scores.crashes] == [
        ("boom", "RuntimeError: boom"),
        ("lost", "not coded"),
    ]
    assert [(m.record_id, m.sentence) for m in scores.misses] == [
        ("boom", "France criticized Germany.")
    ]
    assert (scores.events.expected, scores.events.matched) == (2, 1)
    assert scores.exact == 1  # a crash is never exact, even on a record expecting nothing


def test_the_root_table_counts_at_the_code_level() -> None:
    gold = [record("r1", ("A", "B", "111"), ("A", "B", "112"))]
    coded = {"r1": [event("A", "B", "111"), event("A", "B", "120"), event("A", "B", "112")]}
    gold.append(record("r2", ("A", "B", "112")))
    coded["r2"] = [event("A", "B", "111")]
    roots = score(gold, coded).roots
    assert sorted(roots) == ["11", "12"]
    assert (roots["11"].expected, roots["11"].predicted, roots["11"].matched) == (3, 3, 2)
    assert (roots["12"].expected, roots["12"].predicted, roots["12"].matched) == (0, 1, 0)


def test_scores_serialise_to_json() -> None:
    scores = score([record("r1", ("FRA", "DEU", "111"))], {"r1": [event("FRA", "DEU", "112")]})
    figures = json.loads(json.dumps(scores.to_dict()))
    assert figures["events"] == {
        "expected": 1,
        "predicted": 1,
        "matched": 0,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }
    assert figures["countries"]["f1"] == 1.0
    assert figures["misses"] == [
        {"id": "r1", "source": "FRA", "target": "DEU", "code": "111", "sentence": "T."}
    ]
    assert figures["false_events"][0]["rule"] == "t#r"


# --- coverage of CAMEO by patterns ------------------------------------------------------------


def test_coverage_counts_codes_intent_codes_and_four_digit_children() -> None:
    patterns = [
        Pattern(id="a", code="0211", example="."),
        Pattern(id="b", code="040", intent_code="036", example="."),
        Pattern(id="c", code="04", example="."),  # a root reaches no 3-digit code
    ]
    result = coverage(patterns, cameo_codes())
    assert result.reached == ["021", "036", "040"]
    assert len(result.codes) == len([code for code in cameo_codes() if len(code) == 3])
    assert set(result.missing) == set(result.codes) - {"021", "036", "040"}
    assert result.roots["04"].patterns == 2 and result.roots["04"].reached == 1
    assert result.roots["03"].reached == 1 and result.roots["03"].patterns == 0
    assert result.patterns == 3


# --- reading gold files -----------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


JSONL_GOLD = "\n".join(
    [
        json.dumps(
            {
                "id": "g1",
                "text": "France criticized Germany.",
                "date": "19950101",
                "expected": [{"source": "FRA", "target": "DEU", "code": "111"}],
                "noevents": False,
                "error_record": False,
            }
        ),
        '{"id": "g2", "text": "broken',
        json.dumps({"id": "g3", "text": "No date here."}),
        "",
        json.dumps({"id": "g4", "text": "Bad date.", "date": "19951340"}),
        json.dumps({"id": "g5", "date": "2024-03-04"}),
        json.dumps({"id": "g6", "text": "Error.", "error_record": True}),
        json.dumps({"id": "g7", "text": "Quiet.", "date": "2024-03-04", "noevents": True}),
        json.dumps({"id": "g1", "text": "Again.", "date": "2024-03-04", "expected": []}),
        json.dumps({"id": "g8", "text": "Odd.", "date": "2024-03-04", "expected": [{"x": 1}]}),
    ]
)


def test_jsonl_gold_reports_bad_records_by_line_and_reads_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path / "gold.jsonl", JSONL_GOLD)
    gold = read_gold(path)
    assert [r.id for r in gold.records] == ["g1", "g7", "g1#2"]
    first, quiet, again = gold.records
    assert (first.date, first.expected, first.where) == (
        date(1995, 1, 1),
        [("FRA", "DEU", "111")],
        f"{path}:1",
    )
    assert quiet.noevents and quiet.expected == [] and quiet.date == DAY
    assert (again.duplicate_of, again.where) == ("g1", f"{path}:9")
    assert gold.excluded == [Excluded("g6", f"{path}:7", "error record")]
    problems = {error.where: str(error) for error in gold.problems}
    assert sorted(problems) == [f"{path}:{n}" for n in (10, 2, 3, 5, 6)]
    assert "not valid JSON" in problems[f"{path}:2"]
    assert "no date" in problems[f"{path}:3"]
    assert "cannot read the date '19951340'" in problems[f"{path}:5"]
    assert '"text"' in problems[f"{path}:6"]
    assert "expected event 1" in problems[f"{path}:10"]
    assert all(message.startswith(f"{where}: ") for where, message in problems.items())


PETRARCH_GOLD = """\
<Sentences>
<!-- a commented-out record: <Sentence date="19950101" id="GONE-01"> -->
<Sentence date = "19950101" id ="DEMO-01" category="DEMO" sentence="true">
<!--EventCoding sourcecode="GON" targetcode="OSG" eventcode="041"-->
<EventCoding sourcecode="ARN" targetcode="GON" eventcode="064"></EventCoding>
<EventCoding sourcecode='"INJURY TOLL"' targetcode="OSG" eventcode="223"/>
<Text>
Arnor will restore full &amp;TIETYPE ties with &quot;Gondor&quot;
almost five years later.
</Text>
<Parse> (ROOT (S (NP (NNP Arnor)))) </Parse>
</Sentence>

<Sentence date="19950102" id="NOTEXT-01" category="DEMO" sentence="true">
<EventCoding sourcecode="ARN" targetcode="GON" eventcode="064"></EventCoding>
</Sentence>

<Sentence date="19950103" id="QUIET-01" category="DEMO" sentence="true">
<EventCoding noevents = "True"></EventCoding>
<Text>Nothing happened.</Text>
</Sentence>
<Sentence date="19950101" id="ERROR-01" category="ERROR" sentence="true">
<EventCoding error="dateline"></EventCoding>
<Text>CEBU CITY: -- something.</Text>
</Sentence>
<Sentence date="1995" id="DATE-01" category="DATE" sentence="true">
<Text>Undated.</Text>
</Sentence>
</Sentences>
"""


def test_petrarch_records_are_read_tolerantly(tmp_path: Path) -> None:
    path = write(tmp_path / "records.xml", PETRARCH_GOLD)
    items = list(iter_gold(path))
    records = [item for item in items if isinstance(item, GoldRecord)]
    assert [r.id for r in records] == ["DEMO-01", "QUIET-01"]
    demo, quiet = records
    assert demo.text == (
        'Arnor will restore full &TIETYPE ties with "Gondor" almost five years later.'
    )
    assert demo.expected == [("ARN", "GON", "064"), ('"INJURY TOLL"', "OSG", "223")]
    assert (demo.date, demo.where) == (date(1995, 1, 1), f"{path}:3")
    assert quiet.noevents and quiet.expected == [] and quiet.where == f"{path}:18"
    assert [item for item in items if isinstance(item, Excluded)] == [
        Excluded("ERROR-01", f"{path}:22", "error record (dateline)")
    ]
    problems = [item for item in items if isinstance(item, InputError)]
    assert [(p.where, str(p)) for p in problems] == [
        (f"{path}:14", f"{path}:14: no <Text> in the record"),
        (f"{path}:26", f"{path}:26: cannot read the date '1995'; use YYYYMMDD or YYYY-MM-DD"),
    ]


def test_the_format_follows_the_suffix_unless_given(tmp_path: Path) -> None:
    assert gold_format(Path("a.xml")) == "petrarch"
    assert gold_format(Path("a.jsonl")) == "jsonl"
    assert gold_format(Path("a.txt"), "petrarch") == "petrarch"
    path = write(tmp_path / "records.txt", PETRARCH_GOLD)
    assert [r.id for r in read_gold(path, "petrarch").records] == ["DEMO-01", "QUIET-01"]
    as_jsonl = read_gold(path)
    assert as_jsonl.records == [] and as_jsonl.problems
    assert all("not valid JSON" in str(p) for p in as_jsonl.problems)


def test_an_empty_or_missing_gold_file_is_one_problem(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty.jsonl", "\n\n")
    assert [str(p) for p in read_gold(empty).problems] == [f"{empty}: the file is empty"]
    missing = read_gold(tmp_path / "missing.xml")
    assert len(missing.problems) == 1 and "cannot read the file" in str(missing.problems[0])
    nothing = write(tmp_path / "nothing.xml", "<Sentences></Sentences>\n")
    assert [str(p) for p in read_gold(nothing).problems] == [
        f"{nothing}: no gold records in the file"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("19950101", date(1995, 1, 1)),
        ("1995-01-02", date(1995, 1, 2)),
        (19950103, date(1995, 1, 3)),
    ],
)
def test_gold_dates(value: object, expected: date) -> None:
    assert gold_date(value, where="x") == expected


@pytest.mark.parametrize("value", ["19950230", "01/02/1995", "", None])
def test_unreadable_gold_dates(value: object) -> None:
    with pytest.raises(InputError, match=r"^x: "):
        gold_date(value, where="x")


# --- communique eval --------------------------------------------------------------------------

TINY_GOLD = [
    {
        "id": "fra-deu",
        "text": "France criticized Germany on Monday.",
        "date": "20240304",
        "expected": [{"source": "FRA", "target": "DEU", "code": "111"}],
    },
    {
        # coded as a threat (130): wrong at the code level, right at (country, country, root)
        "id": "rus-ukr",
        "text": "Russia threatened Ukraine with sanctions on Tuesday.",
        "date": "2024-03-05",
        "expected": [{"source": "RUS", "target": "UKR", "code": "138"}],
    },
    {
        "id": "bra-arg",
        "text": "Brazil praised Argentina on Wednesday.",
        "date": "2024-03-06",
        "expected": [],
        "noevents": True,
    },
]


@pytest.fixture
def tiny_gold(tmp_path: Path) -> Path:
    lines = [json.dumps(item) for item in TINY_GOLD]
    lines.insert(2, '{"id": "cut", "text": "Spain')
    lines.append(json.dumps({"id": "err", "text": "x", "date": "20240101", "error_record": True}))
    return write(tmp_path / "tiny.jsonl", "\n".join(lines) + "\n")


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args), env=WIDE)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


def test_eval_prints_a_report(tiny_gold: Path) -> None:
    result = invoke("eval", str(tiny_gold), "--quiet")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "records: 3 scored, 1 excluded, 1 skipped, 0 crashed" in out
    assert "exact records: 1/3 (33.3%)" in out
    code_level = re.search(r"^\(source, target, code\)\s+(.*)$", out, re.M)
    country_level = re.search(r"^\(country, country, root\)\s+(.*)$", out, re.M)
    assert code_level and code_level.group(1).split() == ["2", "3", "1", "0.333", "0.500", "0.400"]
    assert country_level
    assert country_level.group(1).split() == ["2", "3", "2", "0.667", "1.000", "0.800"]
    assert re.search(r"^11\s+DISAPPROVE\s+1\s+1\s+1\s+1\.000", out, re.M)
    assert re.search(r"^13\s+THREATEN\s+1\s+1\s+0\s+0\.000", out, re.M)
    assert "misses (expected, not coded): 1 of 1 listed" in out
    assert "rus-ukr  RUS 138 UKR: Russia threatened Ukraine with sanctions on Tuesday." in out
    assert "false events (coded, not expected): 2 of 2 listed" in out
    assert "bra-arg  BRA 051 ARG [verbs.yml#praise]: Brazil praised Argentina on Wednesday." in out
    assert f"communique: skipped {tiny_gold}:3: not valid JSON" in result.stderr


def test_eval_misses_limits_the_lists(tiny_gold: Path) -> None:
    result = invoke("eval", str(tiny_gold), "--quiet", "--misses", "1")
    assert result.exit_code == 0
    assert "false events (coded, not expected): 1 of 2 listed" in result.stdout
    assert "bra-arg  BRA 051 ARG" not in result.stdout
    none = invoke("eval", str(tiny_gold), "--quiet", "--misses", "0").stdout
    assert "misses (expected, not coded): 0 of 1 listed" in none
    assert "RUS 138 UKR" not in none


def test_eval_json_has_every_figure(tiny_gold: Path) -> None:
    result = invoke("eval", str(tiny_gold), "--json", "--quiet", "--misses", "0")
    assert result.exit_code == 0
    figures = json.loads(result.stdout)
    assert (figures["records"], figures["excluded"], figures["skipped"]) == (3, 1, 1)
    assert (figures["crashed"], figures["exact_records"], figures["format"]) == (0, 1, "jsonl")
    assert figures["events"]["matched"] == 1 and figures["events"]["f1"] == 0.4
    assert figures["countries"]["matched"] == 2 and figures["countries"]["recall"] == 1.0
    assert sorted(figures["roots"]) == ["05", "11", "13"]
    # --misses limits the report, never the JSON lists
    assert [m["id"] for m in figures["misses"]] == ["rus-ukr"]
    assert [(f["id"], f["code"]) for f in figures["false_events"]] == [
        ("rus-ukr", "130"),
        ("bra-arg", "051"),
    ]
    assert figures["excluded_records"][0]["id"] == "err"
    assert figures["skipped_records"][0].startswith(f"{tiny_gold}:3: not valid JSON")


def test_eval_reads_petrarch_records(tmp_path: Path) -> None:
    gold = write(
        tmp_path / "gold.txt",
        '<Sentence date="20240304" id="x1">\n'
        '<EventCoding sourcecode="FRA" targetcode="DEU" eventcode="111"/>\n'
        "<Text>France criticized Germany on Monday.</Text>\n</Sentence>\n",
    )
    result = invoke("eval", str(gold), "--format", "petrarch", "--json", "--quiet")
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert (figures["format"], figures["records"], figures["exact_records"]) == ("petrarch", 1, 1)


def test_eval_without_records_is_an_error(tmp_path: Path) -> None:
    gold = write(tmp_path / "bad.jsonl", "not json\n")
    result = invoke("eval", str(gold), "--quiet")
    assert result.exit_code == 1
    assert f"communique: skipped {gold}:1: not valid JSON" in result.stderr
    assert "no gold records to score" in result.stderr


# --- communique dictionaries stats ------------------------------------------------------------


def test_stats_reached_and_missing_codes_add_up() -> None:
    result = invoke("dictionaries", "stats")
    assert result.exit_code == 0, result.output
    out = result.stdout
    patterns = re.search(r"^event patterns: (\d+) \(built-in\)$", out, re.M)
    reached = re.search(r"^3-digit CAMEO codes reached: (\d+) of (\d+) ", out, re.M)
    missing_count = re.search(r"^3-digit codes without patterns: (\d+)$", out, re.M)
    assert patterns and reached and missing_count
    assert int(patterns.group(1)) > 0
    listed = re.findall(r"^  (\d{3})  ", out, re.M)
    all_three_digit = [code for code in cameo_codes() if len(code) == 3]
    assert int(reached.group(2)) == len(all_three_digit)
    assert int(reached.group(1)) + len(listed) == len(all_three_digit)
    assert int(missing_count.group(1)) == len(listed)
    per_root = re.findall(r"^\d{2}\s.*?\s(\d+)/(\d+)$", out, re.M)
    assert sum(int(got) for got, _ in per_root) == int(reached.group(1))
    assert sum(int(total) for _, total in per_root) == len(all_three_digit)

    figures = json.loads(invoke("dictionaries", "stats", "--json").stdout)
    assert figures["missing"] == listed
    assert figures["reached"] == int(reached.group(1))
    assert figures["patterns"] == int(patterns.group(1))


def test_stats_of_a_pattern_file_of_ones_own(tmp_path: Path) -> None:
    verbs = write(
        tmp_path / "mine.yml",
        "- id: expel\n"
        "  verb: expel\n"
        '  code: "1663"\n'
        "  targets: [dobj]\n"
        '  example: "France expelled German diplomats."\n',
    )
    figures = json.loads(invoke("dictionaries", "stats", "--verbs", str(verbs), "--json").stdout)
    assert (figures["patterns"], figures["reached"]) == (1, 1)
    assert "166" not in figures["missing"]
    assert len(figures["missing"]) == figures["codes"] - 1
    assert figures["roots"]["16"] == {"patterns": 1, "reached": 1, "codes": 7}
    missing_file = invoke("dictionaries", "stats", "--verbs", str(tmp_path / "none.yml"))
    assert missing_file.exit_code == 2
    assert "no such file" in missing_file.stderr
