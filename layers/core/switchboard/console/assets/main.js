// Every page's entry: who is signed in (GET /auth/me; a 401 goes to the login page), the
// header, the admin link for admins, then the page's own module fills <main>.

import { api } from "./api.js";
import { el, showError, usd } from "./ui.js";

const page = document.body.dataset.page;
const main = document.getElementById("main");

async function start() {
  const module = await import(`./page-${page}.js`);
  if (page === "login") return module.render(main);
  const me = await api("auth/me");
  header(me);
  if (me.role === "admin") document.querySelector('[data-nav="admin"]').hidden = false;
  main.replaceChildren(el("h1", { text: document.title.split(" · ")[0] }));
  await module.render(main, { me });
  main.dataset.ready = "true";
}

function header(me) {
  const logout = el("button", { type: "button", class: "link", text: "Sign out" });
  logout.addEventListener("click", async () => {
    await api("auth/logout", { method: "POST" }).catch(() => null);
    window.location.assign("login");
  });
  document.getElementById("who").replaceChildren(
    el("span", { text: me.email }),
    el("span", { class: "badge", text: me.role }),
    el("span", { id: "balance", title: "Your balance", text: usd(me.credits_usd) }),
    logout,
  );
}

start().catch((error) => {
  showError(error);
  main.dataset.ready = "error";
});
