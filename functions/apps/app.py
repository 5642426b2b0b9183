"""Apps function: create and list apps, their AI configuration and usage (through Mangum)."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import apps

routes = [*apps.routes]
app = create_app(routes)
handler = make_handler(app)
