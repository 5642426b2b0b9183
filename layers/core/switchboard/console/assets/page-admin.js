// Admin (admins only; the routes answer anyone else 403): find a user, create one, add
// credits or make an adjustment.

import { api } from "./api.js";
import { el, field, form, notice, section, select, table, usd, when } from "./ui.js";

export async function render(main, { me }) {
  if (me.role !== "admin") {
    main.append(el("p", { text: "This page is for admins." }));
    return;
  }
  const shown = el("div", { id: "admin-user", "aria-live": "polite" });
  const show = (user) => shown.replaceChildren(userTable(user));
  main.append(
    section("Find a user", form("Find a user", [
      field("User id", { name: "user_id", required: true, placeholder: "usr_…" }),
    ], async (values) => show(await api(`admin/users/${encodeURIComponent(values.user_id)}`)),
    "Find"), shown),
    section("Add credits", form("Add credits", [
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
      show(await api(`admin/users/${encodeURIComponent(userId)}`));
      if (userId === me.id) document.getElementById("balance").textContent = usd(result.credits_usd);
      node.querySelector('[name="amount_usd"]').value = "";
    }, "Add credits")),
    section("Create a user", form("Create a user", [
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
      show(user);
      node.reset();
    }, "Create user")),
  );
}

function userTable(user) {
  return table([
    { label: "Id", value: (u) => el("code", { text: u.id }) },
    { label: "Email", value: (u) => u.email },
    { label: "Name", value: (u) => `${u.first_name} ${u.last_name}` },
    { label: "Role", value: (u) => u.role },
    { label: "Plan", value: (u) => u.plan },
    { label: "Balance", value: (u) => el("span", { class: "user-balance", text: usd(u.credits_usd) }) },
    { label: "Created", value: (u) => when(u.created_at) },
  ], [user], "User");
}
