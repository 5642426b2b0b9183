"""Inference function: chat completions (streamed through the Lambda Web Adapter) and embeddings.

`app` is the ASGI app: the Lambda Web Adapter runs it under uvicorn (run.sh) so that SSE
streams for real. `handler` serves API Gateway events through Mangum (buffered), for
`switchboard invoke` and the event tests.
"""

from switchboard.api.startup import defer_collection

with defer_collection():  # the imports' objects live as long as the container
    from switchboard.api.app import create_app
    from switchboard.api.lambda_handler import make_handler
    from switchboard.api.routes import chat, embeddings

    routes = [*chat.routes, *embeddings.routes]
    app = create_app(routes)
    handler = make_handler(app)
