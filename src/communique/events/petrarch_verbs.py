"""Reading PETRARCH-2 verb dictionaries into communique's event patterns.

A verb dictionary holds synonym sets (``&NAME`` then ``+WORD`` lines), verb blocks
(``--- NAME [CODE] ---``, verb lines, then pattern lines) and transformations (``~``, not
used here). A pattern line reads ``- PRE-VERB WORDS * POST-VERB WORDS (PREP WORDS) [CODE]``;
``$`` marks where the source is, ``+`` the target, ``^`` any one word, ``%`` a compound actor.
Each pattern becomes a :class:`Pattern` whose word conditions are checked on the dependency
parse: the words after ``*`` must occur in the verb's phrase after the verb, the words before
it in front of the verb, and a ``(PREP …)`` group as a preposition of that phrase whose object
holds the words. A code ``A:B`` codes A from source to target and B back.

Entries that cannot be read are reported as ``file:line`` and skipped; patterns whose code is
not a CAMEO code are counted but not used, since every event carries CAMEO's name and scores.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from communique.actors.petrarch import Problem, regular_plural
from communique.errors import DataFileError, Errors
from communique.ontology import is_cameo_code

NULL_CODE = "---"
_CODE = re.compile(r"\[([^\[\]]*)\]\s*$")
_BLOCK = re.compile(r"^---\s*(.*?)\s*\[([^\]]*)\]\s*---")
MARKERS = {"$", "+", "%", "^"}
MAX_PHRASE_FORMS = 64
# Event codes a PETRARCH dictionary may use beyond CAMEO's: digits, maybe a letter ("174L").
_USER_CODE = re.compile(r"[0-9]{2,4}[A-Z]?")
# Words PETRARCH lists before the verb that are auxiliaries or negation in a parse.
AUXILIARY_DEPS = {"aux", "auxpass", "neg", "advmod", "nsubj", "nsubjpass", "mark"}


@dataclass(frozen=True)
class WordGroup:
    """One word or phrase condition: any of ``phrases`` (tuples of lower-case words)."""

    phrases: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class PrepGroup:
    """``(PREP WORDS)``: a preposition of the verb's phrase, its object holding the words."""

    preposition: str
    words: tuple[WordGroup, ...] = ()
    marker: str | None = None


@dataclass(frozen=True)
class Requirements:
    before: tuple[WordGroup, ...] = ()
    after: tuple[WordGroup | PrepGroup, ...] = ()

    def __len__(self) -> int:
        return len(self.before) + len(self.after)


@dataclass(frozen=True)
class VerbPattern:
    verbs: tuple[str, ...]
    code: str
    reverse_code: str | None
    requires: Requirements
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    line: int
    text: str


@dataclass
class VerbDictionary:
    patterns: list[VerbPattern] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    not_cameo: int = 0
    transformations: int = 0


@dataclass
class _Block:
    code: str | None
    verbs: list[tuple[str, str | None, int]] = field(default_factory=list)
    patterns: list[tuple[str, int]] = field(default_factory=list)


def is_petrarch_verbs(path: Path) -> bool:
    """PETRARCH verb files are plain text; communique's own are YAML."""
    return path.suffix.lower() not in {".yml", ".yaml"}


def read_verb_dictionary(path: Path) -> VerbDictionary:
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as error:
        raise DataFileError(Errors.E020.format(path=path, detail=error)) from error
    result = VerbDictionary()
    synsets: dict[str, list[tuple[str, ...]]] = {}
    blocks: list[_Block] = []
    current_synset: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("<!--"):
            continue
        try:
            if stripped.startswith("&"):
                current_synset = stripped.split()[0].upper()
                synsets[current_synset] = []
            elif stripped.startswith("+") and current_synset is not None:
                # "+" lines right after "&NAME" are its members; elsewhere "+" marks the
                # verb word of a multi-word verb ("+CORDON_OFF").
                synsets[current_synset] += _synonyms(stripped[1:], current_synset)
            elif stripped.startswith("---"):
                current_synset = None
                blocks.append(_block(stripped))
            elif stripped.startswith("~"):
                result.transformations += 1
            elif stripped.startswith("-"):
                current_synset = None
                _require_block(blocks).patterns.append((stripped[1:].strip(), number))
            else:
                current_synset = None
                lemma, code = _verb_line(stripped)
                _require_block(blocks).verbs.append((lemma, code, number))
        except ValueError as error:
            result.problems.append(Problem(path, number, str(error)))
    for block in blocks:
        _compile_block(block, synsets, path, result)
    return result


