"""API keys for the write endpoints, held only as SHA-256 hashes.

A key reaches the server from ``$COMMUNIQUE_API_KEY`` and/or a key file (one key a line, or
``sha256:<hex>`` for a key given by its hash, so the file need not hold the key itself; blank
lines and ``#`` comments are skipped). The plain key is hashed as soon as it is read and never
kept; a presented key is hashed and compared with ``hmac.compare_digest`` against every stored
hash, so the time taken says nothing about how much of it matched.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from communique.errors import CommuniqueError

ENV_KEY = "COMMUNIQUE_API_KEY"
HASH_PREFIX = "sha256:"
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
# Shorter keys are too easy to guess for a server that may listen beyond loopback.
MIN_KEY_LENGTH = 16


def hash_key(key: str) -> str:
    """The hex SHA-256 of a key, the only form in which the server keeps it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def load_key_hashes(
    *, key_file: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> frozenset[str]:
    """The hashes of the keys in ``$COMMUNIQUE_API_KEY`` and in ``key_file``; empty when
    neither gives one (writes are then refused)."""
    environ = os.environ if environ is None else environ
    hashes: set[str] = set()
    if key := environ.get(ENV_KEY, "").strip():
        hashes.add(_checked_hash(key, where=f"${ENV_KEY}"))
    if key_file is not None:
        hashes |= _file_hashes(Path(key_file))
    return frozenset(hashes)


def _file_hashes(path: Path) -> set[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise CommuniqueError(f"cannot read the API key file {path}: {error}") from error
    hashes = set()
    for number, line in enumerate(lines, start=1):
        entry = line.strip()
        if entry and not entry.startswith("#"):
            hashes.add(_checked_hash(entry, where=f"{path}:{number}"))
    if not hashes:
        raise CommuniqueError(f"the API key file {path} holds no key (one key a line)")
    return hashes


def _checked_hash(entry: str, *, where: str) -> str:
    if entry.startswith(HASH_PREFIX):
        digest = entry[len(HASH_PREFIX) :].strip().lower()
        if not _HEX_DIGEST.fullmatch(digest):
            raise CommuniqueError(f"{where}: a sha256: entry needs 64 hexadecimal digits")
        return digest
    if len(entry) < MIN_KEY_LENGTH:
        raise CommuniqueError(
            f"{where}: an API key needs at least {MIN_KEY_LENGTH} characters; make one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return hash_key(entry)


def key_matches(presented: str, hashes: Iterable[str]) -> bool:
    """Whether ``presented`` is one of the keys; every hash is compared, in constant time."""
    digest = hash_key(presented)
    found = False
    for stored in hashes:
        found |= hmac.compare_digest(digest, stored)
    return found
