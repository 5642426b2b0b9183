"""Console function: the web dashboard's pages and files (through Mangum)."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.console import routes as console

routes = console.routes
app = create_app(routes)
handler = make_handler(app)
