"""The web face: FastAPI app factory, JSON API and server-rendered pages. Nothing imports it."""

from joindots.web.app import create_app

__all__ = ["create_app"]
