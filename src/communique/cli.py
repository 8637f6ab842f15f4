"""The ``communique`` command line: a thin layer over the Python API.

Library code raises; this module turns errors into one-line messages and exit codes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import IO, Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from communique import __version__
from communique.config import load_settings
from communique.errors import CommuniqueError, Errors, InputError
from communique.ingest.dates import parse_date
from communique.ingest.documents import (
    BINARY_SNIFF_BYTES,
    DEFAULT_MAX_BYTES,
    ReadOptions,
    decode,
    read_jsonl,
    read_text_file,
)
from communique.output import csv_row, csv_writer, print_table, unknown_table, write_jsonl
from communique.records import Article, Event

JSONL_SUFFIXES = {".jsonl", ".ndjson"}

CODE_EXAMPLES = """
\b
Examples:
  communique code article.txt --date 2024-08-29
  communique code article.txt --date 2024-08-29 --format jsonl
  communique code --input docs.jsonl --output events.jsonl
  cat docs.jsonl | communique code --input - --format csv > events.csv

\b
Each line of a --input file is one document:
  {"id": "a1", "text": "…", "date": "2024-08-29", "title": "…", "url": "…", "source": "…"}
A .txt file may start with header lines (Date:, Title:, URL:, Source:, Id:) and a blank line.
"""


@dataclass
class Tally:
    coded: int = 0
    events: int = 0
    skipped: list[str] = field(default_factory=list)


def _output_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--output",
        "-o",
        "output_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help=help_text,
    )


# --date on every command that reads documents: the date of those that carry none.
_undated_option = click.option(
    "--date",
    "date_text",
    metavar="YYYY-MM-DD",
    help="Publication date for documents that carry none.",
)


def _dictionary_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--actors/--agents: PETRARCH-format dictionaries that extend the knowledge base."""
    existing = click.Path(exists=True, dir_okay=False, path_type=Path)
    command = click.option(
        "--agents",
        "agent_files",
        multiple=True,
        type=existing,
        metavar="FILE",
        help="PETRARCH agents dictionary (role words); repeatable; overrides built-in roles.",
    )(command)
    return click.option(
        "--actors",
        "actor_files",
        multiple=True,
        type=existing,
        metavar="FILE",
        help="PETRARCH actors dictionary; repeatable; its entries outrank built-in ones.",
    )(command)


