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
@click.option(
    "--date",
    "date_text",
    metavar="YYYY-MM-DD",
    help="Publication date for documents that carry none.",
)
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
    quiet: bool,
) -> None:
    """Code news articles into events (who did what to whom, when and where)."""
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


def _option_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return parse_date(text, where="--date")
    except InputError as error:
        message = f"cannot read the date {text!r}; use YYYY-MM-DD"
        raise click.BadParameter(message, param_hint="--date") from error


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
