"""api/routes/videos.py and openai_videos.py: video jobs, ours and in OpenAI's shape."""

from switchboard.api.openapi.operation import Operation, Param, page_params
from switchboard.api.openapi.shapes.openai import Deleted, Video, VideoList
from switchboard.api.openapi.shapes.own import VideoJob, VideoSubmitted
from switchboard.api.schemas.videos import CreateVideo, SubmitVideo

TAG = "Videos"
JOB = "/videos/completions/{job_id}"
POLL = {"Location": "The job's polling URL."}


def _jobs(scope: str, where: str) -> list[Operation]:
    return [
        Operation(
            "POST", f"{scope}/videos/completions", f"Submit a video job{where}", TAG,
            request=SubmitVideo, response=VideoSubmitted, status=202, headers=POLL,
        ),
        Operation("GET", f"{scope}{JOB}", f"A video job{where}", TAG, response=VideoJob),
        Operation(
            "GET", f"{scope}{JOB}/content", f"A video's content{where}", TAG, status=302,
            query=(Param("index", {"type": "integer", "minimum": 0}),),
            description="302 to a signed URL of the rendered video.",
        ),
        Operation("POST", f"{scope}{JOB}/cancel", f"Cancel a video job{where}", TAG,
                  response=VideoJob),
    ]  # fmt: skip


OPERATIONS = [
    *_jobs("/v1", ""),
    *_jobs("/v1/{app_id}", " in an app"),
    Operation("POST", "/v1/videos", "Create a video (OpenAI)", TAG, request=CreateVideo,
              response=Video),
    Operation(
        "GET", "/v1/videos", "List videos (OpenAI)", TAG, response=VideoList,
        query=page_params(Param("order", {"type": "string", "enum": ["desc"]})),
    ),
    Operation("GET", "/v1/videos/{video_id}", "Retrieve a video (OpenAI)", TAG, response=Video,
              headers={"openai-poll-after-ms": "When to poll again."}),
    Operation("DELETE", "/v1/videos/{video_id}", "Delete a video (OpenAI)", TAG,
              response=Deleted),
    Operation(
        "GET", "/v1/videos/{video_id}/content", "A video's content (OpenAI)", TAG, status=302,
        query=(Param("variant", {"type": "string", "enum": ["video", "thumbnail"]}),),
        description="302 to a signed URL of the video or its thumbnail.",
    ),
]  # fmt: skip