def _verbs_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--verbs: event-pattern files (communique YAML or PETRARCH verbs) instead of the built-in."""
    return click.option(
        "--verbs",
        "verb_files",
        multiple=True,
        metavar="FILE",
        help=(
            "Event patterns (communique YAML or a PETRARCH verbs dictionary) used instead of "
            "the built-in ones; repeatable; 'default' names the built-in files."
        ),
    )(command)


def _check_verb_files(names: tuple[str, ...]) -> None:
    for name in names:
        if name != "default" and not Path(name).is_file():
            raise click.BadParameter(f"no such file: {name}", param_hint="--verbs")


def _load_coder(errors: Console, *, quiet: bool, **options: Any) -> Any:
    """The Coder, loaded behind a spinner; unreadable dictionary lines are listed, not fatal."""
    from communique.coder import Coder  # loading spaCy is slow: only when there is work

    with errors.status("loading the language model…") if not quiet else ExitStack():
        coder = Coder(**options)
    for problem in coder.dictionary_problems:
        click.echo(f"communique: skipped {problem}", err=True)
    if coder.dictionary_problems and not quiet:
        count = _plural(len(coder.dictionary_problems), "dictionary line")
        click.echo(f"communique: skipped {count} that could not be read", err=True)
    return coder


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="communique")
def cli() -> None:
    """communique: news reports about international affairs turned into event data.

    \b
    Examples:
      communique code article.txt --date 2024-08-29
      communique code --input docs.jsonl --output events.jsonl
    """


@cli.command(epilog=CODE_EXAMPLES)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--input",
    "input_path",
    metavar="FILE|-",
    help="JSON Lines documents to code ('-' for standard input).",
)
@_output_option("Write events here instead of standard output.")
@_undated_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "jsonl", "csv"]),
    help="Output format (default: table on screen, jsonl or csv for --output by suffix).",
)
@click.option("--model", help="spaCy pipeline to use: an installed package name or a path.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Documents per nlp.pipe batch.")
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    help=f"Skip documents larger than this many bytes (default {DEFAULT_MAX_BYTES:,}).",
)
@_dictionary_options
@_verbs_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
def code(
    files: tuple[Path, ...],
    input_path: str | None,
    output_path: Path | None,
    date_text: str | None,
    fmt: str | None,
    model: str | None,
    batch_size: int | None,
    max_bytes: int | None,
    actor_files: tuple[Path, ...],
    agent_files: tuple[Path, ...],
    verb_files: tuple[str, ...],
    quiet: bool,
) -> None:
    """Code news articles into events (who did what to whom, when and where)."""
    _check_verb_files(verb_files)
    if not files and not input_path:
        raise click.UsageError("give article files, or --input FILE with JSON Lines documents")
    errors = Console(stderr=True, highlight=False)
    published = _option_date(date_text)
    fmt = fmt or _default_format(output_path)
    try:
        settings = load_settings(max_bytes=max_bytes)
        options = ReadOptions(published=published, max_bytes=settings.max_bytes)
        coder_options = {
            "model": model,
            "batch_size": batch_size,
            "actors": actor_files,
            "agents": agent_files,
            "verbs": verb_files,
        }
        tally = _run(files, input_path, output_path, fmt, options, coder_options, quiet, errors)
    except CommuniqueError as error:
        raise click.ClickException(str(error)) from error
    if not quiet:
        _summary(tally)
    if tally.coded == 0:
        sys.exit(1)


def _run(
    files: tuple[Path, ...],
    input_path: str | None,
    output_path: Path | None,
    fmt: str,
    options: ReadOptions,
    coder_options: dict[str, Any],
    quiet: bool,
    errors: Console,
) -> Tally:
    tally = Tally()
    with ExitStack() as stack:
        coder = _load_coder(errors, quiet=quiet, **coder_options)
        total = _count(files, input_path)
        options = replace(options, max_chars=coder.nlp.max_length)
        items = _documents(files, input_path, options)
        articles = _codable(items, tally)
        sink = _Sink(fmt, output_path, stack)
        with _progress(errors, enabled=not quiet and total != 1) as progress:
            task = progress.add_task("coding", total=total)
            for article, events in coder.code_documents(
                articles, on_skip=lambda error: _skip(error, tally)
            ):
                tally.coded += 1
                tally.events += len(events)
                sink.write(article, events)
                progress.advance(task)
        sink.close()
    return tally


class _Sink:
    """Where events go: a table printed at the end, or records streamed as they come."""

    def __init__(self, fmt: str, path: Path | None, stack: ExitStack) -> None:
        self.fmt = fmt
        self.table_events: list[tuple[Article, list[Event]]] = []
        self.stream: IO[str] = sys.stdout
        if path is not None:
            self.stream = stack.enter_context(path.open("w", encoding="utf-8", newline=""))
        self.writer: Any = csv_writer(self.stream) if fmt == "csv" else None

    def write(self, article: Article, events: list[Event]) -> None:
        if self.fmt == "table":
            self.table_events.append((article, events))
        elif self.fmt == "csv":
            for event in events:
                self.writer.writerow(csv_row(event))
        else:
            write_jsonl(events, self.stream)

    def close(self) -> None:
        if self.fmt != "table":
            self.stream.flush()
            return
        console = Console(
            file=self.stream, highlight=False, width=None if self.stream.isatty() else 160
        )
        for article, events in self.table_events:
            title = article.title or article.id
            heading = (
                f"{title} ({article.published.isoformat() if article.published else 'no date'})"
            )
            print_table(events, console, title=heading)


def _documents(
    files: tuple[Path, ...], input_path: str | None, options: ReadOptions
) -> Iterator[Article | InputError]:
    for path in files:
        if path.suffix.lower() in JSONL_SUFFIXES:
            yield from _jsonl_file(path, options)
        else:
            try:
                yield read_text_file(path, options)
            except InputError as error:
                yield error
    if input_path == "-":
        yield from read_jsonl(sys.stdin.buffer, name="<stdin>", options=options)
    elif input_path:
        yield from _jsonl_file(Path(input_path), options)


def _jsonl_file(path: Path, options: ReadOptions) -> Iterator[Article | InputError]:
    where = str(path)
    try:
        handle = path.open("rb")
    except OSError as error:
        detail = error.strerror or str(error)
        yield InputError(Errors.E010.format(where=where, detail=detail), where=where)
        return
    with handle:
        head = handle.read(BINARY_SNIFF_BYTES)
        problem = _whole_file_problem(head, where)
        if problem is not None:
            yield problem
            return
        handle.seek(0)
        found = False
        for item in read_jsonl(handle, name=where, options=options):
            found = True
            yield item
        if not found:
            yield InputError(Errors.E012.format(where=where), where=where)


def _whole_file_problem(head: bytes, where: str) -> InputError | None:
    """A JSON Lines file that is empty or binary is one problem, not one per line."""
    if not head:
        return InputError(Errors.E001.format(where=where), where=where)
    nul = head.find(b"\x00")
    if nul >= 0:
        return InputError(Errors.E002.format(where=where, offset=nul), where=where)
    return None


def _codable(items: Iterator[Article | InputError], tally: Tally) -> Iterator[Article]:
    """The articles; every other item is reported, counted and skipped."""
    for item in items:
        if isinstance(item, InputError):
            _skip(item, tally)
        else:
            yield item


def _skip(error: InputError, tally: Tally) -> None:
    # Plain echo: one line per skipped input, never wrapped, whatever the terminal width.
    tally.skipped.append(str(error))
    click.echo(f"communique: skipped {error}", err=True)


def _count(files: tuple[Path, ...], input_path: str | None) -> int | None:
    """How many documents there will be, when that is cheap to know (for the progress bar)."""
    if input_path == "-":
        return None
    total = 0
    for path in [*files, *([Path(input_path)] if input_path else [])]:
        if path.suffix.lower() in JSONL_SUFFIXES or (input_path and path == Path(input_path)):
            try:
                with path.open("rb") as handle:
                    total += sum(1 for line in handle if line.strip())
            except OSError:
                total += 1
        else:
            total += 1
    return total


class _RateColumn(ProgressColumn):
    """Documents per second, blank until there is a measurement."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} docs/s" if speed else "", style="progress.data.speed")


