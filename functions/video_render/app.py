"""Video renderer (VideoRenderQueue): renders the local video model's jobs with PyAV, which
only this function's layer (VideoLayer) holds, and puts each MP4 and its thumbnail into the
bucket under the job's prefix; a redelivered message renders nothing again."""

from switchboard.bootstrap import container
from switchboard.workers import queue_handler

handler = queue_handler(lambda body: container().local_renderer.handle(body))
