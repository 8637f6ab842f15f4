"""Build the packaged CAMEO and CAMEO→PLOVER tables from the shared reference files.

Usage::

    python scripts/build_ontology.py [REFERENCE_DIR]

REFERENCE_DIR defaults to ``../shared/reference`` next to the project root. The script reads

* ``cameo/cameo-codes.csv`` (name, code, goldstein, description, usage_notes, root_code) and
* ``plover/CAMEO2PLOVER-2021.txt`` (lines such as ``0312: AGREE,  ,   military # comment``)

and writes ``cameo.csv``, ``cameo_plover.csv`` and ``NOTICE.md`` into
``src/communique/ontology/data``. Only facts are kept: codes, names, Goldstein scores and the
PLOVER type/mode/context of each code. Descriptions, usage notes and comments are dropped.

Running it again over the same input gives byte-identical output. Anything odd in the input
(duplicates, conflicts, malformed values) is either resolved by an explicit rule below and
reported, or stops the build with a message.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"
OUTPUT_DIR = PROJECT_ROOT / "src" / "communique" / "ontology" / "data"

CAMEO_SOURCE = Path("cameo") / "cameo-codes.csv"
CAMEO_LICENSE = Path("cameo") / "LICENSE.md"
PLOVER_SOURCE = Path("plover") / "CAMEO2PLOVER-2021.txt"

CODE = re.compile(r"^[0-9]{2,4}$")
TABLE_LINE = re.compile(r"^(?P<code>[0-9]{2,4})\s*:\s*(?P<rest>.*)$")
PLOVER_TYPE = re.compile(r"^[A-Z]+$")
PLOVER_WORD = re.compile(r"^[a-z][a-z_-]*$")


class BuildError(Exception):
    """The reference data has a problem the script will not guess its way around."""


@dataclass(frozen=True)
class CameoRow:
    code: str
    root: str
    name: str
    goldstein: str

    def as_row(self) -> list[str]:
        return [self.code, self.root, self.name, self.goldstein]


@dataclass(frozen=True)
class PloverRow:
    code: str
    type: str
    mode: str
    context: str

    def as_row(self) -> list[str]:
        return [self.code, self.type, self.mode, self.context]


def tidy(text: str) -> str:
    """Trim a value and collapse inner runs of whitespace (tabs, doubled spaces) to one space."""
    return " ".join(text.split())


def report(message: str) -> None:
    print(f"  note: {message}", file=sys.stderr)


# --- CAMEO codes -----------------------------------------------------------------------------


def parse_goldstein(raw: str, code: str) -> str:
    """The Goldstein score as a canonical decimal string; it must be a number in [-10, 10]."""
    try:
        value = float(raw)
    except ValueError:
        raise BuildError(f"CAMEO {code}: Goldstein score {raw!r} is not a number") from None
    if not -10.0 <= value <= 10.0:
        raise BuildError(f"CAMEO {code}: Goldstein score {value} is outside [-10, 10]")
    return f"{value:.1f}" if value == round(value, 1) else repr(value)


def parse_cameo_record(record: dict[str, str]) -> CameoRow:
    """One row of cameo-codes.csv reduced to the facts we keep, checked for consistency."""
    code = tidy(record["code"])
    if not CODE.match(code):
        raise BuildError(f"CAMEO code {code!r} is not 2 to 4 digits")
    root = tidy(record["root_code"]) or code[:2]
    if root != code[:2]:
        raise BuildError(f"CAMEO {code}: root_code {root!r} does not match the code")
    name = tidy(record["name"])
    if not name or name == "NA":
        raise BuildError(f"CAMEO {code}: no name")
    return CameoRow(code, root, name, parse_goldstein(tidy(record["goldstein"]), code))


def read_cameo(path: Path) -> list[CameoRow]:
    """All CAMEO codes, sorted; a repeated code is dropped if identical and fatal otherwise."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))
    rows: dict[str, CameoRow] = {}
    for record in records:
        row = parse_cameo_record(record)
        previous = rows.setdefault(row.code, row)
        if previous is row:
            continue
        if previous != row:
            raise BuildError(f"CAMEO {row.code} is listed twice with different facts")
        report(f"CAMEO {row.code} is listed twice; keeping one copy")
    check_cameo_tree(rows)
    return [rows[code] for code in sorted(rows)]


