"""Reading actor and agent dictionaries in the PETRARCH/TABARI text format.

Actor dictionaries list a primary phrase, ``+`` synonyms and codes, optionally limited in
time (``[USAGOV >090120]``); agent dictionaries map role words to agent codes
(``FOREIGN_MINISTER [~GOVFRM]``). The full format is in ``docs/dictionaries.md``. A line
that cannot be read is reported as ``file:line`` and skipped; the rest of the file loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from communique.cache import cached_json, source_of
from communique.errors import DataFileError, Errors

# Two-digit years up to this value are read as 20YY, later ones as 19YY ("780101" is 1978).
TWO_DIGIT_YEAR_PIVOT = 30
# Codes whose first group is not a country: the whole code names a body or a kind of group.
TRANSNATIONAL_PREFIXES = {"IGO": "IGO", "NGO": "NGO", "NGM": "NGO", "IMG": "REB", "MNC": "BUS"}
SECTOR_CODES = frozenset(
    {
        "GOV", "MIL", "COP", "SPY", "JUD", "LEG", "PTY", "OPP", "REB", "PRM", "UAF", "CRM",
        "BUS", "JRN", "MED", "EDU", "NGO", "REL", "CVL", "ELI", "REF", "LAB", "AGR", "PRE",
        "IGO", "HLH", "ENV", "HRI", "DEV", "SEP", "INS", "MOD", "RAD", "UNK", "JNK", "SOC",
    }
)  # fmt: skip
# The null code: the phrase is known and deliberately left uncoded.
NULL_CODE = "---"
RELIGION_CODES = frozenset(
    ["CHR", "CTH", "ORT", "PRO", "MOS", "MUS", "SUN", "SHI", "JEW", "BUD", "HIN", "SIK", "JAN"]
)

_CODE = re.compile(r"\[([^\[\]]*)\]")
_WORD = re.compile(r"[^\W_]+")
_DATE_RANGE = re.compile(r"^(\d{6}|\d{8})-(\d{6}|\d{8})$")
# PHRASE {PLURAL} [~CODE]; a few files close the code with "}" by mistake, which is accepted.
_AGENT_LINE = re.compile(
    r"(?P<phrase>[^\[{]+?)\s*(\{(?P<plural>[^}]*)\})?\s*\[(?P<code>[^\]]*)[\]}]"
)
_SUBSTITUTION = re.compile(r"^(![A-Z]+!)\s*=\s*(.+)$")


@dataclass(frozen=True)
class DatedCode:
    """A code that applies from ``start`` to ``end`` inclusive (None: open on that side)."""

    code: str
    start: date | None = None
    end: date | None = None

    def covers(self, when: date) -> bool:
        return (self.start is None or self.start <= when) and (self.end is None or when <= self.end)


@dataclass(frozen=True)
class ActorEntry:
    """One record of an actor dictionary: its phrases and codes, and where it was read."""

    name: str
    phrases: tuple[str, ...]
    default: str | None
    dated: tuple[DatedCode, ...]
    where: str

    def code_at(self, when: date) -> str | None:
        """The first date restriction covering ``when``, else the default code."""
        for restriction in self.dated:
            if restriction.covers(when):
                return None if restriction.code == NULL_CODE else restriction.code
        return self.default


@dataclass(frozen=True)
class AgentEntry:
    phrase: tuple[str, ...]
    code: str
    where: str

    @property
    def sector(self) -> str:
        return agent_sector(self.code)


@dataclass(frozen=True)
class Problem:
    """A dictionary line that could not be read."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Dictionary:
    actors: list[ActorEntry] = field(default_factory=list)
    agents: list[AgentEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def phrase_key(phrase: str) -> tuple[str, ...]:
    """The words of a phrase for matching: lower case, split on blanks, ``_`` and punctuation.

    "U.S._STATE_DEPARTMENT" and "U.S. State Department" both become
    ("u", "s", "state", "department"), so dictionary phrases need no tokenizer.
    """
    return tuple(_WORD.findall(phrase.lower()))


def display_name(phrase: str) -> str:
    words = phrase.replace("_", " ").split()
    return " ".join(word if len(word) <= 3 and "." in word else word.title() for word in words)


def split_code(code: str) -> tuple[str | None, str | None, str | None]:
    """(country, sector, organisation code) of a CAMEO actor code.

    "USAGOV" is the United States government; "AFGELI" Afghan elites; "IGOUNO" the UN, an
    organisation without a country; "IMGMUSALQ" a transnational armed group.
    """
    groups = [code[i : i + 3] for i in range(0, len(code), 3)]
    if not groups or len(groups[0]) != 3:
        return None, None, None
    first, rest = groups[0], groups[1:]
    if first in TRANSNATIONAL_PREFIXES:
        return None, TRANSNATIONAL_PREFIXES[first], code
    sector = next((group for group in rest if group in SECTOR_CODES), None)
    if sector is None and any(group in RELIGION_CODES for group in rest):
        sector = "REL"
    if sector is None and rest:
        sector = rest[0]
    return first, sector, None


def agent_sector(code: str) -> str:
    """The sector an agent code gives: its first group, religions read as REL."""
    first = code[:3]
    if first in RELIGION_CODES:
        return "REL"
    return TRANSNATIONAL_PREFIXES.get(first, first)


def read_dictionary(path: Path, *, kind: str) -> Dictionary:
    """Read an actor (``kind="actors"``) or agent (``kind="agents"``) dictionary file.

    A file read before, byte for byte, comes from the cache (see ``communique.cache``).
    """
    try:
        content = path.read_bytes()
    except OSError as error:
        raise DataFileError(Errors.E020.format(path=path, detail=error)) from error
    parts = [kind.encode(), str(path).encode(), source_of(__file__), content]
    stored = cached_json(parts, lambda: _to_json(_parse(path, content, kind)))
    return _from_json(stored)


def _parse(path: Path, content: bytes, kind: str) -> Dictionary:
    lines = content.decode("utf-8-sig", errors="replace").splitlines()
    if kind == "actors":
        return _read_actors(path, lines)
    return _read_agents(path, lines)


def _to_json(dictionary: Dictionary) -> dict[str, Any]:
    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "actors": [
            [
                e.name,
                e.phrases,
                e.default,
                [[d.code, day(d.start), day(d.end)] for d in e.dated],
                e.where,
            ]
            for e in dictionary.actors
        ],
        "agents": [[a.phrase, a.code, a.where] for a in dictionary.agents],
        "problems": [[str(p.path), p.line, p.message] for p in dictionary.problems],
    }


