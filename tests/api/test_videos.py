"""Video jobs through the real ASGI app and the real state machine on the emulator (the steps
and renders driven by tests/support/video_rig.py): a job from submit to its MP4, every error
code the API documents, both API shapes on the same jobs, and OpenAI's spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import Role, User
from switchboard.domain.videos import JobStatus
from tests.api.test_app_inference import new_app
from tests.support.ledger import ledger_state
from tests.support.openai_spec import assert_matches_spec
from tests.support.video_rig import drive, next_step

pytestmark = pytest.mark.anyio
JOBS = "/v1/videos/completions"


async def submit(http: httpx.AsyncClient, path: str = JOBS, **body: Any) -> httpx.Response:
    return await http.post(path, json={"model": "local-video", "prompt": "A red fox"} | body)


async def test_a_job_runs_to_its_mp4_and_costs_duration_times_price(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        answer = await submit(http, duration=2, resolution="480p", aspect_ratio="9:16")
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job_id"]
        assert answer.json() == {"job_id": job_id, "status": "pending",
                                 "polling_url": f"http://testserver{JOBS}/{job_id}"}  # fmt: skip
        assert answer.headers["location"] == answer.json()["polling_url"]
        assert services.ledger_repo.balance(user.user_id) == 1_000_000 - 20_000  # held
        await drive(services, job_id)
        job = (await http.get(f"{JOBS}/{job_id}")).json()
        assert job["status"] == "completed" and job["error"] is None
        assert job["charged_credits_usd"] == "0.020000" and job["settled_at"] >= job["created_at"]
        assert job["content_urls"] == [f"http://testserver{JOBS}/{job_id}/content?index=0"]
        content = await http.get(job["content_urls"][0])
        assert content.status_code == 302
    url = content.headers["location"]
    async with httpx.AsyncClient() as bucket:  # straight to the bucket, with no key
        whole = await bucket.get(url)
        part = await bucket.get(url, headers={"Range": "bytes=0-99"})
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert whole.content[4:8] == b"ftyp" and whole.content.index(b"moov") < whole.content.index(
        b"mdat"
    )
    assert part.status_code == 206 and len(part.content) == 100
    assert part.headers["content-range"] == f"bytes 0-99/{len(whole.content)}"
    assert ledger_state(services.ledger_repo, user.user_id) == (
        1_000_000 - 20_000, ["top_up", "reserve", "settle"]
    )  # fmt: skip


def spec_sized(video: dict[str, Any]) -> dict[str, Any]:
    """A video object with one of OpenAI's sizes: the spec's enum lists only OpenAI's own
    (ours are what the model's resolutions and aspect ratios make)."""
    return video | {"size": "1280x720"}


async def test_both_shapes_read_and_write_the_same_jobs(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    body = {"prompt": "Waves", "seconds": "2", "size": "480x480"}
    assert_matches_spec(body | {"seconds": "4", "size": "1280x720"}, "CreateVideoJsonBody")
    async with connect(new_user()) as http:
        created = await http.post("/v1/videos", json=body)
        assert created.status_code == 200, created.text
        video = created.json()
        assert_matches_spec(spec_sized(video), "VideoResource")
        assert video["status"] == "queued" and video["model"] == "local-video"
        assert (video["seconds"], video["size"]) == ("2", "480x480")
        ours = (await http.get(f"{JOBS}/{video['id']}")).json()
        assert ours["job_id"] == video["id"] and ours["status"] in ("pending", "in_progress")
        await drive(services, video["id"])
        done = (await http.get(f"/v1/videos/{video['id']}")).json()
        assert done["status"] == "completed" and done["progress"] == 100
        assert done["expires_at"] > done["completed_at"]
        listed = (await http.get("/v1/videos?limit=5")).json()
        assert_matches_spec(listed | {"data": [spec_sized(v) for v in listed["data"]]},
                            "VideoListResource")  # fmt: skip
        assert [v["id"] for v in listed["data"]] == [video["id"]]
        thumbnail = await http.get(f"/v1/videos/{video['id']}/content?variant=thumbnail")
        assert thumbnail.status_code == 302 and "thumbnail-0.jpg" in thumbnail.headers["location"]
        async with httpx.AsyncClient() as bucket:
            jpeg = (await bucket.get(thumbnail.headers["location"])).content
        assert jpeg[:2] == b"\xff\xd8"
        deleted = await http.delete(f"/v1/videos/{video['id']}")
        assert_matches_spec(deleted.json(), "DeletedVideoResource")
        gone = await http.get(f"{JOBS}/{video['id']}")
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "JOB_NOT_FOUND"


async def test_openai_create_takes_the_sdks_multipart_form(new_user: Any, connect: Any) -> None:
    async with connect(new_user()) as http:
        form = {
            "prompt": (None, "A tide pool"),
            "seconds": (None, "4"),
            "model": (None, "local-video"),
        }
        created = await http.post("/v1/videos", files=form)
        assert created.status_code == 200, created.text
        assert created.json()["seconds"] == "4"
        unknown = await http.post(
            "/v1/videos", files={"prompt": (None, "x"), "size": (None, "7x7")}
        )
        assert unknown.status_code == 400 and unknown.json()["error"]["param"] == "size"
        assert "854x480" in unknown.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "param", "allowed"),
    [
        ({"duration": 5}, "duration", "4, 2, 8, 12"),
        ({"resolution": "4k"}, "resolution", "480p, 720p, 1080p"),
        ({"aspect_ratio": "4:3"}, "aspect_ratio", "16:9, 9:16, 1:1"),
        ({"generate_audio": True}, "generate_audio", "false"),
        ({"input_images": ["http://images.example/a.png"]}, "input_images", "https"),
        ({"input_images": ["https://127.0.0.1/a.png"]}, "input_images", "public"),
        ({"input_images": ["https://169.254.169.254/latest"]}, "input_images", "public"),
        ({"duration": "4"}, "duration", "integer"),
        ({"stream": True}, "stream", "Unrecognized"),
    ],
)
async def test_options_a_model_does_not_allow_are_400_naming_them(
    services: Container, client: httpx.AsyncClient, body: dict[str, Any], param: str, allowed: str
) -> None:
    answer = await submit(client, **body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["param"] == param and allowed in error["message"]


async def test_errors_of_submit(services: Container, new_user: Any, connect: Any) -> None:
    poor = new_user(balance_usd=0)
    async with connect(poor) as http:
        refused = await submit(http, duration=12)
        assert refused.status_code == 402
        assert refused.json()["error"] | {"message": ""} == {
            "message": "", "type": "insufficient_tokens", "param": None,
            "code": "INSUFFICIENT_CREDITS", "required_usd": "0.120000",
            "available_usd": "0.000000", "auto_refill": False,
        }  # fmt: skip
        unknown = await submit(http, model="no-such-video")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "MODEL_NOT_FOUND"
        retired = await submit(http, model="retired-video")
        assert retired.status_code == 404 and retired.json()["error"]["code"] == "MODEL_NOT_FOUND"
        assert "'local-video'" in retired.json()["error"]["message"]
        down = await submit(http, model="unavailable-video")
        assert down.status_code == 502 and down.json()["error"]["code"] == "MODEL_UNAVAILABLE"
        chat = await http.post("/v1/chat/completions", json={
            "model": "local-video", "messages": [{"role": "user", "content": "hi"}]})  # fmt: skip
        assert chat.status_code == 400 and chat.json()["error"]["code"] == "USE_VIDEO_ENDPOINT"
    assert ledger_state(services.ledger_repo, poor.user_id) == (0, ["top_up"])  # nothing held


async def test_errors_of_a_job(services: Container, new_user: Any, connect: Any) -> None:
    owner, stranger = new_user(), new_user()
    async with connect(owner) as http:
        job_id = (await submit(http)).json()["job_id"]
        early = await http.get(f"{JOBS}/{job_id}/content")
        assert early.status_code == 409 and early.json()["error"]["code"] == "JOB_NOT_COMPLETED"
        for index in ("-1", "1", "x", "0.5"):
            bad = await http.get(f"{JOBS}/{job_id}/content?index={index}")
            assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_INDEX"
        missing = await http.get(f"{JOBS}/video_000000000000000000000000")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "JOB_NOT_FOUND"
    async with connect(stranger) as http:
        for answer in (await http.get(f"{JOBS}/{job_id}"),
                       await http.post(f"{JOBS}/{job_id}/cancel"),
                       await http.get(f"/v1/videos/{job_id}")):  # fmt: skip
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "JOB_NOT_FOUND"
    await drive(services, job_id)


async def test_app_jobs_bill_the_owner_and_belong_to_their_app(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    owner, admin = new_user(balance_usd=1), new_user(role=Role.ADMIN, balance_usd=1)
    async with connect(owner) as mine, connect(admin) as theirs:
        app_id = await new_app(mine, {"allowedModels": ["local-chat", "local-video"],
                                      "defaultModel": "local-video"})  # fmt: skip
        other_app = await new_app(mine)
        path = f"/v1/{app_id}/videos/completions"
        answer = await theirs.post(path, json={"prompt": "An admin's clip", "duration": 2})
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job_id"]
        assert answer.json()["polling_url"].endswith(f"{path}/{job_id}")
        assert services.ledger_repo.balance(owner.user_id) == 1_000_000 - 20_000
        assert services.ledger_repo.balance(admin.user_id) == 1_000_000
        forbidden = await mine.get(f"{path}/{job_id}")
        assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "FORBIDDEN"
        elsewhere = await theirs.get(f"/v1/{other_app}/videos/completions/{job_id}")
        assert elsewhere.status_code == 404
        assert (await theirs.get(f"{path}/{job_id}")).json()["status"] in ("pending", "in_progress")
        await new_app_config(mine, app_id, ["local-chat"])
        refused = await theirs.post(path, json={"model": "local-video", "prompt": "No"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "model_not_allowed"
    await drive(services, job_id)
    assert ledger_state(services.ledger_repo, owner.user_id)[0] == 1_000_000 - 20_000


async def new_app_config(http: httpx.AsyncClient, app_id: str, allowed: list[str]) -> None:
    answer = await http.put(f"/v1/{app_id}/ai/config", json={"allowedModels": allowed})
    assert answer.status_code == 200, answer.text


async def test_cancel_releases_the_hold_and_a_finished_job_is_unchanged(
    services: Container, new_user: Callable[..., User], connect: Any
) -> None:
    user = new_user(balance_usd=1)
    async with connect(user) as http:
        job_id = (await submit(http, duration=8)).json()["job_id"]
        await next_step(services, job_id, "poll")  # rendered, not yet looked at
        cancelled = (await http.post(f"{JOBS}/{job_id}/cancel")).json()
        assert cancelled["status"] == "cancelled" and cancelled["charged_credits_usd"] is None
        assert cancelled["error"]["code"] == "cancelled"
        again = (await http.post(f"{JOBS}/{job_id}/cancel")).json()
        assert again == cancelled
        openai = (await http.get(f"/v1/videos/{job_id}")).json()
        assert openai["status"] == "failed" and openai["error"]["code"] == "cancelled"
    assert ledger_state(services.ledger_repo, user.user_id) == (
        1_000_000, ["top_up", "reserve", "release"]
    )  # fmt: skip
    job = services.video_repo.get(job_id)
    assert job is not None and job.status is JobStatus.CANCELLED and job.outputs == ()
