// Admin (admins only; the routes answer anyone else 403): every user a page at a time, one
// user's details and changes (plan, role, own rate limits, disabled), credits, a new user.

import { api, firstOf } from "./api.js";
import { count, el, field, form, guarded, notice, section, select, table, usd, when } from "./ui.js";

export async function render(main, { me }) {
  if (me.role !== "admin") {
    main.append(el("p", { text: "This page is for admins." }));
    return;
  }
  const shown = el("div", { id: "admin-user", "aria-live": "polite" });
  const users = el("div", { id: "user-list" });
  const credits = creditsForm(me, (id) => open(id));
  const open = async (userId) => {
    const user = await api(`admin/users/${encodeURIComponent(userId)}`);
    shown.replaceChildren(userTable(user), changeForm(user, async () => {
      await open(user.id);
      await listUsers(users, open);
    }));
    credits.querySelector('[name="user_id"]').value = user.id;
    return user;
  };
  main.append(
    section("Users", users),
    section("Find a user", form("Find a user", [
      field("User id", { name: "user_id", required: true, placeholder: "usr_…" }),
    ], async (values) => open(values.user_id), "Find"), shown),
    section("Add credits", credits),
    section("Create a user", createForm(async (user) => {
      await open(user.id);
      await listUsers(users, open);
    })),
  );
  await listUsers(users, open);
}

// GET /admin/users pages by cursor; where it is not deployed, the section says so.
async function listUsers(holder, open, after) {
  const query = `admin/users?limit=25${after ? `&after=${encodeURIComponent(after)}` : ""}`;
  const { body } = await firstOf([query]);
  if (!body) {
    holder.replaceChildren(el("p", { class: "muted", text: "Listing users needs GET /admin/users." }));
    return;
  }
  const more = body.next_cursor
    ? el("button", { type: "button", text: "Next page",
      onclick: guarded(() => listUsers(holder, open, body.next_cursor)) })
    : null;
  holder.replaceChildren(table([
    { label: "Email", value: (u) => u.email },
    { label: "Name", value: (u) => `${u.first_name} ${u.last_name}` },
    { label: "Role", value: (u) => u.role },
    { label: "Plan", value: (u) => u.plan },
    { label: "State", value: (u) => (u.disabled ? "disabled" : "active") },
    { label: "Created", value: (u) => when(u.created_at) },
    { label: "", value: (u) => el("button", { type: "button", text: "Manage",
      "aria-label": `Manage ${u.email}`, onclick: guarded(() => open(u.id)) }) },
  ], body.data, "Users"), ...(more ? [more] : []));
}

function userTable(user) {
  const limits = user.rate_limits
    ? `${count(user.rate_limits.requests_per_minute)} rpm, ${count(user.rate_limits.tokens_per_minute)} tpm`
    : "the plan's";
  return table([
    { label: "Id", value: (u) => el("code", { text: u.id }) },
    { label: "Email", value: (u) => u.email },
    { label: "Role", value: (u) => u.role },
    { label: "Plan", value: (u) => u.plan },
    { label: "Rate limits", value: () => limits },
    { label: "State", value: (u) => (u.disabled ? "disabled" : "active") },
    { label: "Balance", value: (u) => el("span", { class: "user-balance", text: usd(u.credits_usd) }) },
  ], [user], "User");
}

// PATCH /admin/users/{id}: only what changed is sent; empty limits go back to the plan's.
function changeForm(user, changed) {
  const limits = user.rate_limits || {};
  return form(`Change ${user.email}`, [
    el("div", { class: "row" },
      field("Plan", { name: "plan", value: user.plan, required: true }),
      select("Role", "role", ["user", "admin"].map((r) => ({ value: r, text: r,
        selected: r === user.role }))),
      field("Requests per minute (empty: the plan's)", { name: "rpm", type: "number", min: 1,
        value: limits.requests_per_minute ?? "" }),
      field("Tokens per minute", { name: "tpm", type: "number", min: 1,
        value: limits.tokens_per_minute ?? "" })),
    el("label", {}, el("input", { type: "checkbox", name: "disabled", checked: user.disabled }),
      " Disabled (their keys and sessions stop working)"),
  ], async (values) => {
    const body = {};
    if (values.plan !== user.plan) body.plan = values.plan;
    if (values.role !== user.role) body.role = values.role;
    if (Boolean(values.disabled) !== Boolean(user.disabled)) body.disabled = Boolean(values.disabled);
    const wanted = values.rpm && values.tpm
      ? { requests_per_minute: Number(values.rpm), tokens_per_minute: Number(values.tpm) } : null;
    if (JSON.stringify(wanted) !== JSON.stringify(user.rate_limits || null)) body.rate_limits = wanted;
    if (!Object.keys(body).length) return notice("Nothing changed.");
    await api(`admin/users/${encodeURIComponent(user.id)}`, { method: "PATCH", body });
    notice(`${user.email} changed: ${Object.keys(body).join(", ")}.`);
    await changed();
  }, "Save changes");
}

function creditsForm(me, open) {
  return form("Add credits", [
    el("div", { class: "row" },
      field("User id", { name: "user_id", required: true, value: me.id }),
      field("Amount (USD; negative for an adjustment)", { name: "amount_usd", required: true,
        inputmode: "decimal", pattern: "-?[0-9]+(\\.[0-9]{1,6})?" })),
    field("Reason", { name: "reason", required: true, maxlength: 500 }),
  ], async (values, node) => {
    const { user_id: userId, ...body } = values;
    const result = await api(`admin/users/${encodeURIComponent(userId)}/credits`,
      { method: "POST", body });
    notice(`${userId} now has ${usd(result.credits_usd)}.`);
    await open(userId);
    if (userId === me.id) document.getElementById("balance").textContent = usd(result.credits_usd);
    node.querySelector('[name="amount_usd"]').value = "";
  }, "Add credits");
}

function createForm(created) {
  return form("Create a user", [
    el("div", { class: "row" },
      field("Email", { name: "email", type: "email", required: true }),
      field("First name", { name: "first_name", required: true }),
      field("Last name", { name: "last_name", required: true })),
    el("div", { class: "row" },
      field("Password (optional, 8+ characters)", { name: "password", type: "password",
        minlength: 8, autocomplete: "new-password" }),
      field("Opening credits (USD)", { name: "credits_usd", value: "0", required: true }),
      select("Role", "role", ["user", "admin"]),
      field("Plan", { name: "plan", value: "maker", required: true })),
  ], async (values, node) => {
    const body = { ...values };
    if (!body.password) delete body.password;
    const user = await api("admin/users", { method: "POST", body });
    notice(`User ${user.email} created: ${user.id}.`);
    node.reset();
    await created(user);
  }, "Create user");
}
