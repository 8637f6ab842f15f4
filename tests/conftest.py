"""Shared fixtures: one real spaCy pipeline for the session, and the ../shared test material."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from communique.coder import Coder

PROJECT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COMMUNIQUE_SHARED", PROJECT.parent / "shared"))


def pytest_configure(config: pytest.Config) -> None:
    # A cache of parsed data files of the session's own: tests read the data files afresh
    # (schema checks included) and leave nothing in the user's cache.
    if "COMMUNIQUE_CACHE" not in os.environ:
        os.environ["COMMUNIQUE_CACHE"] = tempfile.mkdtemp(prefix="communique-cache-")


def shared_file(relative: str) -> Path:
    """A file from the shared test material, or a skip saying why it is missing."""
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent: set COMMUNIQUE_SHARED to the shared test material")
    return path


def corpus_head(relative: str, path: Path, count: int) -> Path:
    """The first ``count`` lines of a shared JSON Lines corpus, written to ``path`` (or a skip
    saying why the corpus is missing). Lines end at newlines only, as JSON Lines do."""
    with shared_file(relative).open(encoding="utf-8", newline="") as lines:
        head = [line for _, line in zip(range(count), lines, strict=False)]
    path.write_text("".join(head), encoding="utf-8", newline="")
    return path


def guardian_sample(path: Path, count: int) -> Path:
    """The first ``count`` articles of the shared Guardian corpus, written to ``path``."""
    return corpus_head("corpus/guardian-2017-2019.jsonl", path, count)


@pytest.fixture(scope="session")
def coder() -> Coder:
    return Coder()
