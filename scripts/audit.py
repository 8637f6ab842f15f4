"""Check the pinned dependencies for known vulnerabilities: pip-audit over requirements.lock,
against PyPI's vulnerability data. ``make audit`` runs it, and CI runs ``make audit``.

    .venv/bin/python scripts/audit.py [requirements.lock] [--ignore-file audit-ignore.txt]

Exit status:

- 0: no known vulnerability in the pins that could be checked. Pins that could not be
  checked (the vulnerability service could not be reached, or had no answer for a release)
  are named in a NOTICE: they are unchecked, not clean.
- 1: a pin has a known vulnerability that the ignore file does not list; each is printed
  with the versions that fix it.
- 3: with ``AUDIT_STRICT=1`` (or ``--strict``), any pin could not be checked.

The ignore file lists vulnerabilities accepted for now, one id a line, each with the reason
after a ``#`` (an entry without a reason is refused).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_IGNORE_FILE = PROJECT / "audit-ignore.txt"
EXIT_VULNERABLE = 1
EXIT_UNCHECKED = 3
PYPI_PROJECT = "https://pypi.org/pypi/{name}/json"


@dataclass
class Findings:
    """What pip-audit said: vulnerable pins, pins it could not check, pins checked."""

    vulnerable: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    reasons: set[str] = field(default_factory=set)
    checked: int = 0
    failure: str | None = None  # pip-audit could not run or reach its service at all


def read_ignored(path: Path) -> list[str]:
    """The vulnerability ids of an ignore file; each entry must give its reason."""
    if not path.is_file():
        return []
    ids = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        entry, _, reason = line.partition("#")
        if not entry.strip():
            continue
        if not reason.strip():
            raise SystemExit(f"{path}:{number}: say why {entry.strip()} is ignored, after a #")
        ids.append(entry.strip())
    return ids


def pip_audit(requirements: Path, ignored: list[str]) -> subprocess.CompletedProcess[str]:
    """pip-audit on exact pins, without resolving or installing anything."""
    command = [
        sys.executable, "-m", "pip_audit",
        "--requirement", str(requirements),
        "--no-deps", "--disable-pip",
        "--vulnerability-service", "pypi",
        "--format", "json",
        "--progress-spinner", "off",
        *(f"--ignore-vuln={vulnerability}" for vulnerability in ignored),
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def findings(stdout: str, stderr: str) -> Findings:
    """Read pip-audit's JSON report; no report means it could not reach its service (or
    failed otherwise): the last line of its error output says why."""
    try:
        report: dict[str, Any] = json.loads(stdout)
    except json.JSONDecodeError:
        lines = [line for line in stderr.splitlines() if line.strip()]
        return Findings(failure=lines[-1] if lines else "pip-audit gave no report")
    found = Findings()
    for dependency in report.get("dependencies", []):
        name = f"{dependency.get('name')} {dependency.get('version', '')}".strip()
        if "skip_reason" in dependency:
            # "Dependency not found on PyPI and could not be audited: NAME (VERSION)"
            reason, _, what = str(dependency["skip_reason"]).partition(": ")
            version = re.search(r"\(([^()]+)\)\s*$", what)
            found.unchecked.append(f"{name} {version.group(1)}" if version else name)
            found.reasons.add(reason)
            continue
        found.checked += 1
        for vulnerability in dependency.get("vulns", []):
            fixes = ", ".join(vulnerability.get("fix_versions", [])) or "no fixed version yet"
            aliases = ", ".join(vulnerability.get("aliases", []))
            found.vulnerable.append(
                f"{name}: {vulnerability.get('id')}"
                + (f" ({aliases})" if aliases else "")
                + f"; fixed in {fixes}"
            )
    return found


def check_latest_releases(found: Findings, ignored: list[str]) -> None:
    """Check the pins pip-audit could not, where PyPI's project page answers for them.

    pip-audit asks PyPI about each release; some indexes answer only for whole projects.
    A project's page carries the vulnerabilities of its latest release, so a pin that is the
    latest release is checked from there; an older pin stays unchecked."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(_latest_release_vulnerabilities, found.unchecked))
    still_unchecked = []
    for pin, answer in zip(found.unchecked, answers, strict=True):
        if answer is None:
            still_unchecked.append(pin)
            continue
        found.checked += 1
        for vulnerability in answer:
            names = {vulnerability.get("id"), *vulnerability.get("aliases", [])}
            if vulnerability.get("withdrawn") or names & set(ignored):
                continue
            fixes = ", ".join(vulnerability.get("fixed_in") or []) or "no fixed version yet"
            found.vulnerable.append(f"{pin}: {vulnerability.get('id')}; fixed in {fixes}")
    found.unchecked = still_unchecked