def _require_block(blocks: list[_Block]) -> _Block:
    if not blocks:
        raise ValueError("a verb or pattern line before any --- VERB [CODE] --- block")
    return blocks[-1]


def _block(line: str) -> _Block:
    match = _BLOCK.match(line)
    if match is None:
        raise ValueError("expected --- NAME [CODE] ---")
    code = match.group(2).strip()
    return _Block(code=None if code == NULL_CODE else code)


def _synonyms(text: str, label: str) -> list[tuple[str, ...]]:
    words = tuple(word.lower() for word in text.strip().rstrip("_").split("_") if word)
    if not words:
        raise ValueError("an empty synonym")
    forms = [words]
    if not label.endswith("_") and not text.strip().endswith("_"):
        forms.append((*words[:-1], regular_plural(words[-1]).lower()))
    return forms


def _verb_line(line: str) -> tuple[str, str | None]:
    code_match = _CODE.search(line)
    code = code_match.group(1).strip() if code_match else None
    body = line[: code_match.start()] if code_match else line
    body = re.sub(r"\{[^}]*\}", " ", body).strip()
    if not body:
        raise ValueError("a verb line without a verb")
    phrase = body.split()[0]
    words = [w for w in phrase.split("_") if w]
    if not words:  # "_" or "__": underscores only
        raise ValueError(f"cannot read the verb {phrase!r}")
    marked = [w for w in words if w.startswith("+")]
    verb = (marked[0] if marked else words[-1] if len(words) == 1 else words[0]).lstrip("+")
    if not re.fullmatch(r"[A-Za-z][A-Za-z'-]*", verb):
        raise ValueError(f"cannot read the verb {phrase!r}")
    return verb.lower(), (None if code in (None, "", NULL_CODE) else code)


def _compile_block(
    block: _Block, synsets: dict[str, list[tuple[str, ...]]], path: Path, result: VerbDictionary
) -> None:
    verbs = tuple(dict.fromkeys(lemma for lemma, _, _ in block.verbs))
    if not verbs:
        return
    for lemma, code, number in block.verbs:
        own = code or block.code
        try:
            if own is not None:
                label = f"{lemma} (verb)"
                _add(result, path, number, (lemma,), own, Requirements(), (), (), label)
        except ValueError as error:
            result.problems.append(Problem(path, number, str(error)))
    for text, number in block.patterns:
        try:
            code = _pattern_code(text)
            if code is None:
                continue
            requires, sources, targets = _parse_pattern(_CODE.sub("", text), synsets)
            _add(result, path, number, verbs, code, requires, sources, targets, text)
        except ValueError as error:
            result.problems.append(Problem(path, number, str(error)))


def _pattern_code(text: str) -> str | None:
    match = _CODE.search(text)
    if match is None:
        raise ValueError("a pattern without a [CODE]")
    code = match.group(1).strip()
    return None if code == "" else code


def _add(
    result: VerbDictionary,
    path: Path,
    number: int,
    verbs: tuple[str, ...],
    code: str,
    requires: Requirements,
    sources: tuple[str, ...],
    targets: tuple[str, ...],
    text: str,
) -> None:
    forward, _, backward = code.partition(":")
    forward = forward.strip()
    reverse = backward.strip() if backward.strip() not in ("", NULL_CODE) else None
    for part in (forward, reverse):
        if part is not None and part != NULL_CODE and not is_cameo_code(part):
            if not _USER_CODE.fullmatch(part):
                raise ValueError(f"cannot read the event code {part!r}")
            # Kept as the dictionary has it: events carry it with CAMEO's name left empty.
            result.not_cameo += 1
    result.patterns.append(
        VerbPattern(verbs, forward, reverse, requires, sources, targets, number, text.strip())
    )


