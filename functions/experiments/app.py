"""Experiments function: experiments, scores on traces, and runs over datasets (through
Mangum)."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import experiments

routes = [*experiments.routes]
app = create_app(routes)
handler = make_handler(app)