def _progress(errors: Console, *, enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeRemainingColumn(),
        console=errors,
        disable=not enabled,
        transient=True,
    )


def _summary(tally: Tally) -> None:
    skipped = len(tally.skipped)
    line = f"coded {_plural(tally.coded, 'document')}: {_plural(tally.events, 'event')}"
    if skipped:
        line += f"; skipped {skipped} (see the messages above)"
    click.echo(line, err=True)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _option_date(text: str | None, option: str = "--date") -> date | None:
    if text is None:
        return None
    try:
        return parse_date(text, where=option)
    except InputError as error:
        message = f"cannot read the date {text!r}; use YYYY-MM-DD"
        raise click.BadParameter(message, param_hint=option) from error


def _default_format(output_path: Path | None) -> str:
    if output_path is None:
        return "table"
    return "csv" if output_path.suffix.lower() == ".csv" else "jsonl"


ACTORS_EXAMPLES = """
\b
Examples:
  communique actors resolve "American warplanes"
  communique actors resolve "Jim Mattis" --date 2018-06-27
  communique actors resolve Sullivan --context "Jake Sullivan arrived. Sullivan met Xi."
  communique actors resolve --input phrases.jsonl --output resolved.jsonl

\b
Each line of a --input file is one phrase ("date" may be "today" or missing):
  {"id": "p1", "actor": "the Chinese foreign minister", "context": "", "date": "2024-08-29"}
"""


