"""What the fuzz targets share: running libFuzzer with a seed corpus that it never writes to.

``run(test_one_input, seeds)`` starts atheris with the command line's libFuzzer options
(``-max_total_time=60``, ``-runs=10000`` …). Without a corpus folder on the command line, new
inputs go to a fresh temporary folder and the committed seeds in ``fuzz/corpus/<name>`` are
only read, so a fuzz run never changes the work tree.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"


def run(test_one_input: Callable[[bytes], None], name: str) -> None:
    import atheris  # imported here so that the targets can be imported without it

    options = [arg for arg in sys.argv[1:] if arg.startswith("-")]
    folders = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    if not folders:
        folders = [tempfile.mkdtemp(prefix=f"fuzz-{name}-"), str(CORPUS / name)]
    if not any(option.startswith("-artifact_prefix=") for option in options):
        crashes = Path(tempfile.gettempdir()) / f"fuzz-{name}-crashes"
        crashes.mkdir(exist_ok=True)
        options.append(f"-artifact_prefix={crashes}{os.sep}")
    atheris.Setup([sys.argv[0], *options, *folders], test_one_input)
    atheris.Fuzz()
