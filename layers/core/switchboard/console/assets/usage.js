// A user's usage, from whichever route the platform has: GET /v1/usage (the counters the
// apps use, per user) or else GET /monitor/stats (the trace counters); recent requests from
// GET /v1/usage/entries (the ledger) or else GET /monitor/traces. Both normalised to rows
// of {key, cost, tokens, requests}.

import { firstOf } from "./api.js";
import { isoDay } from "./ui.js";

export async function usageBy(groupBy, days = 14) {
  const start = isoDay(-(days - 1));
  const end = isoDay(0);
  const { path, body } = await firstOf([
    `v1/usage?startDate=${start}&endDate=${end}&groupBy=${groupBy}`,
    `monitor/stats?groupBy=${groupBy}&from=${start}`,
  ]);
  return { start, end, source: path ? path.split("?")[0] : null, rows: body ? rowsOf(body) : [] };
}

export function rowsOf(body) {
  const list = Array.isArray(body.data) ? body.data : Array.isArray(body.groups) ? body.groups : null;
  if (list) return list.map((r) => row(r.group ?? r.key ?? r.day ?? r.date ?? r.model ?? r.app_id, r));
  const grouped = body.byDay || body.byModel || body.byApp || body.groups || {};
  return Object.entries(grouped).map(([key, value]) => row(key, value));
}

function row(key, r) {
  const tokens = r.usage?.total_tokens ?? r.total_tokens ?? r.totalTokens ?? r.tokens ?? 0;
  const cost = r.cost_usd ?? r.costUsd ?? r.totalCost ?? r.cost ?? 0;
  const requests = r.requests ?? r.count ?? 0;
  return { key: key ?? "—", cost: Number(cost), tokens: Number(tokens), requests: Number(requests) };
}

export async function recentRequests(limit = 10) {
  const { path, body } = await firstOf([
    `v1/usage/entries?limit=${limit}`,
    `monitor/traces?limit=${limit}`,
  ]);
  const data = body ? body.data || [] : [];
  return {
    source: path ? path.split("?")[0] : null,
    rows: data.map((e) => ({
      when: e.created_at ?? e.created ?? e.started_at,
      model: e.model,
      app: e.app_id ?? e.app,
      tokens: e.usage?.total_tokens ?? e.total_tokens ?? e.tokens,
      cost: e.cost ?? e.cost_usd,
      amount: e.amount,
      id: e.request_id ?? e.id,
      kind: e.type ?? e.status,
    })),
  };
}
