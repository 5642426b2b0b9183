// Traces: stats per day as charts (GET /monitor/stats), the latest traces, and one trace's
// spans as a tree with a timeline bar each (GET /monitor/traces/{id}).

import { api } from "./api.js";
import { barChart, daily } from "./chart.js";
import { count, el, guarded, isoDay, section, table, usd, when } from "./ui.js";

export async function render(main) {
  const start = isoDay(-13);
  const [stats, traces] = await Promise.all([
    api(`monitor/stats?groupBy=day&from=${start}`), api("monitor/traces?limit=20"),
  ]);
  const byDay = Object.fromEntries(stats.data.map((r) => [r.group, r]));
  const series = (f) => daily(start, isoDay(0), (d) => (byDay[d] ? f(byDay[d]) : 0));
  const detail = el("div", { id: "trace-detail" });
  main.append(
    section("Last 14 days",
      el("p", {}, `${count(stats.total.count)} requests, ${usd(stats.total.cost_usd)}, ` +
        `error rate ${(stats.total.error_rate * 100).toFixed(1)}%, ` +
        `p95 latency ${stats.total.latency_ms.p95 ?? "—"} ms.`),
      el("div", { class: "charts" },
        barChart({ id: "requests-chart", title: "Requests per day", format: count,
          ...series((r) => r.count) }),
        barChart({ id: "latency-chart", title: "p95 latency per day (ms)", format: count, summed: false,
          ...series((r) => r.latency_ms.p95 || 0) }),
        barChart({ id: "cost-chart", title: "Cost per day (USD)", format: usd,
          ...series((r) => Number(r.cost_usd)) }))),
    section("Latest traces", table([
      { label: "Started", value: (t) => when(t.started_at) },
      { label: "Name", value: (t) => t.name },
      { label: "Model", value: (t) => t.model },
      { label: "Status", value: (t) => t.status },
      { label: "Tokens", value: (t) => count(t.usage.total_tokens) },
      { label: "Cost", value: (t) => usd(t.cost_usd) },
      { label: "Latency", value: (t) => (t.latency_ms === null ? "" : `${t.latency_ms} ms`) },
      { label: "", value: (t) => el("button", { type: "button", text: "Spans",
        "aria-label": `Show spans of trace ${t.id}`, onclick: guarded(() => showTrace(detail, t.id)) }) },
    ], traces.data, "Traces")),
    detail,
  );
}

async function showTrace(detail, id) {
  const trace = await api(`monitor/traces/${encodeURIComponent(id)}`);
  const t0 = Date.parse(trace.started_at);
  const total = Math.max(trace.latency_ms || 1, ...flatten(trace.spans).map((s) =>
    Date.parse(s.ended_at || s.started_at) - t0), 1);
  detail.replaceChildren(section(`Trace ${trace.id}`,
    el("p", {}, `${trace.name} · ${trace.status} · ${count(trace.usage.total_tokens)} tokens · ` +
      `${usd(trace.cost_usd)}`),
    el("ul", { class: "tree", id: "span-tree" }, trace.spans.map((s) => spanNode(s, t0, total)))));
  detail.querySelector("h2").tabIndex = -1;
  detail.querySelector("h2").focus();
}

function flatten(spans) {
  return spans.flatMap((s) => [s, ...flatten(s.children || [])]);
}

function spanNode(span, t0, total) {
  const offset = ((Date.parse(span.started_at) - t0) / total) * 100;
  const width = Math.max(((span.latency_ms || 0) / total) * 100, 0.5);
  const bar = el("span", { class: "timeline", "aria-hidden": "true" },
    el("span", { class: `span-bar ${span.status}` }));
  bar.firstChild.style.marginLeft = `${Math.min(offset, 99.5)}%`;
  bar.firstChild.style.width = `${Math.min(width, 100 - Math.min(offset, 99.5))}%`;
  const facts = [span.type, span.model, span.latency_ms !== null ? `${span.latency_ms} ms` : null,
    span.usage ? `${count(span.usage.total_tokens)} tokens` : null,
    span.cost_usd ? usd(span.cost_usd) : null, span.status].filter(Boolean).join(" · ");
  return el("li", {},
    el("div", { class: "span-row" }, el("strong", { text: span.name }), el("span",
      { class: "muted", text: ` ${facts}` }), bar),
    span.error ? el("div", { class: "error-text", text: span.error.message || "" }) : null,
    span.children?.length ? el("ul", {}, span.children.map((c) => spanNode(c, t0, total))) : null);
}
