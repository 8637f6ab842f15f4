"""The documentation keeps up with the code: options, record fields and pattern keys.

No spaCy model is loaded here; every check reads the code's own declarations.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from communique.cli import cli
from communique.output import CSV_COLUMNS
from communique.records import Actor, Cameo, Event, Location, Plover
from communique.resources import packaged_path

DOCS = Path(__file__).resolve().parents[1] / "docs"
HELP_WIDTH = 80


def _text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _backticked(text: str) -> set[str]:
    """Every `code span` of a Markdown text, and each word inside the longer ones."""
    spans = set(re.findall(r"`([^`\n]+)`", text))
    return spans | {word for span in spans for word in re.findall(r"[\w:.-]+", span)}


def _commands() -> list[tuple[str, click.Command]]:
    """Every command, nested groups included, with its full name."""
    assert isinstance(cli, click.Group)
    found: list[tuple[str, click.Command]] = []

    def walk(name: str, command: click.Command) -> None:
        found.append((name, command))
        if isinstance(command, click.Group):
            for sub_name, sub in command.commands.items():
                walk(f"{name} {sub_name}", sub)

    walk("communique", cli)
    return found


def _options() -> list[tuple[str, str]]:
    found = []
    for name, command in _commands():
        for param in command.params:
            if isinstance(param, click.Option):
                found += [(name, opt) for opt in [*param.opts, *param.secondary_opts]]
    return found


def _help(command: click.Command, name: str) -> str:
    """What ``<name> --help`` prints with COLUMNS=HELP_WIDTH (click keeps a 2-column margin)."""
    context = click.Context(
        cli, info_name="communique", terminal_width=HELP_WIDTH - 2, **cli.context_settings
    )
    node: click.Command = cli
    for part in name.split()[1:]:
        assert isinstance(node, click.Group)
        node = node.commands[part]
        context = click.Context(node, info_name=part, parent=context, **node.context_settings)
    return command.get_help(context)


def _sample_event() -> Event:
    return Event(
        event_id="e4408407e00fadb5",
        article_id="demo",
        sentence_index=0,
        sentence="Lloyd Austin met with Dong Jun in Singapore on Friday.",
        span=(13, 16),
        trigger="met",
        rule="verbs.yml#meet",
        date="2024-05-31",
        date_precision="day",
        source=Actor.of(text="Lloyd Austin", name="Lloyd Austin", country="USA", sector="GOV"),
        target=Actor.of(text="Dong Jun", name="Dong Jun", country="CHN", sector="MIL"),
        cameo=Cameo(code="040", root="04", name="Consult", goldstein=1.0, quad_class=1),
        plover=Plover(type="CONSULT", mode=None, context=[]),
        location=Location(name="Singapore", country="SGP", lat=1.29, lon=103.85),
        date_basis="text",
    )


def _record_fields() -> list[str]:
    record = _sample_event().to_dict()
    fields = list(record)
    for value in record.values():
        if isinstance(value, dict):
            fields += list(value)
    return sorted(set(fields))


@pytest.mark.parametrize("command, option", _options())
def test_every_cli_option_is_documented(command: str, option: str) -> None:
    assert option in _text("usage.md"), f"{command} {option} is missing from docs/usage.md"


@pytest.mark.parametrize("command", [name for name, _ in _commands()])
def test_usage_shows_the_current_help(command: str) -> None:
    target = dict(_commands())[command]
    expected = _help(target, command)
    assert expected in _text("usage.md"), (
        f"docs/usage.md does not show the current `{command} --help`; "
        f"paste the output of `COLUMNS={HELP_WIDTH} {command} --help` into it"
    )


@pytest.mark.parametrize("field", _record_fields())
def test_every_event_field_is_documented(field: str) -> None:
    assert field in _backticked(_text("events.md")), f"`{field}` is missing from docs/events.md"


@pytest.mark.parametrize("column", CSV_COLUMNS)
def test_every_csv_column_is_documented(column: str) -> None:
    assert column in _backticked(_text("events.md")), f"`{column}` is missing from docs/events.md"


def _verbs_schema_keys() -> list[str]:
    schema = json.loads(packaged_path("schemas/verbs.schema.json").read_text(encoding="utf-8"))
    return sorted(schema["items"]["properties"])


@pytest.mark.parametrize("key", _verbs_schema_keys())
def test_every_pattern_key_is_documented(key: str) -> None:
    assert key in _backticked(_text("dictionaries.md")), (
        f"verbs.yml key `{key}` is missing from docs/dictionaries.md"
    )


def test_every_pattern_slot_is_documented() -> None:
    schema = json.loads(packaged_path("schemas/verbs.schema.json").read_text(encoding="utf-8"))
    slots = re.findall(r"[a-z]+(?::X)?", schema["$defs"]["slot"]["pattern"].replace("[a-z]+", "X"))
    documented = _backticked(_text("dictionaries.md"))
    missing = [slot for slot in slots if slot not in documented]
    assert not missing, f"slots missing from docs/dictionaries.md: {missing}"
