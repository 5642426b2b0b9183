// Jobs: queued requests (POST /v1/ai; the caller's listed a cursor page at a time by
// GET /v1/ai/requests, oldest first, each answer read by GET /v1/ai?req_id= when asked),
// batches with progress bars and download links, videos with an inline player through the
// signed URL (GET /v1/videos/{id}/content answers 302 to it).

import { api, url } from "./api.js";
import { count, el, field, form, guarded, notice, section, select, table, when } from "./ui.js";

const QUEUED_PAGE = 20;

export async function render(main) {
  const models = (await api("v1/models")).data;
  const chat = models.filter((m) => m.type === "chat").map((m) => m.id);
  const video = models.filter((m) => m.type === "video").map((m) => m.id);
  const queued = el("div", { id: "queued-list" });
  const batches = el("div", { id: "batch-list" });
  const videos = el("div", { id: "video-list" });
  main.append(
    section("Queued requests", queueForm(chat, () => showQueued(queued)), queued),
    section("Batches", el("p", { class: "muted",
      text: "Submit batches with the OpenAI SDK or `switchboard batch submit`." }), batches),
    section("Videos", videoForm(video, () => showVideos(videos)), videos),
  );
  await Promise.all([showQueued(queued), showBatches(batches), showVideos(videos)]);
}

function queueForm(models, refresh) {
  return form("Queue a request", [
    el("div", { class: "row" }, select("Model", "model", models)),
    field("Prompt", { name: "prompt", rows: 2, required: true }, "textarea"),
  ], async (values, node) => {
    const submitted = await api("v1/ai", { method: "POST", body: values });
    node.reset();
    notice(`Queued ${submitted.request_id}.`);
    await refresh();
  }, "Queue");
}

// Every queued request of the caller's still kept (whoever submitted it: the API, the SDK,
// this page), a page at a time; `after` is the cursor of the page to show.
async function showQueued(holder, after) {
  const cursor = after ? `&after=${encodeURIComponent(after)}` : "";
  const page = await api(`v1/ai/requests?limit=${QUEUED_PAGE}${cursor}`);
  const buttons = [el("button", { type: "button", text: "Refresh",
    onclick: guarded(() => showQueued(holder, after)) })];
  if (after) {
    buttons.push(el("button", { type: "button", text: "First page",
      onclick: guarded(() => showQueued(holder)) }));
  }
  if (page.next_cursor) {
    buttons.push(el("button", { type: "button", text: "Next page",
      onclick: guarded(() => showQueued(holder, page.next_cursor)) }));
  }
  holder.replaceChildren(table([
    { label: "Request", value: (r) => el("code", { text: r.req_id }) },
    { label: "Model", value: (r) => r.model },
    { label: "Status", value: (r) => r.status },
    { label: "Answer", value: answerOf },
    { label: "Created", value: (r) => when(r.created_at) },
  ], page.data, "Queued requests"), el("div", { class: "row" }, buttons));
}

// The list leaves answers out: a finished request's is read when asked for.
function answerOf(request) {
  if (request.error) return request.error.message;
  if (request.status !== "completed") return "";
  const cell = el("span", {});
  cell.append(el("button", { type: "button", text: "Show answer",
    "aria-label": `Show the answer to ${request.req_id}`,
    onclick: guarded(async () => {
      const full = await api(`v1/ai?req_id=${encodeURIComponent(request.req_id)}`);
      cell.replaceChildren(full.response || "");
    }) }));
  return cell;
}

async function showBatches(holder) {
  const batches = (await api("v1/batches?limit=20")).data;
  holder.replaceChildren(table([
    { label: "Batch", value: (b) => el("code", { text: b.id }) },
    { label: "Status", value: (b) => b.status },
    { label: "Progress", value: progressOf },
    { label: "Created", value: (b) => when(b.created_at) },
    { label: "Files", value: downloads },
  ], batches, "Batches"));
}

function progressOf(batch) {
  const counts = batch.request_counts || { total: 0, completed: 0, failed: 0 };
  const done = counts.completed + counts.failed;
  return el("span", { class: "progress" },
    el("progress", { max: counts.total || 1, value: done,
      "aria-label": `Batch ${batch.id}: ${done} of ${counts.total} lines done` }),
    ` ${count(done)} / ${count(counts.total)}${counts.failed ? ` (${counts.failed} failed)` : ""}`);
}

function downloads(batch) {
  const links = [["output", batch.output_file_id], ["errors", batch.error_file_id]]
    .filter(([, id]) => id)
    .map(([label, id]) => el("a", { href: url(`v1/files/${id}/content`).href, download: `${id}.jsonl`,
      text: `${label} (.jsonl)` }));
  return links.length ? el("span", { class: "links" }, links) : "";
}

function videoForm(models, refresh) {
  return form("Create a video", [
    el("div", { class: "row" }, select("Model", "model", models),
      field("Seconds", { name: "seconds", type: "number", min: 1, max: 120, value: 4 })),
    field("Prompt", { name: "prompt", required: true, placeholder: "a lighthouse at dusk" }),
  ], async (values, node) => {
    const created = await api("v1/videos", { method: "POST", body: values });
    node.reset();
    notice(`Video ${created.id} ${created.status}.`);
    await refresh();
  }, "Create video");
}

async function showVideos(holder) {
  const videos = (await api("v1/videos?limit=10")).data;
  holder.replaceChildren(
    table([
      { label: "Video", value: (v) => el("code", { text: v.id }) },
      { label: "Prompt", value: (v) => v.prompt },
      { label: "Status", value: (v) => v.status },
      { label: "Progress", value: (v) => el("progress", { max: 100, value: v.progress || 0,
        "aria-label": `Video ${v.id}: ${v.progress || 0}%` }) },
      { label: "Size", value: (v) => `${v.size}, ${v.seconds} s` },
      { label: "Created", value: (v) => when(v.created_at) },
    ], videos, "Videos"),
    el("button", { type: "button", text: "Refresh", onclick: guarded(() => showVideos(holder)) }),
    el("div", { class: "players" }, videos.filter((v) => v.status === "completed").slice(0, 3)
      .map((v) => el("figure", {},
        el("video", { controls: true, preload: "metadata", width: 320,
          src: url(`v1/videos/${v.id}/content`).href, "aria-label": `Video: ${v.prompt}`,
          poster: url(`v1/videos/${v.id}/content?variant=thumbnail`).href }),
        el("figcaption", { text: v.prompt })))),
  );
}
