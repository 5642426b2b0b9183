// Overview: the balance, spend and tokens per day (SVG charts), the latest requests.

import { barChart, daily } from "./chart.js";
import { recentRequests, usageBy } from "./usage.js";
import { count, el, section, table, usd, when } from "./ui.js";

export async function render(main, { me }) {
  main.append(
    el(
      "div",
      { class: "cards" },
      card("Balance", usd(me.credits_usd), "balance-card"),
      card("Token balance", count(me.token_balance)),
      card("Plan", me.plan),
    ),
  );
  const [usage, recent] = await Promise.all([usageBy("day"), recentRequests()]);
  const byDay = Object.fromEntries(usage.rows.map((r) => [r.key, r]));
  const spend = daily(usage.start, usage.end, (d) => byDay[d]?.cost);
  const tokens = daily(usage.start, usage.end, (d) => byDay[d]?.tokens);
  main.append(
    section(
      "Last 14 days",
      el("div", { class: "charts" },
        barChart({ id: "spend-chart", title: "Spend per day (USD)", ...spend, format: usd }),
        barChart({ id: "tokens-chart", title: "Tokens per day", ...tokens, format: count })),
      el("p", { class: "muted", text: `From GET /${usage.source || "(no usage route)"}.` }),
    ),
    section(
      "Recent requests",
      table(
        [
          { label: "When", value: (r) => when(r.when) },
          { label: "Entry", value: (r) => r.kind },
          { label: "Model", value: (r) => r.model },
          { label: "App", value: (r) => r.app },
          { label: "Tokens", value: (r) => count(r.tokens) },
          { label: "Cost", value: (r) => (r.cost === undefined ? "" : usd(r.cost)) },
          { label: "Balance change", value: (r) => (r.amount === undefined ? "" : usd(r.amount)) },
          { label: "Request", value: (r) => el("code", { text: r.id || "" }) },
        ],
        recent.rows,
        recent.source === "v1/usage/entries" ? "Latest ledger entries" : "Latest traces",
      ),
    ),
  );
}

function card(title, value, id) {
  return el("div", { class: "card", id }, el("div", { class: "muted", text: title }),
    el("div", { class: "big", text: value }));
}
