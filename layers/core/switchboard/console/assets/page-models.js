// Models: the public catalog (GET /v1/public/models) with prices, context windows, types
// and lifecycle dates, filtered by type.

import { api } from "./api.js";
import { count, el, section, select, table } from "./ui.js";

export async function render(main) {
  const models = (await api("v1/public/models")).data;
  const types = [...new Set(models.map((m) => m.type))].sort();
  const holder = el("div", { id: "model-list" });
  const filter = select("Type", "type", ["all", ...types]);
  const show = () => {
    const type = filter.querySelector("select").value;
    holder.replaceChildren(modelTable(models.filter((m) => type === "all" || m.type === type)));
  };
  filter.querySelector("select").addEventListener("change", show);
  main.append(
    el("p", { class: "muted",
      text: "Prices are USD per million tokens (video: per second). A request's cost is " +
        "ceil(prompt tokens × input price + completion tokens × output price) micro-USD." }),
    section("Catalog", filter, holder),
  );
  show();
}

function price(n) {
  return n === undefined ? "" : `$${Number(n).toFixed(n >= 1 ? 2 : 4)}`;
}

function modelTable(models) {
  return table(
    [
      { label: "Model", value: (m) => el("code", { text: m.id }) },
      { label: "Name", value: (m) => m.name },
      { label: "Type", value: (m) => m.type },
      { label: "Input / M", value: (m) => price(m.inputPricePerMTokens) },
      { label: "Output / M", value: (m) => price(m.outputPricePerMTokens) },
      { label: "Per second", value: (m) => price(m.pricePerSecond) },
      { label: "Batch discount", value: (m) => `${Math.round((m.batchDiscount || 0) * 100)}%` },
      { label: "Context", value: (m) => (m.contextWindow ? count(m.contextWindow) : "") },
      { label: "Deprecated", value: (m) => m.deprecated_at },
      { label: "Retired", value: (m) => m.retired_at },
      { label: "Successor", value: (m) => m.successor },
    ],
    models,
    "Models",
  );
}