@cli.group()
def actors() -> None:
    """Look up actors in the knowledge base."""


@actors.command(epilog=ACTORS_EXAMPLES)
@click.argument("phrase", required=False)
@click.option("--date", "date_text", metavar="YYYY-MM-DD|today", help="When (default: today).")
@click.option("--context", default="", help="Text the phrase appears in.")
@click.option("--input", "input_path", metavar="FILE|-", help="JSON Lines phrases to resolve.")
@_output_option("Write results here instead of standard output.")
@_dictionary_options
def resolve(
    phrase: str | None,
    date_text: str | None,
    context: str,
    input_path: str | None,
    output_path: Path | None,
    actor_files: tuple[Path, ...],
    agent_files: tuple[Path, ...],
) -> None:
    """Say who a phrase names: country, sector, code, and which entry or rule decided."""
    if bool(phrase) == bool(input_path):
        raise click.UsageError("give one PHRASE, or --input FILE with JSON Lines phrases")
    when = _phrase_date(date_text, where="--date")
    errors = Console(stderr=True, highlight=False)
    try:
        coder = _load_coder(errors, quiet=True, actors=actor_files, agents=agent_files)
        if phrase:
            result = coder.resolve_actor(phrase, when=when, context=context)
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
            return
        assert input_path is not None
        tally = _resolve_lines(coder, input_path, output_path)
    except CommuniqueError as error:
        raise click.ClickException(str(error)) from error
    except OSError as error:
        raise click.ClickException(f"{error.filename}: {error.strerror or error}") from error
    click.echo(f"resolved {_plural(tally.coded, 'phrase')}", err=True)
    if tally.coded == 0:
        sys.exit(1)


UNKNOWN_EXAMPLES = """
\b
Examples:
  communique actors unknown --input docs.jsonl
  communique actors unknown --input docs.jsonl --limit 100 --format jsonl > unknown.jsonl
  communique actors unknown --input docs.jsonl --actors mine.actors   # after adding some

\b
Each row is a name the knowledge base did not know, how many event parties it was,
the code guessed for it (marked resolved: false in events) and the first sentence.
"""


@actors.command(epilog=UNKNOWN_EXAMPLES)
@click.option(
    "--input", "input_path", metavar="FILE|-", required=True, help="JSON Lines documents."
)
@click.option("--date", "date_text", metavar="YYYY-MM-DD", help="Date for undated documents.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="List at most this many names, the most frequent first.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "jsonl"]),
    default="table",
    show_default=True,
    help="A table to read, or JSON Lines for scripts.",
)
@_output_option("Write the list here instead of standard output.")
@_dictionary_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
def unknown(
    input_path: str,
    date_text: str | None,
    limit: int,
    fmt: str,
    output_path: Path | None,
    actor_files: tuple[Path, ...],
    agent_files: tuple[Path, ...],
    quiet: bool,
) -> None:
    """List the most frequent names the knowledge base could not resolve."""
    from communique.actors.unknown import UnknownTally

    errors = Console(stderr=True, highlight=False)
    options = ReadOptions(published=_option_date(date_text))
    names = UnknownTally()
    tally = Tally()
    try:
        coder = _load_coder(errors, quiet=quiet, actors=actor_files, agents=agent_files)
        options = replace(options, max_chars=coder.nlp.max_length)
        articles = _codable(_documents((), input_path, options), tally)
        with _progress(errors, enabled=not quiet) as progress:
            task = progress.add_task("reading", total=_count((), input_path))
            for _, events in coder.code_documents(
                articles, on_skip=lambda error: _skip(error, tally)
            ):
                tally.coded += 1
                names.add(events)
                progress.advance(task)
    except CommuniqueError as error:
        raise click.ClickException(str(error)) from error
    _write_unknown(names.most_common(limit), fmt, output_path)
    if not quiet:
        found = len(names.most_common())
        unknown_names = _plural(found, "unknown name")
        click.echo(f"read {_plural(tally.coded, 'document')}: {unknown_names}", err=True)
    if tally.coded == 0:
        sys.exit(1)