def _latest_release_vulnerabilities(pin: str) -> list[dict[str, Any]] | None:
    """The known vulnerabilities of ``pin`` ("name version") if it is the project's latest
    release on PyPI; None when that cannot be told."""
    name, _, version = pin.rpartition(" ")
    try:
        with urllib.request.urlopen(PYPI_PROJECT.format(name=name), timeout=15) as answer:
            page = json.load(answer)
    except (OSError, ValueError):
        return None
    if page.get("info", {}).get("version") != version:
        return None
    vulnerabilities = page.get("vulnerabilities")
    return vulnerabilities if isinstance(vulnerabilities, list) else None


def report(found: Findings, requirements: Path, *, strict: bool) -> int:
    """Print what was found; the exit status."""
    if found.failure is not None:
        print(f"NOTICE: {requirements} was NOT checked for vulnerabilities: pip-audit could not "
              f"reach PyPI's vulnerability data ({found.failure}).", file=sys.stderr)
        print("        The pins are unchecked, not clean; run `make audit` again when PyPI "
              "can be reached.", file=sys.stderr)
        return EXIT_UNCHECKED if strict else 0
    total = found.checked + len(found.unchecked)
    if found.checked:
        print(f"audit: {found.checked} of {total} pins in {requirements} checked against "
              f"PyPI's vulnerability data: {len(found.vulnerable)} known vulnerabilities.",
              flush=True)
    else:
        print(f"audit: NONE of the {total} pins in {requirements} could be checked against "
              "PyPI's vulnerability data.", flush=True)
    for line in found.vulnerable:
        print(f"  VULNERABLE {line}", flush=True)
    if found.unchecked:
        said = "; ".join(sorted(found.reasons))
        print(f"NOTICE: {len(found.unchecked)} of {total} pins were NOT checked: the "
              f"vulnerability service had no answer for these releases (pip-audit: {said}). "
              "They are unchecked, not clean:", file=sys.stderr)
        print("  " + ", ".join(found.unchecked), file=sys.stderr)
    if found.vulnerable:
        print("Upgrade each to a fixed version in requirements.lock, or, when no fix can be "
              "taken, list its id with the reason in audit-ignore.txt.")
        return EXIT_VULNERABLE
    return EXIT_UNCHECKED if strict and found.unchecked else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("requirements", nargs="?", type=Path,
                        default=PROJECT / "requirements.lock")
    parser.add_argument("--ignore-file", type=Path, default=DEFAULT_IGNORE_FILE)
    parser.add_argument("--strict", action="store_true",
                        default=os.environ.get("AUDIT_STRICT", "") not in ("", "0"),
                        help="exit 3 when a pin could not be checked (also AUDIT_STRICT=1)")
    arguments = parser.parse_args(argv)
    ignored = read_ignored(arguments.ignore_file)
    if ignored:
        print(f"audit: ignoring {', '.join(ignored)} (see {arguments.ignore_file})")
    result = pip_audit(arguments.requirements, ignored)
    found = findings(result.stdout, result.stderr)
    if found.unchecked:
        check_latest_releases(found, ignored)
    return report(found, arguments.requirements, strict=arguments.strict)


if __name__ == "__main__":
    sys.exit(main())
