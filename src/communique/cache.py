"""A cache of parsed and checked data files, keyed by their content.

Reading the knowledge base means parsing several megabytes of YAML and dictionary text and
checking the YAML against its schemas, which takes seconds; the files rarely change. The
result is stored as JSON under a key that hashes the file's bytes together with everything
that decides how it is read (the schema, the reader's own source), so an edited file, schema
or reader is simply a new key and is read and checked afresh.

The cache lives in ``$COMMUNIQUE_CACHE``, else ``$XDG_CACHE_HOME/communique``, else
``~/.cache/communique``. ``COMMUNIQUE_CACHE=off`` disables it; a cache that cannot be
written (read-only home) is skipped silently, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

DISABLED = {"", "0", "off", "no", "false"}


def cache_dir() -> Path | None:
    setting = os.environ.get("COMMUNIQUE_CACHE")
    if setting is not None:
        return None if setting.strip().lower() in DISABLED else Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "communique"


def cached_json(parts: Iterable[bytes], build: Callable[[], Any]) -> Any:
    """``build()``'s value, from the cache when ``parts`` were seen before."""
    folder = cache_dir()
    if folder is None:
        return build()
    key = hashlib.sha256(b"\0".join(parts)).hexdigest()
    path = folder / f"{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    value = build()
    _store(path, value)
    return value


def source_of(module_file: str) -> bytes:
    """A module's own source, so that a change to the reader invalidates what it read."""
    return Path(module_file).read_bytes()


def _store(path: Path, value: Any) -> None:
    try:
        text = json.dumps(value, ensure_ascii=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)  # atomic: readers never see half a file
    except (OSError, TypeError, ValueError):
        return