def _write_unknown(items: list[Any], fmt: str, output_path: Path | None) -> None:
    with ExitStack() as stack:
        out: IO[str] = sys.stdout
        if output_path is not None:
            out = stack.enter_context(output_path.open("w", encoding="utf-8"))
        if fmt == "jsonl":
            for item in items:
                out.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
            return
        console = Console(file=out, highlight=False, width=None if out.isatty() else 160)
        console.print(unknown_table(items))


def _resolve_lines(coder: Any, input_path: str, output_path: Path | None) -> Tally:
    tally = Tally()
    with ExitStack() as stack:
        stream = (
            sys.stdin.buffer
            if input_path == "-"
            else stack.enter_context(Path(input_path).open("rb"))
        )
        out: IO[str] = sys.stdout
        if output_path is not None:
            out = stack.enter_context(output_path.open("w", encoding="utf-8"))
        for number, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            where = f"{'<stdin>' if input_path == '-' else input_path}:{number}"
            try:
                record = _phrase_record(raw, where=where)
                result = coder.resolve_actor(
                    record["actor"],
                    when=_phrase_date(record.get("date"), where=where),
                    context=str(record.get("context") or ""),
                    phrase_id=None if record.get("id") is None else str(record["id"]),
                )
            except InputError as error:
                _skip(error, tally)
                continue
            out.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
            tally.coded += 1
    return tally


def _phrase_record(raw: bytes, *, where: str) -> dict[str, Any]:
    try:
        record = json.loads(decode(raw, where=where))
    except json.JSONDecodeError as error:
        raise InputError(Errors.E006.format(where=where, detail=error.msg), where=where) from error
    if not isinstance(record, dict) or not isinstance(record.get("actor"), str):
        raise InputError(f'{where}: expected a JSON object with an "actor" string', where=where)
    return record


def _phrase_date(value: object, *, where: str) -> date:
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "today"}):
        return date.today()
    try:
        return parse_date(value, where=where)
    except InputError as error:
        if where == "--date":
            raise click.BadParameter(
                f"cannot read the date {value!r}", param_hint="--date"
            ) from error
        raise


EVAL_EXAMPLES = """
\b
Examples:
  communique eval gold.jsonl
  communique eval gold.jsonl --json > scores.json
  communique eval PETR.UnitTest.records.xml --actors PETR.Validate.actors.txt \\
    --agents PETR.Validate.agents.txt --misses 100

\b
Each line of a JSON Lines gold file is one record ("date" YYYYMMDD or YYYY-MM-DD):
  {"id": "g1", "text": "France criticized Germany on Monday.", "date": "2024-03-04",
   "expected": [{"source": "FRA", "target": "DEU", "code": "111"}], "noevents": false}
Records with "error_record": true are left out, as PETRARCH's scoring does.
"""


