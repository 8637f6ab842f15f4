"""Settings: defaults, a communique.toml file, environment variables and explicit overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from communique.config import Settings, load_settings
from communique.errors import CommuniqueError


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("COMMUNIQUE_CONFIG", "COMMUNIQUE_MODEL", "COMMUNIQUE_BATCH_SIZE"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_without_file_or_environment() -> None:
    assert load_settings() == Settings()


def test_file_then_environment_then_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("communique.toml").write_text('[communique]\nmodel = "from_file"\nbatch_size = 8\n')
    assert load_settings() == Settings(model="from_file", batch_size=8)
    monkeypatch.setenv("COMMUNIQUE_MODEL", "from_env")
    assert load_settings().model == "from_env"
    assert load_settings(model="from_argument", batch_size=None).model == "from_argument"
    assert load_settings(batch_size=None).batch_size == 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[communique]\nmodle = "x"\n', "unknown setting 'modle'"),
        ('[communique]\nbatch_size = "eight"\n', "batch_size must be a positive integer"),
        ("[communique]\nbatch_size = 0\n", "batch_size must be a positive integer"),
        ("[communique]\nmodel = 3\n", "model must be a str"),
        ("[communique\n", "config file"),
    ],
)
def test_a_bad_file_is_refused_with_its_name(content: str, message: str) -> None:
    Path("communique.toml").write_text(content)
    with pytest.raises(CommuniqueError, match=message):
        load_settings()


def test_top_level_keys_outside_the_section_are_not_settings() -> None:
    Path("communique.toml").write_text('model = "elsewhere"\n[other]\nx = 1\n')
    assert load_settings() == Settings()


def test_a_bad_batch_size_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMUNIQUE_BATCH_SIZE", "many")
    with pytest.raises(CommuniqueError, match="COMMUNIQUE_BATCH_SIZE"):
        load_settings()


def test_padded_batches_keep_long_documents_apart() -> None:
    from communique.coder import padded_batches

    lengths = [100, 120, 5000, 90, 80, 70]
    items = [(list(range(n)), index) for index, n in enumerate(lengths)]
    batches = list(padded_batches(items, 4, 1000))  # type: ignore[arg-type]
    assert [[index for _, index in batch] for batch in batches] == [[0, 1], [2], [3, 4, 5]]
    assert [index for batch in batches for _, index in batch] == list(range(6))


def test_batch_tokens_setting_is_read_from_the_config_file(tmp_path, monkeypatch) -> None:
    config = tmp_path / "communique.toml"
    config.write_text("[communique]\nbatch_tokens = 4000\n", encoding="utf-8")
    monkeypatch.setenv("COMMUNIQUE_CONFIG", str(config))
    assert load_settings().batch_tokens == 4000
