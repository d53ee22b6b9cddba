"""Errors that carry their meaning: each has an HTTP status for the API and an exit code for the CLI."""

from __future__ import annotations


class JoindotsError(Exception):
    status_code = 400
    exit_code = 1


class NotFound(JoindotsError):
    status_code = 404


class Forbidden(JoindotsError):
    status_code = 403


class Conflict(JoindotsError):
    status_code = 409


class InvalidInput(JoindotsError):
    status_code = 422
    exit_code = 2


class IngestError(InvalidInput):
    """A file that cannot be loaded at all (empty, wrong encoding, missing columns)."""
