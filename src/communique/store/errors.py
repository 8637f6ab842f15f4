"""The store's error messages and its exception.

Kept beside the store rather than in ``communique.errors`` so the package stands on its own;
the codes (E050–E069) are reserved for it in the catalogue. Every message names the database
as ``{url}``: the URL with its password masked, or the SQLite file's path.
"""

from __future__ import annotations

from communique.errors import CommuniqueError


class StoreErrors:
    E050 = "cannot connect to the database at {url}: {detail}"
    E051 = (
        "{url}: the database file is read-only ({detail}); nothing was written. Make it "
        "writable (chmod u+w), or open it with read_only=True to query it"
    )
    E052 = (
        "{url}: not a SQLite database file ({detail}); name a database file, or a new file "
        "to create one"
    )
    E053 = (
        "{url}: not a database URL communique can use; give a file path, sqlite:///PATH or "
        "postgresql://USER@HOST:PORT/DATABASE"
    )
    E054 = (
        "{url}: the database was written by a newer communique (unknown migrations: "
        "{names}); upgrade communique to use it"
    )
    E055 = "{url}: the database needs migrating ({names}) but is open read-only"
    E056 = "unknown export format {fmt!r}; choose one of {choices}"
    E057 = "the {fmt} export needs a file path to write to, not a stream"
    E058 = "{url}: database error: {detail}"
    E059 = (
        "{url}: cannot open the database file ({detail}); check that its folder exists and "
        "is writable"
    )
    E060 = "{url}: the database is busy (another process holds a lock: {detail}); try again"
    E061 = (
        "{url}: no communique database here yet; create one with `communique ingest` "
        "(or Store.open(..., create=True))"
    )
    E062 = "{url}: the database is missing its tables ({detail}); was it created by communique?"
    E063 = "article {article!r}: event {event!r} belongs to article {other!r}"
    E064 = (
        "{url}: disk full, the database cannot grow ({detail}); the transaction in progress "
        "was not stored and everything stored before is intact. Free some space and run the "
        "command again (an ingest resumes where it stopped)"
    )


class StoreError(CommuniqueError):
    """The database cannot be opened, read or written; the message names it."""


class ReadOnlyStoreError(StoreError):
    """The database cannot take writes (a read-only file or folder, or opened read-only),
    though it may still be read: commands that only query open it again read-only."""
