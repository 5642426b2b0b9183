"""Catalog function: the model list (authenticated and public) and the health check."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import health, models

routes = [*models.routes, *health.routes]
app = create_app(routes)
handler = make_handler(app)
