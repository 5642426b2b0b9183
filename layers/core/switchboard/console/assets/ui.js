// Small DOM helpers: elements, tables, forms, alerts and number formats.

import { ApiError } from "./api.js";

// el("button", {type: "button", onclick: f}, "Text", child, ...)
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else if (name in node && !name.includes("-") && name !== "list") node[name] = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function section(title, ...children) {
  const id = `h-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return el("section", { "aria-labelledby": id }, el("h2", { id, text: title }), ...children);
}

// table([{label, value: (row) => text | Node}], rows, "caption")
export function table(columns, rows, caption) {
  if (!rows.length) return el("p", { class: "muted", text: `No ${caption.toLowerCase()} yet.` });
  const head = el("tr", {}, columns.map((c) => el("th", { scope: "col", text: c.label })));
  const body = rows.map((row) =>
    el("tr", {}, columns.map((c) => el("td", {}, cell(c.value(row))))),
  );
  return el(
    "div",
    { class: "table-wrap" },
    el("table", {}, el("caption", { text: caption }), el("thead", {}, head), el("tbody", {}, body)),
  );
}

function cell(value) {
  if (value instanceof Node) return value;
  return value === undefined || value === null || value === "" ? "—" : String(value);
}

// A labelled input: field("Name", {name: "name", required: true})
export function field(label, props = {}, tag = "input") {
  const id = props.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  const control = el(tag, { ...props, id });
  return el("div", { class: "field" }, el("label", { for: id, text: label }), control);
}

export function select(label, name, options, props = {}) {
  const choices = options.map((o) =>
    typeof o === "string" ? el("option", { value: o, text: o }) : el("option", o),
  );
  const id = `f-${name}-${Math.random().toString(36).slice(2, 7)}`;
  const control = el("select", { name, id, ...props }, choices);
  return el("div", { class: "field" }, el("label", { for: id, text: label }), control);
}

// A form whose submit runs `action(values)`; errors show in the alert area, and the submit
// button is disabled while it runs.
export function form(label, children, action, submitText = "Save") {
  const button = el("button", { type: "submit", text: submitText });
  const node = el("form", { "aria-label": label, class: "form" }, children, button);
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearAlerts();
    button.disabled = true;
    try {
      await action(Object.fromEntries(new FormData(node)), node);
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  });
  return node;
}

export function clearAlerts() {
  document.getElementById("alerts").replaceChildren();
}

// An error where it is seen: the alert region at the top (role=alert), with a dismiss button.
export function showError(error) {
  const text = error instanceof ApiError ? error.explain() : String(error.message || error);
  const kind = error instanceof ApiError ? `error status-${error.status}` : "error";
  const title = error instanceof ApiError ? `Error ${error.status}` : "Error";
  const box = el(
    "div",
    { class: `alert ${kind}`, "data-status": error.status || "" },
    el("strong", { text: `${title}: ` }),
    el("span", { text }),
    el("button", { type: "button", class: "link", text: "Dismiss", onclick: () => box.remove() }),
  );
  document.getElementById("alerts").append(box);
  return box;
}

export function notice(text) {
  const box = el("div", { class: "alert ok", role: "status" }, text);
  document.getElementById("alerts").append(box);
  setTimeout(() => box.remove(), 6000);
}

export function usd(value) {
  const n = Number(value || 0);
  const text = Math.abs(n).toFixed(n !== 0 && Math.abs(n) < 0.01 ? 6 : 2);
  return `${n < 0 ? "-" : ""}$${text}`;
}

export function count(n) {
  return Number(n || 0).toLocaleString("en-US");
}

export function when(value) {
  if (value === null || value === undefined || value === "") return "—";
  const moment = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return moment.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

export function isoDay(offsetDays = 0) {
  return new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);
}

// A copy button for a text (the key shown once).
export function copyButton(getText, label = "Copy") {
  const button = el("button", { type: "button", text: label });
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(getText());
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy (Ctrl+C)";
    }
  });
  return button;
}

// An event handler whose errors show in the alert area (buttons outside forms).
export function guarded(handler) {
  return async (event) => {
    clearAlerts();
    try {
      await handler(event);
    } catch (error) {
      showError(error);
    }
  };
}
