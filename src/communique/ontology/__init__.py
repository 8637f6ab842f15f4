"""The CAMEO event codes and their PLOVER equivalents.

Codes are strings with their leading zeros (``"04"``, ``"040"``, ``"0233"``). The first two
digits are the root, which fixes the quad class. The tables live in ``ontology/data`` (see the
NOTICE there for their sources) and are read once, on first use.

>>> cameo("040").name
'Consult'
>>> plover("0841").mode
'release'
"""

from __future__ import annotations

from functools import cache

from communique.errors import CommuniqueError, Errors
from communique.records import Cameo, Plover
from communique.resources import load_csv, packaged_path

__all__ = [
    "QUAD_CLASS_NAMES",
    "cameo",
    "cameo_codes",
    "is_cameo_code",
    "plover",
    "quad_class",
]

QUAD_CLASS_NAMES: dict[int, str] = {
    1: "verbal cooperation",
    2: "material cooperation",
    3: "verbal conflict",
    4: "material conflict",
}

# The last root of each quad class: 01–05 → 1, 06–08 → 2, 09–13 → 3, 14–20 → 4.
_QUAD_CLASS_LAST_ROOT = ((5, 1), (8, 2), (13, 3), (20, 4))

_PloverFacts = tuple[str, str | None, tuple[str, ...]]


def quad_class(root: str) -> int:
    """The quad class (1–4, see QUAD_CLASS_NAMES) of a 2-digit CAMEO root such as ``"14"``."""
    if len(root) == 2 and root.isdigit():
        number = int(root)
        for last, klass in _QUAD_CLASS_LAST_ROOT:
            if 1 <= number <= last:
                return klass
    raise CommuniqueError(Errors.E040.format(code=root))


@cache
def _cameo_table() -> dict[str, Cameo]:
    rows = load_csv(packaged_path("ontology/data/cameo.csv"), schema="cameo")
    return {row["code"]: _cameo_record(row) for row in rows}


def _cameo_record(row: dict[str, str]) -> Cameo:
    root = row["root"]
    return Cameo(row["code"], root, row["name"], float(row["goldstein"]), quad_class(root))


@cache
def _plover_table() -> dict[str, _PloverFacts]:
    rows = load_csv(packaged_path("ontology/data/cameo_plover.csv"), schema="cameo_plover")
    return {row["code"]: _plover_facts(row) for row in rows}


def _plover_facts(row: dict[str, str]) -> _PloverFacts:
    context = tuple(row["context"].split(";")) if row["context"] else ()
    return row["type"], row["mode"] or None, context


def cameo_codes() -> list[str]:
    """Every known CAMEO code, roots included, in code order (``"01"``, ``"010"``, …)."""
    return sorted(_cameo_table())


def is_cameo_code(code: str) -> bool:
    """Whether ``code`` is a known CAMEO code (exact string, leading zeros required)."""
    return code in _cameo_table()


def cameo(code: str) -> Cameo:
    """The CAMEO record of ``code``; raises CommuniqueError (E040) for an unknown code."""
    try:
        return _cameo_table()[code]
    except KeyError:
        raise CommuniqueError(Errors.E040.format(code=code)) from None


UNLISTED_NAME = "not a CAMEO code (from a user's dictionary)"


def event_code(code: str) -> Cameo:
    """The CAMEO record of ``code``; a code CAMEO lacks (a user's dictionary may have its own,
    e.g. PETRARCH's "904") keeps its root and has no Goldstein score or quad class."""
    if is_cameo_code(code):
        return cameo(code)
    return Cameo(code=code, root=code[:2], name=UNLISTED_NAME, goldstein=None, quad_class=None)


def _lineage(code: str) -> list[str]:
    """The code, then its 3-digit parent, then its root — most specific first, no repeats."""
    return list(dict.fromkeys((code, code[:3], code[:2])))


def plover(code: str) -> Plover | None:
    """The PLOVER type, mode and context of a CAMEO code, or None when PLOVER has none.

    A code without a row of its own takes its 3-digit parent's, then its root's. Roots 01
    (MAKE PUBLIC STATEMENT) and 02 (APPEAL) have no PLOVER equivalent, so they give None.
    Raises CommuniqueError (E040) for an unknown code.
    """
    cameo(code)
    table = _plover_table()
    for candidate in _lineage(code):
        if candidate in table:
            kind, mode, context = table[candidate]
            return Plover(kind, mode, list(context))
    return None
