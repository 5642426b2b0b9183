"""Queue function: POST /v1/ai (submit, 202) and GET /v1/ai?req_id= (poll)."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import queue

routes = queue.routes
app = create_app(routes)
handler = make_handler(app)
