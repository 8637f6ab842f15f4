"""communique: news reports about international affairs turned into event data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from communique.records import Actor, Article, Event

__version__ = "0.1.0"
__all__ = ["Actor", "Article", "Coder", "Event", "__version__"]

if TYPE_CHECKING:
    from communique.coder import Coder


def __getattr__(name: str) -> Any:
    # Importing the coder loads spaCy; keep `import communique` light for the CLI's --help.
    if name == "Coder":
        from communique.coder import Coder

        return Coder
    raise AttributeError(name)
