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

SERVE_EXAMPLES = """
\b
Examples:
  communique serve                         # ./communique.db, http://127.0.0.1:8000/
  communique serve --db events.db --port 8080
  COMMUNIQUE_API_KEY=... communique serve  # also accept POST /api/articles
  communique serve --api-key-file keys.txt --host 0.0.0.0

\b
The dashboard is at http://HOST:PORT/, the API under /api, its schema at
/openapi.json and /docs. Writes need a key in the X-API-Key header.
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
    def serve(db_url: str | None, host: str, port: int, api_key_file: Path | None) -> None:
        """Serve the REST API and the web dashboard."""
        import uvicorn

        from communique.store.engine import DEFAULT_FILE, ENV_VAR, resolve
        from communique.web import create_app, load_key_hashes

        try:
            hashes = load_key_hashes(key_file=api_key_file)
            target = resolve(db_url)
        except CommuniqueError as error:
            raise click.ClickException(str(error)) from error
        app = create_app(db_url or os.environ.get(ENV_VAR) or DEFAULT_FILE, api_key_hashes=hashes)
        writes = "enabled" if hashes else "disabled (no API key)"
        click.echo(f"communique: serving {target.display} at http://{host}:{port}/ "
                   f"(writes {writes}); Ctrl+C to stop", err=True)
        uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["register"]
