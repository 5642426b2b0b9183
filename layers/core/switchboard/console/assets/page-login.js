// Sign in: POST /auth/login sets the session cookie, then on to the page asked for.

import { api } from "./api.js";
import { el, field, form } from "./ui.js";

export function render(main) {
  const next = new URLSearchParams(window.location.search).get("next") || "overview";
  const target = /^[a-z]+$/.test(next) && next !== "login" ? next : "overview";
  const login = form(
    "Sign in",
    [
      field("Email", { name: "email", type: "email", autocomplete: "username", required: true }),
      field("Password", {
        name: "password", type: "password", autocomplete: "current-password", required: true,
      }),
    ],
    async (values) => {
      await api("auth/login", { method: "POST", body: values });
      window.location.assign(target);
    },
    "Sign in",
  );
  main.replaceChildren(
    el("h1", { text: "Sign in to Switchboard" }),
    el("p", { class: "muted", text: "Use the email and password of your Switchboard account." }),
    login,
  );
  login.querySelector("input").focus();
  main.dataset.ready = "true";
}
