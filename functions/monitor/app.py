"""Monitor function: traces and their stats, read (through Mangum)."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import monitor

routes = [*monitor.routes]
app = create_app(routes)
handler = make_handler(app)