def check_cameo_tree(rows: dict[str, CameoRow]) -> None:
    """Every 3- and 4-digit code should sit under a root (and parent) that is itself listed."""
    for code in rows:
        for parent in (code[:2], code[:3]):
            if len(parent) < len(code) and parent not in rows:
                report(f"CAMEO {code}: its parent {parent} is not listed")


# --- CAMEO → PLOVER table --------------------------------------------------------------------


def table_entries(lines: Iterable[str]) -> Iterator[tuple[int, str, str]]:
    """(line number, code, rest) for each table line, with comments and decoration removed."""
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text or set(text) <= {"~", "-", "="}:
            continue
        match = TABLE_LINE.match(text)
        if match is None:
            raise BuildError(f"{PLOVER_SOURCE}:{number}: cannot read {line.strip()!r}")
        yield number, match["code"], match["rest"]


def parse_plover_fields(code: str, rest: str, where: str) -> PloverRow:
    """``TYPE, mode, context; context`` → a row; missing trailing fields count as empty."""
    fields = [tidy(field) for field in rest.split(",")]
    if len(fields) > 3:
        raise BuildError(f"{where}: more than three comma-separated fields")
    fields += [""] * (3 - len(fields))
    kind, mode, context = fields
    contexts = [tidy(part) for part in context.split(";") if tidy(part)]
    if not PLOVER_TYPE.match(kind):
        raise BuildError(f"{where}: PLOVER type {kind!r} is not an upper-case word")
    for word in ([mode] if mode else []) + contexts:
        if not PLOVER_WORD.match(word):
            raise BuildError(f"{where}: {word!r} is not a lower-case PLOVER term")
    return PloverRow(code, kind, mode, ";".join(contexts))


def read_plover(path: Path) -> tuple[list[PloverRow], dict[str, set[str]]]:
    """The parsed rows (repeats included) and the PLOVER types each root heading names."""
    rows: list[PloverRow] = []
    headings: dict[str, set[str]] = {}
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for number, code, rest in table_entries(lines):
        row = parse_plover_fields(code, rest, f"{PLOVER_SOURCE}:{number}")
        if len(code) == 2:
            headings.setdefault(code, set()).add(row.type)
        else:
            rows.append(row)
    return rows, headings


def merge_plover(rows: list[PloverRow]) -> dict[str, PloverRow]:
    """One row per code; an identical repeat is dropped, a conflicting one stops the build."""
    merged: dict[str, PloverRow] = {}
    for row in rows:
        previous = merged.setdefault(row.code, row)
        if previous is row:
            continue
        if previous != row:
            raise BuildError(f"PLOVER table maps {row.code} twice, differently")
        report(f"PLOVER table repeats {row.code} with the same mapping; keeping one copy")
    return merged


def root_rows(headings: dict[str, set[str]], merged: dict[str, PloverRow]) -> list[PloverRow]:
    """A row for each root heading (``03: AGREE``); the type only, no mode or context.

    A root whose section is split between two PLOVER types (08 is CONCEDE for 081–083 and
    RETREAT for 084–087) takes the type of its general ``<root>0`` code (080 → CONCEDE).
    """
    rows = []
    for root, kinds in sorted(headings.items()):
        kind = next(iter(kinds))
        if len(kinds) > 1:
            general = merged.get(root + "0")
            if general is None or general.type not in kinds:
                raise BuildError(f"root {root} is headed by {sorted(kinds)}; cannot choose")
            kind = general.type
            report(f"root {root} is headed by {sorted(kinds)}; using {kind} (from {root}0)")
        rows.append(PloverRow(root, kind, "", ""))
    return rows


def build_plover(path: Path) -> list[PloverRow]:
    """All CAMEO→PLOVER rows, roots included, sorted by code."""
    rows, headings = read_plover(path)
    merged = merge_plover(rows)
    for row in root_rows(headings, merged):
        merged.setdefault(row.code, row)
    return [merged[code] for code in sorted(merged)]


