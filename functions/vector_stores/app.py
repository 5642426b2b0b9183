"""Vector stores function: OpenAI's Vector Stores API (/v1/vector_stores: stores, their
files, file batches and search; api/routes/vector_stores.py)."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import vector_stores

routes = vector_stores.routes
app = create_app(routes)
handler = make_handler(app)
