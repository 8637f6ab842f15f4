"""``make audit`` (scripts/audit.py): pip-audit's findings fail the run, ignored ones need a
reason, and pins that could not be checked are a notice, never a silent pass."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SCRIPT = PROJECT / "scripts" / "audit.py"


def _audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


audit = _audit()

# A report as pip-audit writes it with --format json.
REPORT = {
    "dependencies": [
        {"name": "jinja2", "version": "3.1.2", "vulns": [
            {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"],
             "aliases": ["CVE-2024-22195"], "description": "xmlattr accepts keys with spaces"},
        ]},
        {"name": "click", "version": "8.1.7", "vulns": []},
        {"name": "swagger-ui-bundle", "skip_reason":
            "Dependency not found on PyPI and could not be audited: swagger-ui-bundle (1.1.0)"},
    ],
    "fixes": [],
}


def test_a_vulnerable_pin_fails_the_audit(capsys: pytest.CaptureFixture[str]) -> None:
    found = audit.findings(json.dumps(REPORT), "")
    assert found.checked == 2 and found.unchecked == ["swagger-ui-bundle 1.1.0"]
    assert audit.report(found, Path("requirements.lock"), strict=False) == 1
    out, err = capsys.readouterr()
    assert "VULNERABLE jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (CVE-2024-22195); fixed in 3.1.3" in out
    assert "1 of 3 pins were NOT checked" in err and "swagger-ui-bundle 1.1.0" in err


def test_unchecked_pins_are_a_notice_and_fail_when_strict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clean = {"dependencies": [REPORT["dependencies"][1], REPORT["dependencies"][2]]}
    found = audit.findings(json.dumps(clean), "")
    assert audit.report(found, Path("requirements.lock"), strict=False) == 0
    assert "NOT checked" in capsys.readouterr().err
    assert audit.report(found, Path("requirements.lock"), strict=True) == audit.EXIT_UNCHECKED
    everything_checked = audit.findings(json.dumps({"dependencies": [REPORT["dependencies"][1]]}),
                                        "")
    assert audit.report(everything_checked, Path("requirements.lock"), strict=True) == 0


def test_ignored_vulnerabilities_need_a_reason(tmp_path: Path) -> None:
    ignore = tmp_path / "audit-ignore.txt"
    ignore.write_text("# accepted for now\n\nGHSA-h5c8-rqwp-cp95  # no fix for our use; 2027\n")
    assert audit.read_ignored(ignore) == ["GHSA-h5c8-rqwp-cp95"]
    ignore.write_text("GHSA-h5c8-rqwp-cp95\n")
    with pytest.raises(SystemExit, match="say why GHSA-h5c8-rqwp-cp95 is ignored"):
        audit.read_ignored(ignore)
    assert audit.read_ignored(tmp_path / "missing.txt") == []
    assert audit.read_ignored(PROJECT / "audit-ignore.txt") == []


def test_an_unreachable_vulnerability_service_is_a_notice(tmp_path: Path) -> None:
    """The real pip-audit, through a proxy that refuses connections: no silent pass."""
    lock = tmp_path / "requirements.lock"
    lock.write_text("click==8.1.7\n")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    env = {
        **os.environ,
        "HTTPS_PROXY": f"http://127.0.0.1:{closed}",
        "https_proxy": f"http://127.0.0.1:{closed}",
        "NO_PROXY": "",
        "no_proxy": "",
        # No cached answer may stand in for the service.
        "PIP_CACHE_DIR": str(tmp_path / "cache"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    env.pop("AUDIT_STRICT", None)
    command = [sys.executable, str(SCRIPT), str(lock), "--ignore-file", str(tmp_path / "none")]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "NOTICE" in result.stderr and "NOT checked" in result.stderr
    assert "unchecked, not clean" in result.stderr
    strict = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env={**env, "AUDIT_STRICT": "1"})
    assert strict.returncode == audit.EXIT_UNCHECKED, strict.stderr


def test_pins_pip_audit_skipped_are_checked_on_the_project_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A pin that is the project's latest release is checked from PyPI's project page (served
    here on loopback); an older pin, or a project the page cannot give, stays unchecked."""
    import http.server
    import threading

    pages = {
        "/pypi/jinja2/json": {
            "info": {"version": "3.1.2"},
            "vulnerabilities": [
                {"id": "GHSA-h5c8-rqwp-cp95", "aliases": ["CVE-2024-22195"],
                 "fixed_in": ["3.1.3"], "withdrawn": None},
                {"id": "PYSEC-0000-1", "aliases": [], "fixed_in": [], "withdrawn": "2024-01-01"},
            ],
        },
        "/pypi/click/json": {"info": {"version": "8.1.8"}, "vulnerabilities": []},
        "/pypi/rich/json": {"info": {"version": "13.0.0"}, "vulnerabilities": []},
    }

    class Pages(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            page = pages.get(self.path)
            body = json.dumps(page).encode() if page else b"not found"
            self.send_response(200 if page else 404)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        monkeypatch.setattr(audit, "PYPI_PROJECT", f"http://127.0.0.1:{port}/pypi/{{name}}/json")
        found = audit.Findings(unchecked=["jinja2 3.1.2", "click 8.1.7", "rich 13.0.0", "nope 1"])
        audit.check_latest_releases(found, ignored=[])
        assert found.checked == 2
        assert found.unchecked == ["click 8.1.7", "nope 1"]
        assert found.vulnerable == ["jinja2 3.1.2: GHSA-h5c8-rqwp-cp95; fixed in 3.1.3"]
        again = audit.Findings(unchecked=["jinja2 3.1.2"])
        audit.check_latest_releases(again, ignored=["CVE-2024-22195"])
        assert again.checked == 1 and again.vulnerable == []
    finally:
        server.shutdown()
