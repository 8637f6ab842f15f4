"""The CAMEO/PLOVER ontology: the packaged tables, their schemas and the lookup API."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from communique import ontology
from communique.errors import CommuniqueError, DataFileError
from communique.ontology import (
    QUAD_CLASS_NAMES,
    cameo,
    cameo_codes,
    is_cameo_code,
    plover,
    quad_class,
)
from communique.records import Cameo, Plover
from communique.resources import load_csv, packaged_path

# PLOVER drops CAMEO's MAKE PUBLIC STATEMENT (01) and APPEAL (02) categories outright, so
# no code under these roots has a PLOVER equivalent.
ROOTS_WITHOUT_PLOVER = {"01", "02"}


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


# --- CAMEO ------------------------------------------------------------------------------------


def test_consult() -> None:
    assert cameo("040") == Cameo("040", "04", "Consult", 1.0, 1)


def test_fight_is_material_conflict_with_negative_goldstein() -> None:
    record = cameo("190")
    assert record.root == "19"
    assert record.quad_class == 4
    assert record.goldstein < 0


def test_root_codes_are_listed() -> None:
    assert cameo("01").name == "MAKE PUBLIC STATEMENT"
    roots = [code for code in cameo_codes() if len(code) == 2]
    assert roots == [f"{number:02d}" for number in range(1, 21)]


def test_codes_keep_leading_zeros() -> None:
    assert is_cameo_code("0233")
    assert cameo("0233").root == "02"
    assert not is_cameo_code("233")
    assert not is_cameo_code("40")


def test_codes_are_sorted_unique_and_under_their_root() -> None:
    codes = cameo_codes()
    assert codes == sorted(set(codes))
    assert len(codes) > 300
    for code in codes:
        record = cameo(code)
        assert record.code == code
        assert record.root == code[:2]
        assert -10.0 <= record.goldstein <= 10.0


def test_cameo_codes_returns_a_copy() -> None:
    cameo_codes().clear()
    assert cameo_codes()


@pytest.mark.parametrize("code", ["999", "", "04 ", "4", "00", "21", "abc"])
def test_unknown_code_raises(code: str) -> None:
    with pytest.raises(CommuniqueError, match="unknown CAMEO code"):
        cameo(code)
    assert not is_cameo_code(code)


# --- quad classes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("root", "expected"),
    [("01", 1), ("05", 1), ("06", 2), ("08", 2), ("09", 3), ("13", 3), ("14", 4), ("20", 4)],
)
def test_quad_class_boundaries(root: str, expected: int) -> None:
    assert quad_class(root) == expected


@pytest.mark.parametrize("root", ["00", "21", "1", "010", "x1"])
def test_quad_class_rejects_non_roots(root: str) -> None:
    with pytest.raises(CommuniqueError):
        quad_class(root)


def test_quad_class_names() -> None:
    assert QUAD_CLASS_NAMES == {
        1: "verbal cooperation",
        2: "material cooperation",
        3: "verbal conflict",
        4: "material conflict",
    }


# --- PLOVER -----------------------------------------------------------------------------------


def test_plover_with_mode_and_context() -> None:
    assert plover("0841") == Plover("RETREAT", "release", ["legal"])


def test_plover_with_several_contexts() -> None:
    assert plover("094") == Plover("ACCUSE", "investigate", ["military", "legal"])


def test_plover_empty_mode_is_none() -> None:
    assert plover("0312") == Plover("AGREE", None, ["military"])
    assert plover("040") == Plover("CONSULT", None, [])


def test_plover_root_row() -> None:
    assert plover("03") == Plover("AGREE", None, [])
    # 08 is split between CONCEDE (081–083) and RETREAT (084–087); the root follows 080.
    assert plover("08") == Plover("CONCEDE", None, [])
    assert plover("0871") == Plover("RETREAT", "ceasefire", ["military"])


def test_plover_result_is_not_shared() -> None:
    first = plover("094")
    assert first is not None
    first.context.append("changed")
    assert plover("094") == Plover("ACCUSE", "investigate", ["military", "legal"])


def test_appeal_has_no_plover_equivalent() -> None:
    # 0233 (appeal for humanitarian aid) has neither a row nor a mapped parent or root.
    assert plover("0233") is None
    assert plover("02") is None
    assert plover("010") is None


def test_plover_falls_back_to_parent_then_root(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {"23": ("ROOT", None, ()), "233": ("PARENT", "mode", ("context",))}
    monkeypatch.setattr(ontology, "_plover_table", lambda: table)
    monkeypatch.setattr(ontology, "cameo", lambda code: None)
    assert plover("2331") == Plover("PARENT", "mode", ["context"])
    assert plover("233") == Plover("PARENT", "mode", ["context"])
    assert plover("2341") == Plover("ROOT", None, [])
    assert plover("234") == Plover("ROOT", None, [])
    assert plover("2441") is None


def test_plover_unknown_code_raises() -> None:
    with pytest.raises(CommuniqueError, match="unknown CAMEO code"):
        plover("1214")


def test_every_cameo_code_has_a_plover_mapping() -> None:
    missing = [
        code
        for code in cameo_codes()
        if plover(code) is None and code[:2] not in ROOTS_WITHOUT_PLOVER
    ]
    assert missing == []
    for code in cameo_codes():
        if code[:2] in ROOTS_WITHOUT_PLOVER:
            assert plover(code) is None, code


def test_plover_table_only_maps_cameo_codes() -> None:
    rows = load_csv(packaged_path("ontology/data/cameo_plover.csv"), schema="cameo_plover")
    codes = [row["code"] for row in rows]
    assert len(codes) == len(set(codes))
    assert all(is_cameo_code(code) for code in codes)


# --- data files and schemas -------------------------------------------------------------------


def test_cameo_csv_keeps_only_facts() -> None:
    path = packaged_path("ontology/data/cameo.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["code", "root", "name", "goldstein"]


def test_notice_names_sources_and_licences() -> None:
    text = " ".join(packaged_path("ontology/data/NOTICE.md").read_text(encoding="utf-8").split())
    assert "Copyright (c) 2022 Andreas Beger" in text
    assert "MIT License" in text
    assert "Creative Commons Attribution-ShareAlike 4.0" in text


GOOD_CAMEO = {"code": "040", "root": "04", "name": "Consult", "goldstein": "1.0"}
GOOD_PLOVER = {"code": "0841", "type": "RETREAT", "mode": "release", "context": "legal;military"}


def test_schemas_accept_good_rows(tmp_path: Path) -> None:
    assert load_csv(write_csv(tmp_path / "c.csv", [GOOD_CAMEO]), schema="cameo")
    assert load_csv(write_csv(tmp_path / "p.csv", [GOOD_PLOVER]), schema="cameo_plover")


@pytest.mark.parametrize(
    "change",
    [
        {"code": "4"},
        {"code": "40a"},
        {"code": "04001"},
        {"root": "21"},
        {"name": ""},
        {"name": " Consult"},
        {"goldstein": "NA"},
        {"goldstein": "10.5"},
        {"goldstein": "-11"},
        {"goldstein": "1,0"},
    ],
)
def test_cameo_schema_rejects_broken_row(tmp_path: Path, change: dict[str, str]) -> None:
    path = write_csv(tmp_path / "cameo.csv", [GOOD_CAMEO, {**GOOD_CAMEO, **change}])
    with pytest.raises(DataFileError, match="entry 1"):
        load_csv(path, schema="cameo")


@pytest.mark.parametrize(
    "change",
    [
        {"code": "0841x"},
        {"type": "retreat"},
        {"type": ""},
        {"mode": "release "},
        {"context": "legal; military"},
        {"context": "legal;"},
    ],
)
def test_plover_schema_rejects_broken_row(tmp_path: Path, change: dict[str, str]) -> None:
    path = write_csv(tmp_path / "plover.csv", [GOOD_PLOVER, {**GOOD_PLOVER, **change}])
    with pytest.raises(DataFileError, match="entry 1"):
        load_csv(path, schema="cameo_plover")


def test_cameo_schema_rejects_extra_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cameo.csv", [{**GOOD_CAMEO, "description": "text"}])
    with pytest.raises(DataFileError):
        load_csv(path, schema="cameo")
