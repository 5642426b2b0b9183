// Bar charts as inline SVG: no library. Each chart is an image with a text alternative
// (role="img", a <title> and <desc>) and a value on every bar's own <title> tooltip.

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// barChart({title, labels, values, format}) -> <figure> holding the SVG and a caption.
// `summed`: the caption gives the total (spend, tokens), else the highest value (latency).
export function barChart({ title, labels, values, format = String, height = 200, id, summed = true }) {
  const width = Math.max(320, Math.min(760, 60 + labels.length * 48));
  const pad = { top: 16, right: 12, bottom: 42, left: 64 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = Math.max(...values, 0) || 1;
  const total = values.reduce((a, b) => a + b, 0);
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart",
    "aria-labelledby": `${id}-t ${id}-d`, "data-total": String(total),
    "data-points": String(values.length),
  });
  root.append(svg("title", { id: `${id}-t` }, title));
  const summary = labels.map((l, i) => `${l}: ${format(values[i])}`).join("; ");
  root.append(svg("desc", { id: `${id}-d` }, summary || "No data in this period."));
  for (const tick of [0, 0.5, 1]) {
    const y = pad.top + plotH * (1 - tick);
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: "grid" }));
    root.append(svg("text", { x: pad.left - 6, y: y + 4, class: "axis", "text-anchor": "end" },
      format(max * tick)));
  }
  const step = plotW / Math.max(labels.length, 1);
  const every = Math.ceil(labels.length / 12);
  labels.forEach((label, i) => {
    const h = (values[i] / max) * plotH;
    const x = pad.left + i * step + step * 0.15;
    const bar = svg("rect", {
      x, y: pad.top + plotH - h, width: step * 0.7, height: Math.max(h, values[i] ? 1 : 0),
      class: "bar",
    });
    bar.append(svg("title", {}, `${label}: ${format(values[i])}`));
    root.append(bar);
    if (i % every === 0) {
      root.append(svg("text", { x: x + step * 0.35, y: height - pad.bottom + 16, class: "axis",
        "text-anchor": "middle" }, shorten(label)));
    }
  });
  if (!labels.length) {
    root.append(svg("text", { x: width / 2, y: height / 2, class: "axis", "text-anchor": "middle" },
      "No data in this period"));
  }
  const figure = document.createElement("figure");
  figure.className = "chart-box";
  figure.id = id;
  const caption = document.createElement("figcaption");
  caption.textContent = summed ? `${title} — total ${format(total)}`
    : `${title} — highest ${format(Math.max(...values, 0))}`;
  figure.append(root, caption);
  return figure;
}

function shorten(label) {
  const text = String(label);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text.slice(5);
  return text.length > 14 ? `${text.slice(0, 13)}…` : text;
}

// Days from `start` to `end` (YYYY-MM-DD, inclusive), each with its value or 0.
export function daily(start, end, valueOf) {
  const labels = [];
  const values = [];
  for (let t = Date.parse(start); t <= Date.parse(end); t += 86400000) {
    const day = new Date(t).toISOString().slice(0, 10);
    labels.push(day);
    values.push(valueOf(day) || 0);
  }
  return { labels, values };
}