def _from_json(stored: dict[str, Any]) -> Dictionary:
    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    actors = [
        ActorEntry(
            name=name,
            phrases=tuple(phrases),
            default=default,
            dated=tuple(DatedCode(code, day(start), day(end)) for code, start, end in dated),
            where=where,
        )
        for name, phrases, default, dated, where in stored["actors"]
    ]
    agents = [AgentEntry(tuple(phrase), code, where) for phrase, code, where in stored["agents"]]
    problems = [Problem(Path(path), line, message) for path, line, message in stored["problems"]]
    return Dictionary(actors, agents, problems)


# ---------------------------------------------------------------- actors


@dataclass
class _Record:
    phrases: list[str]
    line: int
    default: str | None = None
    dated: list[DatedCode] = field(default_factory=list)


def _read_actors(path: Path, lines: list[str]) -> Dictionary:
    result = Dictionary()
    record: _Record | None = None
    broken = False  # the current entry's first line was unreadable: skip its other lines
    for number, raw in enumerate(lines, start=1):
        content = _strip_comment(raw)
        if not content.strip():
            continue
        stripped = content.strip()
        # Synonym and date lines continue the entry above, however they are indented.
        continues = stripped.startswith(("+", "["))
        if continues and broken:
            continue
        try:
            if not continues:
                if record is not None:
                    result.actors.append(_entry(path, record))
                record, broken = None, True
                phrase, codes = _phrase_and_codes(content)
                opened = _Record(phrases=[phrase], line=number)
                _add_codes(opened, codes)
                record, broken = opened, False
            elif record is None:
                raise ValueError("a synonym or date restriction before any actor phrase")
            elif stripped.startswith("+"):
                phrase, codes = _phrase_and_codes(stripped[1:])
                _add_codes(record, codes)
                record.phrases.append(phrase)
            else:
                _add_codes(record, content)
        except ValueError as error:
            result.problems.append(Problem(path, number, str(error)))
    if record is not None:
        result.actors.append(_entry(path, record))
    return result


def _strip_comment(line: str) -> str:
    for marker in ("#", ";"):
        index = line.find(marker)
        if index >= 0:
            line = line[:index]
    return line.rstrip()


def _phrase_and_codes(content: str) -> tuple[str, str]:
    bracket = content.find("[")
    phrase = (content if bracket < 0 else content[:bracket]).strip()
    codes = "" if bracket < 0 else content[bracket:]
    if not phrase:
        raise ValueError("a code without a phrase")
    if "+" in phrase or "[" in phrase or "]" in phrase:
        raise ValueError(f"cannot read the phrase {phrase!r}")
    if not phrase_key(phrase):
        raise ValueError(f"the phrase {phrase!r} has no words")
    return phrase, codes


def _add_codes(record: _Record, text: str) -> None:
    if not text or text.isspace():
        return
    remainder = _CODE.sub("", text).strip()
    if remainder:
        raise ValueError(f"unexpected text {remainder!r} outside [...]")
    # Read every code first: a line with one bad code adds none of its codes.
    restrictions = [_restriction(inside) for inside in _CODE.findall(text)]
    for restriction in restrictions:
        undated = restriction.start is None and restriction.end is None
        if restriction.code == NULL_CODE and undated:
            continue  # "known, and deliberately left uncoded": no default code
        if undated:
            record.default = restriction.code
        else:
            record.dated.append(restriction)


