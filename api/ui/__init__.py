"""The web page: server-rendered views over the public JSON API.

The views hold no data of their own: the browser fetches everything through
the same endpoints a script uses (``/ask``, ``/documents``...), so the page
can never show more than the API does. The one exception is the evaluation
view, which renders the report files written by ``rag eval``.
"""

from .routes import router

__all__ = ["router"]
