"""Accounts function: login sessions, API keys and the admin endpoints (through Mangum)."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import admin, keys, sessions

routes = [*sessions.routes, *keys.routes, *admin.routes]
app = create_app(routes)
handler = make_handler(app)