def _restriction(inside: str) -> DatedCode:
    # "> 140608" and "19950601 - 19990815", with blanks, are common in hand-edited files.
    parts = re.sub(r"(\d)\s*-\s*(\d)", r"\1-\2", re.sub(r"([<>])\s+", r"\1", inside)).split()
    if not parts or len(parts) > 2:
        raise ValueError(f"cannot read the code [{inside}]")
    code = parts[0]
    if code == NULL_CODE:
        return DatedCode(code)
    if not re.fullmatch(r"[A-Z0-9]{3,}", code):
        raise ValueError(f"cannot read the code {code!r}: expected letters such as USAGOV")
    if len(parts) == 1:
        return DatedCode(code)
    limit = parts[1]
    if limit.startswith("<"):
        return DatedCode(code, end=_date(limit[1:]))
    if limit.startswith(">"):
        return DatedCode(code, start=_date(limit[1:]))
    span = _DATE_RANGE.match(limit)
    if span is None:
        raise ValueError(f"cannot read the date restriction {limit!r}: use <D, >D or D-D")
    return DatedCode(code, start=_date(span.group(1)), end=_date(span.group(2)))


def _date(text: str) -> date:
    if not text.isdigit() or len(text) not in (6, 8):
        raise ValueError(f"cannot read the date {text!r}: use YYMMDD or YYYYMMDD")
    if len(text) == 6:
        short = int(text[:2])
        year = 2000 + short if short <= TWO_DIGIT_YEAR_PIVOT else 1900 + short
        text = f"{year}{text[2:]}"
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as error:
        raise ValueError(f"cannot read the date {text!r}: {error}") from error


def _entry(path: Path, record: _Record) -> ActorEntry:
    return ActorEntry(
        name=display_name(record.phrases[0]),
        phrases=tuple(record.phrases),
        default=record.default,
        dated=tuple(record.dated),
        where=f"{path.name}:{record.line}",
    )


# ---------------------------------------------------------------- agents


def _read_agents(path: Path, lines: list[str]) -> Dictionary:
    result = Dictionary()
    substitutions: dict[str, list[str]] = {}
    for number, raw in enumerate(lines, start=1):
        content = _strip_comment(raw).strip()
        if not content or content.startswith("<!--"):
            continue
        definition = _SUBSTITUTION.match(content)
        if definition is not None:
            words = [word.strip() for word in definition.group(2).split(",") if word.strip()]
            substitutions[definition.group(1)] = words
            continue
        try:
            forms = list(_agent_forms(content, substitutions))  # all or nothing per line
        except ValueError as error:
            result.problems.append(Problem(path, number, str(error)))
            continue
        for phrase, code in forms:
            key = tuple(phrase.lower().replace("_", " ").split())
            result.agents.append(AgentEntry(key, code, f"{path.name}:{number}"))
    return result


def _agent_forms(content: str, substitutions: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
    match = _AGENT_LINE.fullmatch(content)
    if match is None:
        raise ValueError("expected PHRASE {PLURAL} [~CODE]")
    code = match.group("code").strip().strip("~")
    if not re.fullmatch(r"[A-Z]{3,}", code):
        raise ValueError(f"cannot read the agent code {match.group('code')!r}")
    phrase = match.group("phrase").strip()
    plural = match.group("plural")
    for expanded in _substitute(phrase, substitutions):
        if not phrase_key(expanded):
            raise ValueError(f"the phrase {expanded!r} has no words")
        yield expanded, code
        if "!" in phrase:
            continue  # substitution lists already hold every form
        if plural is None:
            yield regular_plural(expanded), code
        elif plural.strip():
            yield plural.strip(), code


# Markers replaced in one phrase at most (a substitution whose words name a marker again
# would otherwise recurse without end).
MAX_SUBSTITUTIONS = 20


def _substitute(phrase: str, substitutions: dict[str, list[str]], depth: int = 0) -> list[str]:
    marker = re.search(r"![A-Z]+!", phrase)
    if marker is None:
        return [phrase]
    if depth >= MAX_SUBSTITUTIONS:
        raise ValueError(
            f"more than {MAX_SUBSTITUTIONS} substitutions in one phrase "
            f"(does {marker.group(0)} name itself?)"
        )
    words = substitutions.get(marker.group(0))
    if words is None:
        raise ValueError(f"the substitution {marker.group(0)} is not defined above this line")
    forms = [phrase[: marker.start()] + word + phrase[marker.end() :] for word in words]
    return [result for form in forms for result in _substitute(form, substitutions, depth + 1)]


def regular_plural(phrase: str) -> str:
    """PETRARCH's regular plural of a phrase's last word (-ss: +ES, consonant+y: -IES, else +S),
    in capitals as the dictionaries write them."""
    stem = phrase.rstrip("_ ")
    if stem.upper().endswith("SS"):
        return stem + "ES"
    if stem.upper().endswith("Y") and len(stem) > 1 and stem[-2].upper() not in "AEIOU":
        return stem[:-1] + "IES"
    return stem + "S"
