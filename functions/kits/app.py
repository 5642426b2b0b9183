"""Kits function: the kit list, kit runs (streamed through the Lambda Web Adapter) and the
skill list.

`app` is the ASGI app: the Lambda Web Adapter runs it under uvicorn (run.sh) so that SSE
streams for real. `handler` serves API Gateway events through Mangum (buffered), for
`switchboard invoke` and the event tests.
"""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import kits

routes = kits.routes
app = create_app(routes)
handler = make_handler(app)
