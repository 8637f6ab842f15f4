"""The atheris fuzz targets of fuzz/, each run for a bounded time: no input may crash them.

Both targets run at once (one core each) for ``COMMUNIQUE_FUZZ_SECONDS`` seconds (default
20), starting from the seed corpora in fuzz/corpus; the inputs tried are printed at the end
of the run. A crash fails the test with libFuzzer's report, which names the input file to
minimise into tests/test_regressions.py (docs/robustness.md).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.inputs_tried import registered

pytest.importorskip("atheris", reason="atheris is not installed: pip install -e '.[dev]'")

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"
TARGETS = ("readers", "dictionaries")
SECONDS = int(os.environ.get("COMMUNIQUE_FUZZ_SECONDS", "20"))
# One input that takes this long counts as a hang, and fails like a crash.
INPUT_TIMEOUT_SECONDS = 30


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str]]:
    """Each target's exit status and libFuzzer's output, the targets run side by side."""
    started = {}
    for name in TARGETS:
        folder = tmp_path_factory.mktemp(f"fuzz-{name}")
        command = [
            sys.executable, str(FUZZ / f"fuzz_{name}.py"),
            f"-max_total_time={SECONDS}", f"-timeout={INPUT_TIMEOUT_SECONDS}",
            "-rss_limit_mb=3072", f"-artifact_prefix={folder}{os.sep}",
            str(folder), str(FUZZ / "corpus" / name),
        ]  # fmt: skip
        started[name] = subprocess.Popen(
            command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "COMMUNIQUE_CACHE": "off"},
        )  # fmt: skip
    return {name: _finished(process) for name, process in started.items()}


def _finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = process.communicate(timeout=SECONDS + 120)
    return process.returncode, output


@pytest.mark.parametrize("name", TARGETS)
def test_the_fuzz_target_finds_no_crash(
    runs: dict[str, tuple[int, str]], pytestconfig: pytest.Config, name: str
) -> None:
    status, output = runs[name]
    report = "\n".join(line for line in output.splitlines() if "# Uses:" not in line)
    assert status == 0, f"fuzz_{name}.py failed (exit {status}):\n{report[-6000:]}"
    done = re.search(r"Done (\d+) runs in (\d+) second", output)
    assert done is not None, report[-3000:]
    tried = int(done.group(1))
    registered(pytestconfig, "inputs tried by the fuzzers").add(
        f"fuzz_{name}.py ({done.group(2)} s)", tried
    )
    assert tried > 100
