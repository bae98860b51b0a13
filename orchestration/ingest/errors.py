"""The error of a file ingest refuses whole (its own module: the readers and the JSON layouts raise it)."""


class FileRejected(Exception):
    """The whole file cannot be ingested; the message says why (and where, when known)."""
