"""The ``serve`` command: the REST API and the dashboard over a database, with uvicorn.

Registered on the ``communique`` group by ``communique.cli``; the app is
``communique.web.create_app``.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from communique.cli_store import _db_option
from communique.errors import CommuniqueError

# The defaults of communique.web.limits, not imported here: that would load FastAPI for
# every command.
DEFAULT_WRITE_RATE = "30/minute"
DEFAULT_BURST = 10
# communique.web.cache.DEFAULT_SECONDS, likewise.
DEFAULT_CACHE_SECONDS = 30

SERVE_EXAMPLES = """
\b
Examples:
  communique serve                         # ./communique.db, http://127.0.0.1:8000/
  communique serve --db events.db --port 8080
  COMMUNIQUE_API_KEY=... communique serve  # also accept POST /api/articles
  communique serve --api-key-file keys.txt --host 0.0.0.0
  communique serve --write-rate 120/hour --write-burst 5
  communique serve --cache-seconds 0       # every summary computed afresh

\b
The dashboard is at http://HOST:PORT/, the API under /api, its schema at
/openapi.json and /docs. Writes need a key in the X-API-Key header; each
key (or client address, without a valid key) may make --write-rate of
them, --write-burst at once. A database file that cannot be written is
served read-only. Summaries (counts, rankings, timelines, totals) are kept
for --cache-seconds: what another process writes to the database shows
within that time; a write through the API shows at once.
"""


def register(cli: click.Group) -> None:
    """Add ``serve`` to the ``communique`` group."""

    @cli.command(epilog=SERVE_EXAMPLES)
    @_db_option
    @click.option(
        "--host",
        metavar="ADDRESS",
        default="127.0.0.1",
        show_default=True,
        help="Address to listen on (0.0.0.0: every interface).",
    )
    @click.option(
        "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Port."
    )
    @click.option(
        "--api-key-file",
        type=click.Path(path_type=Path, dir_okay=False, exists=True),
        help="File of API keys allowed to write, one a line (or sha256:HEX).",
    )
    @click.option(
        "--write-rate",
        metavar="N/UNIT",
        default=DEFAULT_WRITE_RATE,
        show_default=True,
        help="Writes allowed to each API key (or address): N per second, minute or hour; "
        "'off' for no limit.",
    )
    @click.option(
        "--write-burst",
        type=click.IntRange(min=1),
        metavar="N",
        help=f"Writes allowed at once before the rate applies (default {DEFAULT_BURST}, or "
        "the rate's N if smaller).",
    )
    @click.option(
        "--cache-seconds",
        type=click.IntRange(min=0),
        metavar="N",
        default=DEFAULT_CACHE_SECONDS,
        show_default=True,
        help="Answer summaries (counts, rankings, timelines) from memory for N seconds; "
        "0: compute every one every time.",
    )
    def serve(
        db_url: str | None,
        host: str,
        port: int,
        api_key_file: Path | None,
        write_rate: str,
        write_burst: int | None,
        cache_seconds: int,
    ) -> None:
        """Serve the REST API and the web dashboard."""
        import uvicorn

        from communique.store.engine import DEFAULT_FILE, ENV_VAR, resolve
        from communique.web import create_app, load_key_hashes
        from communique.web.limits import WriteRate

        try:
            rate = WriteRate.parse(write_rate, burst=write_burst)
        except CommuniqueError as error:
            raise click.BadParameter(str(error), param_hint="--write-rate") from error
        try:
            hashes = load_key_hashes(key_file=api_key_file)
            target = resolve(db_url)
        except CommuniqueError as error:
            raise click.ClickException(str(error)) from error
        app = create_app(
            db_url or os.environ.get(ENV_VAR) or DEFAULT_FILE,
            api_key_hashes=hashes,
            write_rate=rate,
            summary_seconds=cache_seconds,
        )
        if not hashes:
            writes = "disabled (no API key)"
        else:
            writes = (
                f"enabled: {rate.requests} per {rate.unit} per key, bursts of {rate.burst}"
                if rate
                else "enabled, no rate limit"
            )
        cached = f"summaries kept {cache_seconds} s" if cache_seconds else "summaries not cached"
        click.echo(
            f"communique: serving {target.display} at http://{host}:{port}/ "
            f"(writes {writes}); {cached}; Ctrl+C to stop",
            err=True,
        )
        uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["register"]