@cli.command("eval", epilog=EVAL_EXAMPLES)
@click.argument(
    "gold_path", metavar="GOLD", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["petrarch", "jsonl"]),
    help="Format of GOLD (default: petrarch for a .xml file, jsonl otherwise).",
)
@_dictionary_options
@_verbs_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every figure.")
@click.option(
    "--misses",
    "limit",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    metavar="N",
    help="List at most N misses and N false events.",
)
@click.option("--model", help="spaCy pipeline to use: an installed package name or a path.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def evaluate(
    gold_path: Path,
    fmt: str | None,
    actor_files: tuple[Path, ...],
    agent_files: tuple[Path, ...],
    verb_files: tuple[str, ...],
    as_json: bool,
    limit: int,
    model: str | None,
    quiet: bool,
) -> None:
    """Score the event coder against gold-standard records."""
    from communique.events.gold import gold_format, read_gold
    from communique.events.scoring import score

    _check_verb_files(verb_files)
    errors = Console(stderr=True, highlight=False)
    gold = read_gold(gold_path, fmt)
    tally = Tally()
    for problem in gold.problems:
        _skip(problem, tally)
    for record in gold.records:
        if record.duplicate_of is not None:
            click.echo(
                f"communique: note: {record.where}: the id {record.duplicate_of!r} is used "
                f"again; this record is scored as {record.id!r}",
                err=True,
            )
    if not gold.records:
        raise click.ClickException(f"{gold_path}: no gold records to score")
    try:
        coder = _load_coder(
            errors,
            quiet=quiet,
            model=model,
            actors=actor_files,
            agents=agent_files,
            verbs=verb_files,
        )
        with _progress(errors, enabled=not quiet) as progress:
            task = progress.add_task("coding", total=len(gold.records))
            coded = _code_gold(coder, gold.records, lambda: progress.advance(task))
    except CommuniqueError as error:
        raise click.ClickException(str(error)) from error
    scores = score(gold.records, coded)
    for crash in scores.crashes:
        click.echo(f"communique: could not code {crash.where}: {crash.message}", err=True)
    figures = {
        "gold": str(gold_path),
        "format": gold_format(gold_path, fmt),
        "excluded": len(gold.excluded),
        "skipped": len(tally.skipped),
        **scores.to_dict(),
        "excluded_records": [
            {"id": item.id, "where": item.where, "reason": item.reason} for item in gold.excluded
        ],
        "skipped_records": tally.skipped,
    }
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False))
    else:
        _eval_report(figures, scores, limit)


def _code_gold(coder: Any, records: list[Any], advance: Callable[[], None]) -> dict[str, Any]:
    """Each record's events, or the message of the error that stopped its coding.

    Records go through ``code_documents`` in batches; if that stream breaks, the records it
    has not yielded yet are coded one by one, so that one bad record costs only itself.
    """
    coded: dict[str, Any] = {}

    def refused(error: InputError) -> None:
        coded[error.where] = str(error)
        advance()

    articles = (Article(text=r.text, published=r.date, id=r.id) for r in records)
    try:
        for article, events in coder.code_documents(articles, on_skip=refused):
            coded[article.id] = events
            advance()
    except Exception as error:  # one record broke its batch: the rest one at a time
        problem = f"{type(error).__name__}: {error}"
        click.echo(f"communique: batch coding failed ({problem}); coding one by one", err=True)
        for record in records:
            if record.id in coded:
                continue
            try:
                coded[record.id] = coder.code(
                    record.text, published=record.date, article_id=record.id
                )
            except Exception as failure:
                coded[record.id] = f"{type(failure).__name__}: {failure}"
            advance()
    return coded


_LEVELS = (
    ("events", "(source, target, code)"),
    ("countries", "(country, country, root)"),
)