def _parse_pattern(
    text: str, synsets: dict[str, list[tuple[str, ...]]]
) -> tuple[Requirements, tuple[str, ...], tuple[str, ...]]:
    before_text, star, after_text = text.partition("*")
    if not star:
        raise ValueError("a pattern without * for the verb")
    before = [item for item in _items(before_text, synsets) if not isinstance(item, PrepGroup)]
    after = list(_items(after_text, synsets))
    sources: list[str] = []
    targets: list[str] = []
    for marker in _markers(before_text):
        (sources if marker == "$" else targets).append("subject")
    for item in after:
        if isinstance(item, PrepGroup) and item.marker in {"$", "+"}:
            slot = f"prep:{item.preposition}"
            (sources if item.marker == "$" else targets).append(slot)
    for marker in _markers(_outside_groups(after_text)):
        (sources if marker == "$" else targets).append("dobj")
    words_before = tuple(item for item in before if isinstance(item, WordGroup))
    return Requirements(words_before, tuple(after)), tuple(sources), tuple(targets)


def _markers(text: str) -> list[str]:
    return [token for token in _tokens(text) if token in {"$", "+"}]


def _outside_groups(text: str) -> str:
    return re.sub(r"\([^)]*\)", " ", text)


def _tokens(text: str) -> list[str]:
    return re.findall(r"\{[^}]*\}|\([^)]*\)|[^\s{}()]+", text)


def _items(text: str, synsets: dict[str, list[tuple[str, ...]]]) -> Iterator[WordGroup | PrepGroup]:
    for token in _tokens(text):
        if token in MARKERS:
            continue
        if token.startswith("("):
            yield _prep_group(token[1:-1], synsets)
        else:
            group = _word_group(token, synsets)
            if group is not None:
                yield group


def _prep_group(inside: str, synsets: dict[str, list[tuple[str, ...]]]) -> PrepGroup:
    tokens = _tokens(inside)
    if not tokens:
        raise ValueError("an empty ( ) group")
    preposition = tokens[0].lower()
    if not re.fullmatch(r"[a-z]+", preposition):
        raise ValueError(f"cannot read the preposition {tokens[0]!r}")
    marker = next((t for t in tokens[1:] if t in {"$", "+"}), None)
    words = tuple(
        group
        for token in tokens[1:]
        if token not in MARKERS
        for group in [_word_group(token, synsets)]
        if group is not None
    )
    return PrepGroup(preposition, words, marker)


def _word_group(token: str, synsets: dict[str, list[tuple[str, ...]]]) -> WordGroup | None:
    if token.startswith("{"):
        parts = token[1:-1].split()
        if not parts:
            raise ValueError("an empty { } phrase")
        # A braced phrase: every word in order; a synset inside stands for any of its members.
        phrases: list[tuple[str, ...]] = [()]
        for part in parts:
            if part.startswith("&"):
                options = synsets.get(part.upper())
                if not options:
                    raise ValueError(f"the synset {part} is not defined above")
            else:
                options = [tuple(w.lower() for w in part.split("_") if w)]
            phrases = [(*p, *o) for p in phrases for o in options][:MAX_PHRASE_FORMS]
        return WordGroup(tuple(phrases))
    if token.startswith("&"):
        options = synsets.get(token.upper())
        if not options:
            raise ValueError(f"the synset {token} is not defined above")
        return WordGroup(tuple(options))
    words = tuple(w.lower() for w in token.split("_") if w)
    if not words or not all(re.fullmatch(r"[a-z0-9'.-]+", w) for w in words):
        raise ValueError(f"cannot read the word {token!r}")
    return WordGroup((words,))
