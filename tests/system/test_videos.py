"""Video jobs on the platform as `make serve` runs it (the state machine, the steps and the
renderer in the background): the official SDK's `client.videos`, curl -L and requests
following the 302 to the bucket, the MP4 decoded by PyAV at the size and duration asked for,
Range requests, and the price charged exactly."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import av
import httpx
import openai
import pytest
import requests

from tests.conftest import ORIGINAL_ENV, ROOT
from tests.support.server import RunningServer

pytestmark = [
    pytest.mark.system,
    pytest.mark.xdist_group("system"),
    # The SDK marks its Videos API deprecated (OpenAI's shuts down in September 2026).
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
JOBS = "/v1/videos/completions"


def decoded(path: Path) -> tuple[float, int, int]:
    """Duration (s), width and height of an MP4, as PyAV reads it."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return frames / float(stream.average_rate), stream.width, stream.height


def balance(server: RunningServer) -> str:
    answer = httpx.get(f"{server.base_url}/auth/me", headers=auth(server))
    return str(answer.json()["credits_usd"])


def auth(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.api_key}"}


def test_the_sdk_creates_polls_and_downloads_a_video(
    sdk: openai.OpenAI, server: RunningServer, tmp_path: Path
) -> None:
    before = balance(server)
    video = sdk.videos.create_and_poll(
        model="local-video", prompt="A kite over the dunes", seconds="2", size="480x854",
        poll_interval_ms=300,
    )  # fmt: skip
    assert video.status == "completed" and (video.seconds, video.size) == ("2", "480x854")
    assert video.expires_at and video.completed_at and video.progress == 100
    path = tmp_path / "sdk.mp4"
    sdk.videos.download_content(video.id).write_to_file(path)
    seconds, width, height = decoded(path)
    assert (round(seconds, 2), width, height) == (2.0, 480, 854)
    thumbnail = sdk.videos.download_content(video.id, variant="thumbnail").read()
    assert thumbnail[:2] == b"\xff\xd8"
    assert video.id in [v.id for v in sdk.videos.list(limit=10)]
    job = httpx.get(f"{server.base_url}{JOBS}/{video.id}", headers=auth(server)).json()
    assert job["charged_credits_usd"] == "0.020000"  # two seconds at $0.01
    spent = float(before) - float(balance(server))
    assert round(spent, 6) == 0.02
    assert sdk.videos.delete(video.id).deleted


def test_curl_and_requests_follow_the_redirect_to_the_bucket(
    server: RunningServer, tmp_path: Path
) -> None:
    submitted = httpx.post(
        f"{server.base_url}{JOBS}", headers=auth(server),
        json={"model": "local-video", "prompt": "Lanterns on a river", "duration": 4,
              "resolution": "720p", "aspect_ratio": "16:9"},
    )  # fmt: skip
    assert submitted.status_code == 202, submitted.text
    job = until_done(server, submitted.json()["polling_url"])
    assert job["status"] == "completed" and job["charged_credits_usd"] == "0.040000"
    url = job["content_urls"][0]
    path = tmp_path / "curl.mp4"
    subprocess.run(
        ["curl", "-sSfL", "-o", str(path), "-H", f"Authorization: Bearer {server.api_key}", url],
        check=True, timeout=60,
    )  # fmt: skip
    seconds, width, height = decoded(path)
    assert (round(seconds, 2), width, height) == (4.0, 1280, 720)
    fetched = requests.get(url, headers=auth(server), timeout=30)
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "video/mp4"
    assert fetched.history[0].status_code == 302 and fetched.content == path.read_bytes()
    assert "Authorization" not in fetched.request.headers  # dropped on the way to the bucket
    ranged = requests.get(url, headers=auth(server) | {"Range": "bytes=100-199"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == path.read_bytes()[100:200]


def until_done(server: RunningServer, polling_url: str, within: float = 90) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        job = httpx.get(polling_url, headers=auth(server)).json()
        if job["status"] not in ("pending", "in_progress"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"{polling_url} never finished")


def test_the_readmes_video_example_runs_as_written(server: RunningServer, tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "videos." in b)
    env = ORIGINAL_ENV | {"SWITCHBOARD_API_KEY": server.api_key, "PYTHONWARNINGS": "ignore"}
    program = code.replace("http://127.0.0.1:8000", server.base_url)
    done = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "completed 4 1280x720" in done.stdout
    assert decoded(tmp_path / "kite.mp4")[1:] == (1280, 720)
    assert (tmp_path / "kite.jpg").read_bytes()[:2] == b"\xff\xd8"
