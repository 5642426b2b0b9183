"""Docs function: the OpenAPI document (/openapi.json) and its offline viewer (/docs)."""

from pathlib import Path

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import docs

routes = docs.make_routes(Path(__file__).parent / "static")
app = create_app(routes)
handler = make_handler(app)