def keep_known(cameo: list[CameoRow], plover: list[PloverRow]) -> list[PloverRow]:
    """Drop table rows for codes CAMEO does not list, and report CAMEO codes left unmapped."""
    known = {row.code for row in cameo}
    for row in plover:
        if row.code not in known:
            report(f"PLOVER table maps {row.code}, which is not a CAMEO code; dropped")
    kept = [row for row in plover if row.code in known]
    mapped = {row.code for row in kept}
    unmapped = [row.code for row in cameo if not {row.code, row.code[:3], row.root} & mapped]
    if unmapped:
        roots = sorted({code[:2] for code in unmapped})
        report(f"{len(unmapped)} CAMEO codes have no PLOVER mapping (roots {', '.join(roots)})")
    return kept


# --- output ----------------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


NOTICE = """\
# Sources of the ontology data

The files in this folder hold facts taken from two published sources. Only the facts are
kept: codes, short names, Goldstein scores, and the PLOVER type, mode and context of each
CAMEO code. No descriptions, usage notes, examples or comments are reproduced. The files are
regenerated with `scripts/build_ontology.py`.

## cameo.csv

Columns `code`, `root`, `name`, `goldstein`, taken from `cameo-codes.csv` by Andreas Beger
(a machine-readable rendering of the CAMEO event codebook, with Goldstein conflict-cooperation
scores). That file is distributed under the MIT licence:

{license}

## cameo_plover.csv

Columns `code`, `type`, `mode`, `context`, taken from the CAMEO-to-PLOVER conversion table
(`CAMEO2PLOVER-2021.txt`, PLOVER manual draft 0.8, 17 September 2021, edited by Philip
Schrodt) of the PLOVER project (Political Language Ontology for Verifiable Event Records) of
the Open Event Data Alliance, <https://github.com/openeventdata/PLOVER>.

The PLOVER project states that its work is licensed under the Creative Commons
Attribution-ShareAlike 4.0 International License
(<https://creativecommons.org/licenses/by-sa/4.0/>). `cameo_plover.csv` is an adaptation of
that table and is shared under the same licence.

How the table was read:

- Section headings such as `03: AGREE` give the PLOVER type of the 2-digit root code; they
  are kept as rows with an empty mode and context.
- Root 08 is headed twice (CONCEDE for 081–083, RETREAT for 084–087); the root row takes the
  type of 080, CONCEDE.
- A code listed twice with the same mapping (175) is kept once.
- A code the CAMEO list does not have (1214) is left out.
- Mode and context values are trimmed of stray spaces; several contexts are joined by `;`.
- The table has no entries for roots 01 (MAKE PUBLIC STATEMENT) and 02 (APPEAL): PLOVER
  drops these categories, so those codes have no PLOVER mapping.
"""


def license_text(path: Path) -> str:
    """The MIT notice of cameo-codes.csv, word for word, as a quoted block."""
    lines = path.read_text(encoding="utf-8").strip().splitlines()
    if lines and lines[0].startswith("#"):
        lines[0] = lines[0].lstrip("#").strip()
    return "\n".join(f"> {line}".rstrip() for line in lines)


def build(reference: Path, output: Path) -> None:
    for source in (CAMEO_SOURCE, CAMEO_LICENSE, PLOVER_SOURCE):
        if not (reference / source).is_file():
            raise BuildError(f"missing {reference / source}")
    cameo = read_cameo(reference / CAMEO_SOURCE)
    plover = keep_known(cameo, build_plover(reference / PLOVER_SOURCE))
    output.mkdir(parents=True, exist_ok=True)
    write_csv(
        output / "cameo.csv", ["code", "root", "name", "goldstein"], (row.as_row() for row in cameo)
    )
    write_csv(
        output / "cameo_plover.csv",
        ["code", "type", "mode", "context"],
        (row.as_row() for row in plover),
    )
    notice = NOTICE.format(license=license_text(reference / CAMEO_LICENSE))
    (output / "NOTICE.md").write_text(notice, encoding="utf-8")
    print(f"wrote {len(cameo)} CAMEO codes and {len(plover)} PLOVER mappings to {output}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "reference",
        nargs="?",
        type=Path,
        default=DEFAULT_REFERENCE,
        help=f"shared reference folder (default: {DEFAULT_REFERENCE})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=OUTPUT_DIR,
        help=f"where to write the data files (default: {OUTPUT_DIR})",
    )
    args = parser.parse_args(argv)
    try:
        build(args.reference, args.output)
    except (BuildError, OSError, KeyError, csv.Error) as error:
        print(f"build_ontology: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
