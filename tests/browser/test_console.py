"""The console, driven in headless Chromium against a running local platform: sign in and
out, keys made, used through the API and revoked, a streamed chat, the usage chart moving,
an admin adding credits, errors shown, and a screenshot of every page."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import (
    DEV_EMAIL,
    Console,
    keep_for_docs,
    open_page,
    screenshot,
    sign_in,
)

pytestmark = [pytest.mark.system, pytest.mark.browser, pytest.mark.xdist_group("browser")]
EXPIRY_DAY = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()


def test_sign_in_and_out(page: Any, console: Console) -> None:
    page.goto(f"{console.url}/overview")
    page.wait_for_url("**/console/login?next=overview")  # 401 from /auth/me: to the login page
    screenshot(page, "login")
    page.get_by_label("Email").fill(DEV_EMAIL)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    assert "401" in page.locator("#alerts .alert").inner_text()
    page.get_by_label("Password").fill(console.password)
    page.get_by_label("Password").press("Enter")  # the keyboard submits the form
    page.wait_for_url("**/console/overview")
    page.wait_for_selector("main[data-ready=true]")
    assert page.locator("#who").inner_text().startswith(DEV_EMAIL)
    assert page.get_by_role("link", name="Admin").is_visible()  # the dev user is an admin
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/login")
    page.goto(f"{console.url}/keys")
    page.wait_for_url("**/console/login?next=keys")  # the session is gone


def test_the_keyboard_reaches_the_content_first(page: Any, console: Console) -> None:
    sign_in(page, console)
    open_page(page, console, "models")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # then the page's first control: the type filter
    assert page.evaluate("document.activeElement.getAttribute('name')") == "type"
    page.keyboard.press("ArrowDown")  # a native select: the arrow keys choose
    assert page.locator("#model-list tbody tr").count() < len(
        page.request.get(f"{console.server.base_url}/v1/public/models").json()["data"]
    )


def test_create_a_key_use_it_and_revoke_it(page: Any, console: Console) -> None:
    sign_in(page, console)
    open_page(page, console, "keys")
    page.get_by_label("Name").fill("browser key")
    page.get_by_label("Scope").select_option("ai:gateway")
    page.get_by_label("Expires").fill(EXPIRY_DAY)
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-key-secret").inner_text()
    assert secret.startswith("sb_")
    assert page.get_by_role("button", name="Copy").is_visible()
    row = page.locator("#key-list tr", has_text="browser key")
    assert secret[-4:] in row.inner_text() and secret not in page.locator("#key-list").inner_text()
    assert f"{EXPIRY_DAY} 23:59 UTC" in row.inner_text()
    with console.api(secret) as client:
        assert client.get("/v1/models").status_code == 200
        assert client.get("/apps").status_code == 403  # ai:gateway: inference routes only
    screenshot(page, "keys")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke key browser key").click()
    page.wait_for_selector("#key-list tr:has-text('browser key')", state="detached")
    with console.api(secret) as client:
        assert client.get("/v1/models").status_code == 401


def test_streamed_chat_in_the_playground_shows_its_cost(page: Any, console: Console) -> None:
    sign_in(page, console)
    open_page(page, console, "playground")
    page.get_by_label("Model").select_option("local-chat")
    page.get_by_label("Message").fill("Say hello to the console")
    with page.expect_response("**/v1/chat/completions") as answered:
        page.get_by_role("button", name="Send").click()
    assert answered.value.headers["content-type"].startswith("text/event-stream")
    page.wait_for_selector("#chat-log li.assistant[data-done=true]")
    assert page.locator("#chat-log li.assistant .answer").inner_text().strip()
    cost = page.locator("#chat-log .cost").get_attribute("data-cost")
    assert cost and float(cost) > 0
    assert "completion tokens, cost $" in page.locator("#chat-log .cost").inner_text()
    keep_for_docs(screenshot(page, "playground"), "console-playground.png")
    page.get_by_label("calculator").check()  # a built-in tool: the gateway runs the loop
    page.get_by_label("Message").fill("calculate 6*7")
    page.get_by_role("button", name="Send").click()
    page.wait_for_selector("#chat-log li.assistant[data-done=true] >> nth=1")
    assert "42" in page.locator("#chat-log li.assistant .answer").nth(1).inner_text()


def test_the_usage_chart_moves_after_a_request(page: Any, console: Console) -> None:
    sign_in(page, console)
    open_page(page, console, "overview")
    before = float(page.locator("#tokens-chart svg").get_attribute("data-total") or 0)
    with console.api() as client:
        body = {"model": "local-chat", "messages": [{"role": "user", "content": "Count me"}]}
        assert client.post("/v1/chat/completions", json=body).status_code == 200
    page.reload()
    page.wait_for_selector("main[data-ready=true]")
    after = float(page.locator("#tokens-chart svg").get_attribute("data-total") or 0)
    assert after > before
    assert page.locator("#spend-chart svg rect.bar").count() == 14
    keep_for_docs(screenshot(page, "overview"), "console-overview.png")


def test_an_admin_adds_credits_and_disables_a_user(page: Any, console: Console) -> None:
    with console.api() as client:
        user = client.post("/admin/users", json={
            "email": "credits@example.com", "first_name": "Cred", "last_name": "Its",
            "credits_usd": "1", "password": "a-long-password",
        }).json()  # fmt: skip
    sign_in(page, console, "credits@example.com", "a-long-password")  # not an admin
    open_page(page, console, "overview")
    assert not page.get_by_role("link", name="Admin").is_visible()
    sign_in(page, console)
    open_page(page, console, "admin")
    page.get_by_role("button", name="Manage credits@example.com").click()
    page.wait_for_selector("#admin-user .user-balance")
    form = page.get_by_role("form", name="Add credits")
    assert form.get_by_label("User id").input_value() == user["id"]
    form.get_by_label("Amount").fill("2.5")
    form.get_by_label("Reason").fill("browser test")
    form.get_by_role("button", name="Add credits").click()
    page.wait_for_selector("#admin-user .user-balance:text('$3.50')")
    with console.api() as client:
        assert client.get(f"/admin/users/{user['id']}").json()["credits_usd"] == "3.500000"
    change = page.get_by_role("form", name="Change credits@example.com")
    change.get_by_label("Disabled").check()
    change.get_by_role("button", name="Save changes").click()
    page.wait_for_selector("#admin-user td:text('disabled')")
    page.wait_for_selector("#user-list tr:has-text('credits@example.com') td:text('disabled')")
    screenshot(page, "admin")
    refused = page.request.post(f"{console.server.base_url}/auth/login",
                                data={"email": "credits@example.com",
                                      "password": "a-long-password"})  # fmt: skip
    assert refused.status in (401, 403)


def test_out_of_credits_is_explained(page: Any, console: Console) -> None:
    with console.api() as client:
        client.post("/admin/users", json={
            "email": "broke@example.com", "first_name": "No", "last_name": "Credits",
            "credits_usd": "0", "password": "a-long-password",
        }).raise_for_status()  # fmt: skip
    sign_in(page, console, "broke@example.com", "a-long-password")
    open_page(page, console, "playground")
    page.get_by_label("Message").fill("Hello?")
    page.get_by_role("button", name="Send").click()
    alert = page.locator("#alerts .alert.status-402")
    assert "Out of credits" in alert.inner_text() and "add credits" in alert.inner_text()


def test_too_many_requests_says_how_long_to_wait(page: Any, console: Console) -> None:
    with console.api() as client:
        client.post("/admin/users", json={
            "email": "hasty@example.com", "first_name": "Has", "last_name": "Ty",
            "credits_usd": "1", "password": "a-long-password",
            "rate_limits": {"requests_per_minute": 2, "tokens_per_minute": 1000},
        }).raise_for_status()  # fmt: skip
    sign_in(page, console, "hasty@example.com", "a-long-password")
    page.goto(f"{console.url}/playground")  # its page needs more than 2 requests
    alert = page.locator("#alerts .alert.status-429")
    assert "Too many requests: wait" in alert.inner_text()
    assert "(Retry-After)" in alert.inner_text()


def test_jobs_show_batches_with_progress_and_play_videos(page: Any, console: Console) -> None:
    with console.sdk() as sdk:
        lines = [json.dumps({"custom_id": f"line-{n}", "method": "POST",
                             "url": "/v1/chat/completions", "body": {"model": "local-chat",
                             "messages": [{"role": "user", "content": f"Line {n}"}]}})
                 for n in range(3)]  # fmt: skip
        uploaded = sdk.files.create(
            file=("lines.jsonl", "\n".join(lines).encode()), purpose="batch"
        )
        batch = sdk.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                   completion_window="24h")  # fmt: skip
        until(lambda: sdk.batches.retrieve(batch.id).status == "completed", within=40)
    with console.api() as client:
        body = {"model": "local-video", "prompt": "A kite", "seconds": "2", "size": "480x854"}
        video_id = client.post("/v1/videos", json=body).json()["id"]
        until(lambda: client.get(f"/v1/videos/{video_id}").json()["status"] == "completed", 40)
        queued = client.post("/v1/ai", json={"model": "local-chat", "prompt": "From the API"})
        request_id = queued.json()["request_id"]  # submitted elsewhere: the page lists it
        answer = f"/v1/ai?req_id={request_id}"
        until(lambda: client.get(answer).json()["status"] == "completed", within=40)
        answered = client.get(answer).json()["response"]
    sign_in(page, console)
    open_page(page, console, "jobs")
    row = page.locator("#batch-list tr", has_text=batch.id)
    bar = row.locator("progress")
    assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("3", "3")
    link = row.get_by_role("link", name="output (.jsonl)")
    output = page.request.get(link.get_attribute("href"))
    assert output.ok and output.text().count("custom_id") == 3  # the cookie fetched the file
    player = page.locator(f"#video-list video[src$='/v1/videos/{video_id}/content']")
    player.wait_for()
    page.wait_for_function("v => v.readyState >= 1 && v.duration > 1", arg=player.element_handle())
    listed = page.locator("#queued-list tr", has_text=request_id)
    listed.get_by_role("button", name=f"Show the answer to {request_id}").click()
    listed.get_by_text(answered).wait_for()  # read when asked: the list leaves it out
    page.get_by_role("form", name="Queue a request").get_by_label("Prompt").fill("Queued hello")
    page.get_by_role("button", name="Queue").click()
    page.locator("#queued-list tbody tr").nth(1).wait_for()  # the API's and the console's
    screenshot(page, "jobs")


def until(check: Any, within: float) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.25)


def test_every_other_page_renders(page: Any, console: Console) -> None:
    sign_in(page, console)
    open_page(page, console, "apps")
    page.get_by_label("Name").fill("browser app")
    page.get_by_role("button", name="Create app").click()
    page.wait_for_selector("#app-detail h2:has-text('browser app')")
    editor = page.get_by_label("Config (JSON)")
    editor.fill('{"maxTokensPerRequest": 0}')
    page.get_by_role("button", name="Save config").click()
    assert "maxTokensPerRequest" in page.locator("#config-problems").inner_text()
    editor.fill('{"allowedModels": ["local-chat"], "maxTokensPerRequest": 256}')
    page.get_by_role("button", name="Save config").click()
    page.wait_for_selector("#alerts .alert.ok")
    app_id = page.locator("#app-list code").first.inner_text()
    with console.api() as client:
        body = {"model": "local-chat", "messages": [{"role": "user", "content": "Via the app"}]}
        assert client.post(f"/v1/{app_id}/chat/completions", json=body).status_code == 200
    page.get_by_role("button", name="Open app browser app").click()
    page.wait_for_selector("#app-tokens-chart svg[data-points='1']")  # local-chat's bar
    assert float(page.locator("#app-tokens-chart svg").get_attribute("data-total") or 0) > 0
    screenshot(page, "apps")
    page.get_by_label("New name").fill("renamed app")
    page.get_by_role("button", name="Rename").click()
    page.wait_for_selector("#app-list td:text('renamed app')")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete app renamed app").click()
    page.wait_for_selector("#app-list td:text('renamed app')", state="detached")

    open_page(page, console, "models")
    assert page.locator("#model-list tr", has_text="local-chat").count() == 1
    screenshot(page, "models")

    open_page(page, console, "prompts")
    page.get_by_label("Slug").fill("greeting")
    page.get_by_role("button", name="Create prompt").click()
    page.get_by_label("Text", exact=True).fill("Say hello to {{ name }}.")
    page.get_by_role("button", name="Add version").click()
    page.wait_for_selector("#prompt-detail td:has-text('Say hello to')")
    page.get_by_role("button", name="Move tag").click()
    page.wait_for_selector("#prompt-detail p:has-text('production → v1')")
    screenshot(page, "prompts")

    open_page(page, console, "traces")
    page.locator("#main table button").first.click()
    page.wait_for_selector("#span-tree li")
    screenshot(page, "traces")
