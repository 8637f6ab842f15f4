"""Loading packaged data files (dictionaries, knowledge base, ontology) with a schema check."""

from __future__ import annotations

import csv
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from communique.cache import cached_json, source_of
from communique.errors import DataFileError, Errors

PACKAGE = "communique"
# The C loader parses our larger data files several times faster; both are "safe" loaders.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def packaged_path(relative: str) -> Path:
    """The path of a data file shipped inside the package, e.g. ``actors/data/people.yml``."""
    return Path(str(resources.files(PACKAGE).joinpath(relative)))


@cache
def _schema(name: str) -> dict[str, Any]:
    text = packaged_path(f"schemas/{name}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_yaml(path: Path, *, schema: str) -> Any:
    """Read a YAML data file and check it against the named JSON schema.

    A file already read and checked, byte for byte with the same schema, comes from the
    cache (see ``communique.cache``).
    """
    try:
        content = path.read_bytes()
    except OSError as error:
        raise DataFileError(Errors.E020.format(path=path, detail=error)) from error
    schema_text = packaged_path(f"schemas/{schema}.schema.json").read_bytes()
    parts = [b"yaml", schema_text, source_of(__file__), content]
    return cached_json(parts, lambda: _parse_yaml(path, content, schema))


def _parse_yaml(path: Path, content: bytes, schema: str) -> Any:
    try:
        data = yaml.load(content.decode("utf-8"), Loader=_SAFE_LOADER)
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise DataFileError(Errors.E020.format(path=path, detail=error)) from error
    validate(data, schema=schema, path=path)
    return data


def load_csv(path: Path, *, schema: str) -> list[dict[str, str]]:
    """Read a CSV data file (header row) and check every row against the named schema."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataFileError(Errors.E020.format(path=path, detail=error)) from error
    validate(rows, schema=schema, path=path)
    return rows


def validate(data: Any, *, schema: str, path: Path | str) -> None:
    """Raise DataFileError naming the first offending entry when ``data`` breaks the schema."""
    validator = jsonschema.Draft202012Validator(_schema(schema))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return
    location = list(error.absolute_path)
    if location and isinstance(location[0], int):
        where = "/".join(str(part) for part in location[1:]) or "(entry)"
        detail = f"{where}: {error.message}"
        raise DataFileError(Errors.E021.format(path=path, index=location[0], detail=detail))
    raise DataFileError(Errors.E020.format(path=path, detail=error.message))
