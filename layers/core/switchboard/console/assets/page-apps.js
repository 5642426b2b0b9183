// Apps: create, pick one, edit its config as JSON (checked here, then by the API), and its
// usage by model over the last 30 days.

import { api } from "./api.js";
import { barChart } from "./chart.js";
import { count, el, field, form, guarded, isoDay, notice, section, table, usd, when } from "./ui.js";

export async function render(main) {
  const detail = el("div", { id: "app-detail" });
  const list = el("div", { id: "app-list" });
  const refresh = async () => {
    const apps = (await api("apps")).data;
    list.replaceChildren(appTable(apps, (app) => showApp(detail, app, refresh)));
    return apps;
  };
  const create = form(
    "Create an app",
    [field("Name", { name: "name", required: true, maxlength: 200, placeholder: "my app" })],
    async (values, node) => {
      const app = await api("apps", { method: "POST", body: { name: values.name } });
      node.reset();
      notice(`App "${app.name}" created.`);
      await refresh();
      await showApp(detail, app, refresh);
    },
    "Create app",
  );
  main.append(section("New app", create), section("Your apps", list), detail);
  const apps = await refresh();
  if (apps.length) await showApp(detail, apps[0], refresh);
}

function appTable(apps, open) {
  return table(
    [
      { label: "Name", value: (a) => a.name },
      { label: "App id", value: (a) => el("code", { text: a.id }) },
      { label: "Created", value: (a) => when(a.created_at) },
      { label: "", value: (a) => el("button", { type: "button", text: "Open",
        "aria-label": `Open app ${a.name}`, onclick: guarded(() => open(a)) }) },
    ],
    apps,
    "Apps",
  );
}

async function showApp(detail, app, refresh) {
  const id = encodeURIComponent(app.id);
  const start = isoDay(-29);
  const [config, usage] = await Promise.all([
    api(`v1/${id}/ai/config`),
    api(`v1/${id}/ai/usage?startDate=${start}&endDate=${isoDay(0)}`),
  ]);
  const models = Object.entries(usage.byModel || {});
  detail.replaceChildren(
    section(
      `App: ${app.name}`,
      el("p", {}, "Base URL for this app: ", el("code", { text: `/v1/${app.id}` })),
      manage(app, detail, refresh),
      configEditor(app, config),
      el("h3", { text: "Usage by model, last 30 days" }),
      el("p", {}, `${count(usage.totalTokens)} tokens, ${usd(usage.totalCost)}.`),
      el("div", { class: "charts" },
        barChart({ id: "app-cost-chart", title: "Cost by model (USD)", format: usd,
          labels: models.map(([m]) => m), values: models.map(([, v]) => Number(v.cost)) }),
        barChart({ id: "app-tokens-chart", title: "Tokens by model", format: count,
          labels: models.map(([m]) => m), values: models.map(([, v]) => Number(v.tokens)) })),
    ),
  );
}

// Rename (PATCH /apps/{id}) and delete (DELETE /apps/{id}: its routes stop answering, its
// usage history stays).
function manage(app, detail, refresh) {
  const path = `apps/${encodeURIComponent(app.id)}`;
  const rename = form("Rename the app", [
    field("New name", { name: "name", required: true, maxlength: 200, value: app.name }),
  ], async (values) => {
    const renamed = await api(path, { method: "PATCH", body: { name: values.name } });
    notice(`App renamed to "${renamed.name}".`);
    await refresh();
    await showApp(detail, renamed, refresh);
  }, "Rename");
  const remove = el("button", { type: "button", class: "danger", text: "Delete app",
    "aria-label": `Delete app ${app.name}` });
  remove.addEventListener("click", guarded(async () => {
    if (!window.confirm(`Delete "${app.name}"? Its routes stop answering; its usage stays.`)) {
      return;
    }
    await api(path, { method: "DELETE" });
    notice(`App "${app.name}" deleted.`);
    detail.replaceChildren();
    await refresh();
  }));
  return el("div", { class: "row" }, rename, remove);
}

function configEditor(app, config) {
  const { app_id: _, ...editable } = config;
  const problems = el("ul", { id: "config-problems", class: "problems", "aria-live": "polite" });
  const editor = field("Config (JSON)", {
    name: "config", rows: 8, spellcheck: false, class: "code",
    "aria-describedby": "config-problems config-help", value: JSON.stringify(editable, null, 2),
  }, "textarea");
  const help = el("p", { id: "config-help", class: "muted",
    text: "defaultModel: a model id or null; allowedModels: model ids; " +
      "maxTokensPerRequest: 1 to 100000 or null. Saving replaces the whole config." });
  return form("App config", [editor, help, problems], async (values) => {
    const found = checkConfig(values.config);
    problems.replaceChildren(...found.map((p) => el("li", { text: p })));
    if (found.length) throw new Error("The config is not valid: see the problems under it.");
    const body = JSON.parse(values.config);
    await api(`v1/${encodeURIComponent(app.id)}/ai/config`, { method: "PUT", body });
    notice(`Config of "${app.name}" saved.`);
  }, "Save config");
}

// What is wrong with a config's JSON before it is sent (the API checks models and more).
export function checkConfig(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return [`Not JSON: ${error.message}`];
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return ["The config must be a JSON object."];
  }
  const problems = [];
  const { defaultModel, allowedModels, maxTokensPerRequest } = value;
  if (defaultModel !== undefined && defaultModel !== null && typeof defaultModel !== "string") {
    problems.push("defaultModel must be a model id or null.");
  }
  if (allowedModels !== undefined &&
      (!Array.isArray(allowedModels) || allowedModels.some((m) => typeof m !== "string"))) {
    problems.push("allowedModels must be a list of model ids.");
  }
  const cap = maxTokensPerRequest;
  if (cap !== undefined && cap !== null && !(Number.isInteger(cap) && cap >= 1 && cap <= 100000)) {
    problems.push("maxTokensPerRequest must be a whole number from 1 to 100000, or null.");
  }
  return problems;
}
