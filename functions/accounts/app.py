"""Accounts function: login sessions, API keys, the user's own usage and the admin endpoints
(through Mangum)."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import admin, keys, sessions, usage

routes = [*sessions.routes, *keys.routes, *usage.routes, *admin.routes]
app = create_app(routes)
handler = make_handler(app)
