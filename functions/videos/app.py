"""Videos function: video jobs in our shape (/v1/videos/completions, also under an app) and
in OpenAI's (/v1/videos), on the same jobs."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import openai_videos, videos

routes = videos.routes + openai_videos.routes
app = create_app(routes)
handler = make_handler(app)
