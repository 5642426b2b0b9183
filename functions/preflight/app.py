"""Preflight function: CORS preflights (OPTIONS) for every API path, answered by the app's
CorsMiddleware (api/cors.py) before routing; it has no routes of its own."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler

routes: list[object] = []
app = create_app([])
handler = make_handler(app)
