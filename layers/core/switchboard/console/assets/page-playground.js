// Playground: a chat with a model, a skill and built-in tools, streamed (fetch, then the
// body's ReadableStream of SSE), with each answer's tokens and cost from usage.cost_usd.

import { api } from "./api.js";
import { events } from "./sse.js";
import { count, el, field, form, section, select, usd } from "./ui.js";

const TOOLS = ["calculator", "url_fetch", "summarizer", "web_search", "weather"];

export async function render(main) {
  const [models, skills, apps] = await Promise.all([
    api("v1/models"), api("skills").catch(() => ({ skills: [] })), api("apps"),
  ]);
  const chatModels = models.data.filter((m) => m.type === "chat").map((m) => m.id);
  const history = [];
  const log = el("ol", { id: "chat-log", class: "chat", "aria-live": "polite",
    "aria-label": "Conversation" });
  let controller = null;
  const stop = el("button", { type: "button", text: "Stop", disabled: true,
    onclick: () => controller?.abort() });
  const tools = el("fieldset", { class: "tools" }, el("legend", { text: "Built-in tools" }),
    TOOLS.map((name) => el("label", {}, el("input", { type: "checkbox", name: "tool", value: name }),
      ` ${name}`)));
  const chat = form(
    "Chat",
    [
      el("div", { class: "row" },
        select("Model", "model", chatModels),
        select("Skill", "skill", [{ value: "", text: "(none)" },
          ...skills.skills.map((s) => ({ value: s.id, text: s.name || s.id }))]),
        select("Bill to app", "app", [{ value: "", text: "(my account)" },
          ...apps.data.map((a) => ({ value: a.id, text: a.name }))])),
      tools,
      field("Message", { name: "message", rows: 3, required: true,
        placeholder: "Ask something; with the calculator on, try: calculate 2+2" }, "textarea"),
    ],
    async (values, node) => {
      const chosen = [...node.querySelectorAll('input[name="tool"]:checked')].map((i) => i.value);
      history.push({ role: "user", content: values.message });
      log.append(el("li", { class: "user" }, el("strong", { text: "You: " }), values.message));
      node.querySelector("textarea").value = "";
      controller = new AbortController();
      stop.disabled = false;
      try {
        await stream(values, chosen, history, log, controller.signal);
      } finally {
        stop.disabled = true;
      }
    },
    "Send",
  );
  chat.append(el("div", { class: "row" }, chat.querySelector('button[type="submit"]'), stop));
  main.append(section("Chat", chat), section("Conversation", log));
}

async function stream(values, tools, history, log, signal) {
  const body = {
    model: values.model, messages: history, stream: true,
    stream_options: { include_usage: true },
  };
  if (values.skill) body.skill = values.skill;
  if (tools.length) body.use_tools = tools;
  const path = values.app ? `v1/${encodeURIComponent(values.app)}/chat/completions`
    : "v1/chat/completions";
  const text = el("span", { class: "answer" });
  const meta = el("div", { class: "muted usage" });
  const item = el("li", { class: "assistant" }, el("strong", { text: `${values.model}: ` }), text,
    meta);
  log.append(item);
  const response = await api(path, { method: "POST", body, raw: true, signal });
  let answer = "";
  try {
    for await (const chunk of events(response)) {
      if (chunk.error) throw streamError(chunk.error);
      for (const choice of chunk.choices || []) answer += choice.delta?.content || "";
      text.textContent = answer;
      if (chunk.usage) meta.replaceChildren(usageLine(chunk.usage));
    }
  } catch (error) {
    if (error.name !== "AbortError") throw error;
    meta.textContent = "Stopped.";
  }
  item.dataset.done = "true";
  history.push({ role: "assistant", content: answer });
  const me = await api("auth/me");  // the balance in the header, after the charge
  document.getElementById("balance").textContent = usd(me.credits_usd);
}

function usageLine(usage) {
  const cost = usage.cost_usd === undefined ? "" : `, cost ${usd(usage.cost_usd)}`;
  return el("span", { class: "cost", "data-cost": usage.cost_usd ?? "",
    text: `${count(usage.prompt_tokens)} prompt + ${count(usage.completion_tokens)} ` +
      `completion tokens${cost}` });
}

function streamError(envelope) {
  return new Error(`${envelope.message || "The stream failed"} (${envelope.code || envelope.type})`);
}
