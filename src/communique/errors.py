"""The catalogue of error messages, and the exceptions communique raises.

Library code raises; only the CLI prints. Each message says what was wrong, with what input,
and, where it helps, what to do about it.
"""

from __future__ import annotations


class Errors:
    E001 = "{where}: the file is empty"
    E002 = "{where}: looks like a binary file, not text (a NUL byte at offset {offset})"
    E003 = "{where}: not valid UTF-8 (bad byte at offset {offset}); save it as UTF-8 and retry"
    E004 = "{where}: {size} is larger than the limit of {limit}; split it or raise --max-bytes"
    E005 = '{where}: no publication date; give one with --date YYYY-MM-DD or a "date" field'
    E006 = "{where}: not valid JSON ({detail})"
    E007 = '{where}: expected a JSON object with a "text" field, got {got}'
    E008 = "{where}: the text is empty"
    E009 = "{where}: cannot read the date {value!r}; use YYYY-MM-DD"
    E010 = "{where}: cannot read the file ({detail})"
    E011 = (
        "{where}: {size} is more than the {limit} the language model takes in one document; "
        "split it into smaller documents"
    )
    E012 = "{where}: no documents in the file"
    E020 = "data file {path}: {detail}"
    E021 = "data file {path}: entry {index} is invalid: {detail}"
    E030 = (
        "cannot load the spaCy pipeline {name!r}: {detail}. Install it with `make install`, "
        "or name an installed pipeline or a path with --model / COMMUNIQUE_MODEL"
    )
    E031 = "the spaCy pipeline {name!r} has no dependency parser; communique needs one"
    E040 = "unknown CAMEO code {code!r}"


class CommuniqueError(Exception):
    """Base class of every error communique raises on purpose."""


class InputError(CommuniqueError):
    """A document or file that cannot be coded; the rest of the batch goes on."""

    def __init__(self, message: str, *, where: str) -> None:
        super().__init__(message)
        self.where = where


class DataFileError(CommuniqueError):
    """A dictionary or knowledge-base file that fails its schema check."""


class PipelineError(CommuniqueError):
    """The NLP pipeline could not be loaded or is unsuitable."""
