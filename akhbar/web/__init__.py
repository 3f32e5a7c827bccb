"""Web front and JSON API (FastAPI + Jinja2): `create_app(settings, storage)`."""

from akhbar.web.app import create_app

__all__ = ["create_app"]
