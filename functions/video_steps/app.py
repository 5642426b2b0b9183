"""Video steps (VideoStepsQueue): the video state machine's task-token steps (submit, poll,
finish, fail), each answering the token it carries; a message that fails three receives
goes to VideoStepsDeadLetters."""

from switchboard.bootstrap import container
from switchboard.workers import async_queue_handler

handler = async_queue_handler(lambda body: container().video_steps.run(body))