def _eval_report(figures: dict[str, Any], scores: Any, limit: int) -> None:
    from communique.ontology import cameo, is_cameo_code

    echo = click.echo
    echo(f"gold: {figures['gold']} ({figures['format']})")
    echo(
        f"records: {figures['records']} scored, {figures['excluded']} excluded, "
        f"{figures['skipped']} skipped, {figures['crashed']} crashed"
    )
    echo(
        f"exact records: {figures['exact_records']}/{figures['records']} "
        f"({figures['exact_rate']:.1%})"
    )
    echo("")
    header = (
        f"{'expected':>9} {'predicted':>9} {'matched':>8} {'precision':>9} {'recall':>7} {'F1':>6}"
    )
    echo(f"{'events matched as':<26}{header}")
    for key, label in _LEVELS:
        echo(f"{label:<26}{_figures_row(figures[key])}")
    echo("")
    echo("by CAMEO root, events matched as (source, target, code):")
    echo(f"{'root':<5}{'':<36}{header}")
    for root, counts in figures["roots"].items():
        name = cameo(root).name if is_cameo_code(root) else "?"
        echo(f"{root:<5}{name[:35]:<36}{_figures_row(counts)}")
    for title, items in (
        ("misses (expected, not coded)", scores.misses),
        ("false events (coded, not expected)", scores.false_events),
    ):
        echo("")
        echo(f"{title}: {min(limit, len(items))} of {len(items)} listed")
        shown = items[:limit]
        width = max((len(item.record_id) for item in shown), default=0)
        for item in shown:
            event = f"{item.source} {item.code} {item.target}"
            rule = f" [{item.rule}]" if item.rule else ""
            echo(f"  {item.record_id:<{width}}  {event}{rule}: {item.sentence}")


def _figures_row(counts: dict[str, Any]) -> str:
    return (
        f"{counts['expected']:>9} {counts['predicted']:>9} {counts['matched']:>8} "
        f"{counts['precision']:>9.3f} {counts['recall']:>7.3f} {counts['f1']:>6.3f}"
    )


@cli.group()
def dictionaries() -> None:
    """Look into the event-pattern dictionaries."""


@dictionaries.command()
@_verbs_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
def stats(verb_files: tuple[str, ...], as_json: bool) -> None:
    """Count the event patterns and the 3-digit CAMEO codes they reach."""
    from communique.events.patterns import PatternBook
    from communique.events.scoring import coverage
    from communique.ontology import cameo, cameo_codes, is_cameo_code

    _check_verb_files(verb_files)
    try:
        book = PatternBook.for_files(verb_files)
    except CommuniqueError as error:
        raise click.ClickException(str(error)) from error
    result = coverage(book.all(), cameo_codes())
    if as_json:
        record = {"verbs": list(verb_files) or ["default"], **result.to_dict()}
        click.echo(json.dumps(record, ensure_ascii=False))
        return
    source = ", ".join(verb_files) if verb_files else "built-in"
    share = len(result.reached) / len(result.codes) if result.codes else 0.0
    click.echo(f"event patterns: {result.patterns} ({source})")
    click.echo(
        f"3-digit CAMEO codes reached: {len(result.reached)} of {len(result.codes)} ({share:.1%})"
    )
    click.echo("")
    click.echo(f"{'root':<5}{'':<36}{'patterns':>8} {'reached':>8}")
    for root, counts in result.roots.items():
        name = cameo(root).name if is_cameo_code(root) else "?"
        reached = f"{counts.reached}/{counts.codes}"
        click.echo(f"{root:<5}{name[:35]:<36}{counts.patterns:>8} {reached:>8}")
    click.echo("")
    click.echo(f"3-digit codes without patterns: {len(result.missing)}")
    for code in result.missing:
        click.echo(f"  {code}  {cameo(code).name}")


# The database commands live in their own module; they use the helpers above.
from communique.cli_analysis import register as register_analysis  # noqa: E402
from communique.cli_batch import register as register_batch  # noqa: E402
from communique.cli_store import register  # noqa: E402
from communique.cli_web import register as register_web  # noqa: E402

register(cli)
register_analysis(cli)
register_web(cli)
register_batch(cli)


def main() -> None:
    """Console entry point: no traceback reaches the user, whatever happens."""
    try:
        cli.main(prog_name="communique")
    except KeyboardInterrupt:
        click.echo("communique: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # the last line of defence: report, never dump a traceback
        click.echo(f"communique: internal error: {type(error).__name__}: {error}", err=True)
        click.echo("communique: please report this with the command you ran", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
