// API keys: create (name, scope, expiry), the secret shown once with a copy button, the
// list (never a secret), revoke.

import { api } from "./api.js";
import { copyButton, el, field, form, guarded, notice, section, select, table, when } from "./ui.js";

// The expiry as POST /api-keys takes it: unix seconds at the end of the chosen UTC day.
export const EXPIRY_FIELD = "expires_at";

export async function render(main) {
  const shown = el("div", { id: "new-key", "aria-live": "polite" });
  const list = el("div", { id: "key-list" });
  const refresh = async () => list.replaceChildren(keyTable(await api("api-keys"), refresh));
  const create = form(
    "Create a key",
    [
      field("Name", { name: "name", required: true, maxlength: 200, placeholder: "my service" }),
      select("Scope", "scope", [
        { value: "*", text: "* (everything your account may do)" },
        { value: "ai:gateway", text: "ai:gateway (chat, embeddings and models only)" },
      ]),
      field("Expires (optional, UTC day)", { name: "expires", type: "date" }),
    ],
    async (values, node) => {
      const body = { name: values.name, scopes: [values.scope] };
      if (values.expires) body[EXPIRY_FIELD] = Date.parse(`${values.expires}T23:59:59Z`) / 1000;
      const issued = await api("api-keys", { method: "POST", body });
      shown.replaceChildren(secretBox(issued));
      node.reset();
      await refresh();
    },
    "Create key",
  );
  main.append(section("New key", create, shown), section("Your keys", list));
  await refresh();
}

function secretBox(issued) {
  const output = el("output", { id: "new-key-secret", class: "secret", text: issued.key });
  return el(
    "div",
    { class: "alert ok" },
    el("p", {}, el("strong", { text: `Key "${issued.name}" created. ` }),
      "Copy it now: it is shown this once and never again."),
    el("div", { class: "row" }, output, copyButton(() => issued.key)),
  );
}

function keyTable(keys, refresh) {
  return table(
    [
      { label: "Name", value: (k) => k.name },
      { label: "Key", value: (k) => el("code", { text: `${k.prefix}…${k.last4}` }) },
      { label: "Scopes", value: (k) => k.scopes.join(", ") },
      { label: "Created", value: (k) => when(k.created_at) },
      { label: "Expires", value: (k) => (k.expires_at ? when(k.expires_at) : "never") },
      { label: "", value: (k) => revokeButton(k, refresh) },
    ],
    keys.data,
    "API keys",
  );
}

function revokeButton(key, refresh) {
  const button = el("button", { type: "button", class: "danger", text: "Revoke",
    "aria-label": `Revoke key ${key.name}` });
  button.addEventListener("click", guarded(async () => {
    if (!window.confirm(`Revoke "${key.name}"? Programs using it stop working.`)) return;
    await api(`api-keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
    notice(`Key "${key.name}" revoked.`);
    await refresh();
  }));
  return button;
}
