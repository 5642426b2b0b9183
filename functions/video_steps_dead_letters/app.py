"""Video steps' dead letters (VideoStepsDeadLetters): a step that failed every delivery
fails its job (the hold released) and the state machine's step."""

from switchboard.bootstrap import container
from switchboard.workers import async_queue_handler

handler = async_queue_handler(lambda body: container().video_steps.bury(body))
