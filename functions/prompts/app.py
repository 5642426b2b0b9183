"""Prompts function: prompts, their versions and tags, served and compiled (through Mangum)."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import prompts

routes = [*prompts.routes]
app = create_app(routes)
handler = make_handler(app)
