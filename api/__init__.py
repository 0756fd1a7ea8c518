"""The HTTP service: ``create_app`` builds the FastAPI app, ``serve`` runs it."""

from .app import create_app
from .server import serve

__all__ = ["create_app", "serve"]
