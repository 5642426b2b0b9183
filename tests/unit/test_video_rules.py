"""Video rules: the catalog's video options and lifecycle, a job's price and cost, options
judged against a model, sizes, indexes, abandonment and back-off, and the two API views."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from switchboard.adapters.providers.video_render import size_for
from switchboard.api.schemas.videos import job_view, openai_view
from switchboard.domain.catalog import CatalogError, load_catalog, parse_catalog
from switchboard.domain.video_models import ASPECT_RATIOS, SHORT_SIDES, dimensions
from switchboard.domain.video_options import openai_spec, video_spec
from switchboard.domain.videos import (
    MAX_POLL_SECONDS,
    JobStatus,
    VideoJob,
    VideoSpec,
    content_index,
    next_wait,
)
from switchboard.errors import InvalidRequestError, ModelNotFoundError

VIDEO = {
    "id": "v",
    "type": "video",
    "provider": "p",
    "price_per_second": "0.08",
    "durations": [6, 12],
    "resolutions": ["720p"],
    "aspect_ratios": ["16:9", "9:16"],
}


def catalog(**changes: Any) -> Any:
    return parse_catalog({"providers": {"p": {"kind": "local"}}, "models": [VIDEO | changes]})


def test_price_is_per_second_times_duration_times_variants_in_micro_usd() -> None:
    options = catalog(variants=2).get("v").video
    assert options is not None and options.price_per_second_micro_usd == 80_000
    assert options.price_micro_usd(6) == 960_000
    assert options.cost_micro_usd(6.0, 6) == 960_000
    assert options.cost_micro_usd(3.001, 6) == 480_160  # a shorter clip costs less, by the ms
    assert options.cost_micro_usd(9.0, 6) == 960_000  # never beyond the price held


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"price_per_second": 0.08}, "string"),
        ({"price_per_second": "-1"}, "non-negative"),
        ({"durations": []}, "non-empty"),
        ({"durations": [6, 6]}, "repeats"),
        ({"durations": [0]}, "seconds"),
        ({"resolutions": ["4k"]}, "480p"),
        ({"aspect_ratios": ["4:3"]}, "16:9"),
        ({"variants": 0}, "variants"),
        ({"retired_at": "soon"}, "day"),
        ({"successor": "nobody"}, "successor"),
    ],
)
def test_bad_video_entries_are_refused_with_where(change: dict[str, Any], words: str) -> None:
    with pytest.raises(CatalogError, match=words):
        catalog(**change)


def test_a_retired_model_is_not_found_and_names_its_successor() -> None:
    models = parse_catalog({"providers": {"p": {"kind": "local"}}, "models": [
        VIDEO | {"deprecated_at": date(2026, 1, 1), "retired_at": "2026-06-01", "successor": "w"},
        VIDEO | {"id": "w"}]})  # fmt: skip
    assert models.get("v", date(2026, 5, 31)).deprecated_at == date(2026, 1, 1)
    with pytest.raises(ModelNotFoundError, match=r"retired on 2026-06-01\. Use 'w' instead"):
        models.get("v", date(2026, 6, 1))
    assert models.find("v") is not None


def test_our_sizes_are_the_renderers() -> None:
    for resolution in SHORT_SIDES:
        for ratio in ASPECT_RATIOS:
            assert dimensions(resolution, ratio) == size_for(resolution, ratio)
    assert dimensions("720p", "9:16") == (720, 1280) and dimensions("480p", "16:9") == (854, 480)


def test_defaults_are_the_first_of_each_list() -> None:
    spec = video_spec(catalog().get("v"), "A lighthouse")
    assert (spec.duration, spec.resolution, spec.aspect_ratio, spec.size) == (
        6, "720p", "16:9", "1280x720"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("given", "param", "words"),
    [
        ({"duration": 7}, "duration", "6, 12"),
        ({"resolution": "1080p"}, "resolution", "720p"),
        ({"aspect_ratio": "1:1"}, "aspect_ratio", "16:9, 9:16"),
        ({"generate_audio": True}, "generate_audio", "allowed: false"),
        ({"seed": -1}, "seed", "0 to"),
        ({"input_images": ["https://x.example/a.png"]}, "input_images", "at most 0"),
    ],
)
def test_options_outside_the_model_name_the_option_and_what_it_allows(
    given: dict[str, Any], param: str, words: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        video_spec(catalog().get("v"), "A lighthouse", **given)
    assert caught.value.param == param and words in caught.value.message


def test_openai_seconds_and_size_map_to_duration_resolution_and_ratio() -> None:
    model = catalog().get("v")
    spec = openai_spec(model, "p", "12", "720x1280", [])
    assert (spec.duration, spec.resolution, spec.aspect_ratio) == (12, "720p", "9:16")
    for seconds, size, param in (("4", None, "seconds"), ("six", None, "seconds"),
                                 (None, "1024x1792", "size")):  # fmt: skip
        with pytest.raises(InvalidRequestError) as caught:
            openai_spec(model, "p", seconds, size, [])
        assert caught.value.param == param


def job(**changes: Any) -> VideoJob:
    spec = VideoSpec("A fox", 4, "480p", "16:9", 854, 480)
    values: dict[str, Any] = {
        "job_id": "video_1", "user_id": "u", "payer_id": "u", "app_id": None,
        "model": "local-video", "spec": spec, "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }  # fmt: skip
    return VideoJob(**(values | changes))


@pytest.mark.parametrize("raw", ["-1", "1", "x", "", "0.0", "\u0660"])
def test_a_content_index_is_a_variant_that_can_exist(raw: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        content_index(raw, job())
    assert caught.value.code == "INVALID_INDEX"
    assert content_index(None, job()) == 0 and content_index("0", job()) == 0


def test_abandoned_means_running_and_unpolled_for_the_time() -> None:
    created = int(job().created_at.timestamp())
    assert not job().abandoned(created + 600, 600)
    assert job().abandoned(created + 601, 600)
    assert not job().polled(created + 500).abandoned(created + 1000, 600)
    assert not job(status=JobStatus.COMPLETED).abandoned(created + 10_000, 600)


def test_back_off_grows_by_half_up_to_a_minute() -> None:
    waits = [1]
    while waits[-1] < MAX_POLL_SECONDS:
        waits.append(next_wait(waits[-1]))
    assert waits[:6] == [1, 2, 3, 4, 6, 9] and waits[-1] == MAX_POLL_SECONDS


@pytest.mark.parametrize("status", [JobStatus.CANCELLED, JobStatus.EXPIRED])
def test_openai_shows_cancelled_and_expired_as_failed_saying_which(status: JobStatus) -> None:
    view = openai_view(job(status=status))
    assert view["status"] == "failed" and view["error"]["code"] == status.value
    assert job_view(job(status=status), "https://api", None)["status"] == status.value


def test_our_view_before_and_after_settlement() -> None:
    settled = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)
    done = job(status=JobStatus.COMPLETED, outputs=("a", "b"), charged_micro_usd=40_000,
               settled_at=settled, completed_at=settled)  # fmt: skip
    view = job_view(done, "https://api.example/prod", "app_1")
    assert view["polling_url"] == "https://api.example/prod/v1/app_1/videos/completions/video_1"
    assert view["content_urls"][1].endswith("/video_1/content?index=1")
    assert view["charged_credits_usd"] == "0.040000" and view["settled_at"] == 1767225660
    assert job_view(job(), "https://x", None)["charged_credits_usd"] is None


def test_the_builtin_local_video_model_is_priced() -> None:
    entry = load_catalog().get("local-video")
    assert entry.video is not None and entry.video.price_micro_usd(4) == 40_000
