"""A count of the inputs each property or fuzz suite tried, printed at the end of the run.

Issue 8 asks that the number of inputs tried be shown; a suite adds to ``InputsTried`` and
the summary appears in pytest's closing lines, with or without ``-s``.
"""

from __future__ import annotations

from collections import Counter

import pytest


class InputsTried:
    """A pytest plugin: ``add(suite, n)`` during the run, a summary line per suite at the end."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.counts: Counter[str] = Counter()

    def add(self, suite: str, count: int = 1) -> None:
        self.counts[suite] += count

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.counts:
            return
        terminalreporter.section(self.title)
        for suite, count in sorted(self.counts.items()):
            terminalreporter.write_line(f"{suite}: {count:,} inputs tried")
        terminalreporter.write_line(f"total: {sum(self.counts.values()):,} inputs tried")


def registered(config: pytest.Config, title: str) -> InputsTried:
    """The counter registered under ``title``, registering it on first use."""
    plugin = config.pluginmanager.get_plugin(title)
    if plugin is None:
        plugin = InputsTried(title)
        config.pluginmanager.register(plugin, name=title)
    assert isinstance(plugin, InputsTried)
    return plugin
