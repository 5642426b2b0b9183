// Prompts: the list, a new prompt, and per prompt its version history, a new version and
// its tags (moved with PUT /prompts/{slug}/tags/{tag}).

import { api } from "./api.js";
import { el, field, form, guarded, notice, section, select, table, when } from "./ui.js";

export async function render(main) {
  const detail = el("div", { id: "prompt-detail" });
  const list = el("div", { id: "prompt-list" });
  const refresh = async () => {
    const prompts = (await api("prompts?limit=100")).data;
    list.replaceChildren(table([
      { label: "Slug", value: (p) => el("code", { text: p.slug }) },
      { label: "Name", value: (p) => p.name },
      { label: "Latest", value: (p) => p.latest_version },
      { label: "Tags", value: (p) => tagText(p.tags) },
      { label: "", value: (p) => el("button", { type: "button", text: "Open",
        "aria-label": `Open prompt ${p.slug}`, onclick: guarded(() => showPrompt(detail, p.slug)) }) },
    ], prompts, "Prompts"));
  };
  const create = form("New prompt", [
    el("div", { class: "row" },
      field("Slug", { name: "slug", required: true, pattern: "[a-z0-9-]{1,64}",
        title: "lowercase letters, digits and hyphens" }),
      field("Name", { name: "name" })),
  ], async (values, node) => {
    await api("prompts", { method: "POST", body: values });
    node.reset();
    await refresh();
    await showPrompt(detail, values.slug);
  }, "Create prompt");
  main.append(section("New prompt", create), section("Your prompts", list), detail);
  await refresh();
}

function tagText(tags) {
  return Object.entries(tags || {}).map(([t, v]) => `${t} → v${v}`).join(", ");
}

async function showPrompt(detail, slug) {
  const path = `prompts/${encodeURIComponent(slug)}`;
  const [described, versions] = await Promise.all([
    api(`${path}/describe`), api(`${path}/versions?limit=50`),
  ]);
  const reload = () => showPrompt(detail, slug);
  const tags = described.availableTags || {};
  const numbers = (described.availableVersions || []).map(String);
  detail.replaceChildren(section(
    `Prompt: ${slug}`,
    el("p", {}, "Tags: ", tagText(tags) || "none"),
    form("Move a tag", [el("div", { class: "row" },
      field("Tag", { name: "tag", required: true, list: "known-tags", value: "production" }),
      el("datalist", { id: "known-tags" },
        Object.keys(tags).map((t) => el("option", { value: t }))),
      select("Version", "version", numbers.slice().reverse()))],
    async (values) => {
      await api(`${path}/tags/${encodeURIComponent(values.tag)}`, {
        method: "PUT", body: { version: Number(values.version) },
      });
      notice(`${values.tag} now points at version ${values.version}.`);
      await reload();
    }, "Move tag"),
    form("New version", [
      field("System text", { name: "systemText", rows: 2 }, "textarea"),
      field("Text", { name: "text", rows: 3, required: true,
        placeholder: "Summarize {{ topic }} in one sentence." }, "textarea"),
    ], async (values, node) => {
      const body = { text: values.text };
      if (values.systemText) body.systemText = values.systemText;
      await api(`${path}/versions`, { method: "POST", body });
      node.reset();
      await reload();
    }, "Add version"),
    el("h3", { text: "Version history" }),
    table([
      { label: "Version", value: (v) => v.version },
      { label: "Tags", value: (v) => Object.entries(tags).filter(([, n]) => n === v.version)
        .map(([t]) => t).join(", ") },
      { label: "Text", value: (v) => v.text },
      { label: "Model", value: (v) => v.model?.model },
      { label: "Variables", value: (v) => v.variables.join(", ") },
      { label: "Created", value: (v) => when(v.created_at) },
    ], versions.data, "Versions"),
  ));
}
