// ccflink's browser workspace: cells of SQL run through the engine's API, side panels over
// the catalog, statements and topics, the pipeline at a glance and evaluate / compare drawn as
// SVG. Plain DOM; the server does all the SQL work and every number (monitor.py, results/):
// this script only draws them.
"use strict";

const POLL_MS = 400;
const STATEMENTS_REFRESH_MS = 3000;
const PIPELINE_REFRESH_MS = 2000;
const SAMPLES_KEPT = 90; // the pipeline's charts show the last samples (3 minutes)
const COLORS = ["#2456d6", "#1d7a35", "#b3261e", "#8a5a00", "#7a3fb8", "#0f7c86"];
const SVG = "http://www.w3.org/2000/svg";
const DONE = new Set(["COMPLETED", "FAILED", "STOPPED"]);
// The page's cells and their runs, kept in the browser so a reload shows them again; a run is
// found again only on the workspace server that ran it (its runner id).
const DRAFT_KEY = "ccflink.workspace.draft";
const cells = [];
let panel = "tables";
let runnerId = null;

function $(selector, root = document) { return root.querySelector(selector); }

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

function say(text) { $("#message").textContent = text; }

async function api(method, path, body, raw = false) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.body = raw ? body : JSON.stringify(body);
    options.headers["Content-Type"] = raw ? "text/plain" : "application/json";
  }
  const response = await fetch(path, options);
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new Error((data && data.error) || `${method} ${path}: ${response.status}`);
  return data;
}

function table(columns, rows, opColumn = false) {
  const head = el("tr", {}, ...columns.map((c) => el("th", {}, c)));
  const body = rows.map((row) => el("tr", {}, ...row.map((value, i) => {
    if (opColumn && i === 0) {
      const sign = value.startsWith("-") ? "op-minus" : "op-plus";
      return el("td", { class: `op ${sign}` }, value);
    }
    return el("td", {}, value);
  })));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...body));
}

// --- cells --------------------------------------------------------------------------------

function renderGutter(cell, errorLine = null) {
  const count = cell.textarea.value.split("\n").length;
  const gutter = $(".gutter", cell.node);
  gutter.replaceChildren(...Array.from({ length: count }, (_, i) =>
    el("div", { class: i + 1 === errorLine ? "line error" : "line" }, i + 1)));
  cell.textarea.rows = Math.max(3, count);
}

function addCell(sql = "", after = null) {
  const node = $("#cell-template").content.firstElementChild.cloneNode(true);
  const cell = { node, textarea: $("textarea", node), run: null, timer: null };
  cell.textarea.value = sql;
  cell.textarea.addEventListener("input", () => { renderGutter(cell); saveDraft(); });
  cell.textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); runCell(cell); }
  });
  $(".run", node).addEventListener("click", () => runCell(cell));
  $(".stop", node).addEventListener("click", () => stopCell(cell));
  $(".remove", node).addEventListener("click", () => {
    cells.splice(cells.indexOf(cell), 1);
    node.remove();
    saveDraft();
  });
  const index = after === null ? cells.length : cells.indexOf(after) + 1;
  cells.splice(index, 0, cell);
  const next = cells[index + 1];
  $("#cells").insertBefore(node, next ? next.node : null);
  renderGutter(cell);
  saveDraft();
  return cell;
}

function setCells(texts) {
  cells.splice(0).forEach((cell) => cell.node.remove());
  (texts.length ? texts : [""]).forEach((text) => addCell(text));
}

function saveDraft() {
  const draft = {
    runner: runnerId,
    name: $("#workspace-name").value,
    cells: cells.map((cell) => ({ sql: cell.textarea.value, run: cell.run ? cell.run.id : null })),
  };
  localStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
}

// The cells as the page last had them; each run still on this server shown (and followed
// while it runs). False when there is no draft to restore.
function restoreDraft() {
  let draft = null;
  try { draft = JSON.parse(localStorage.getItem(DRAFT_KEY)); } catch { draft = null; }
  if (!draft || !Array.isArray(draft.cells) || !draft.cells.length) return false;
  $("#workspace-name").value = draft.name || "workspace-1";
  setCells(draft.cells.map((saved) => String(saved.sql ?? "")));
  if (draft.runner === runnerId) {
    draft.cells.forEach((saved, index) => {
      if (Number.isInteger(saved.run)) waitFor(cells[index], { id: saved.run });
    });
  }
  saveDraft();
  return true;
}

function showRun(cell, run) {
  const fresh = !cell.run || cell.run.id !== run.id;
  cell.run = run;
  if (fresh) saveDraft();
  const outputs = run.outputs || [];
  const last = outputs[outputs.length - 1];
  $(".cell-name", cell.node).textContent = outputs.map((o) => o.name).join(", ");
  const status = run.status === "COMPLETED" && last ? last.status : run.status;
  const badge = $(".cell-status", cell.node);
  badge.textContent = status;
  badge.className = `cell-status status-${status}`;
  cell.node.dataset.status = status;
  $(".stop", cell.node).disabled = DONE.has(run.status);
  $(".run", cell.node).disabled = !DONE.has(run.status);
  const error = $(".error", cell.node);
  error.hidden = !run.error;
  cell.node.classList.toggle("failed", Boolean(run.error));
  if (run.error) {
    error.textContent = `line ${run.error.line}, column ${run.error.column}: ${run.error.message}`;
    cell.node.dataset.errorLine = run.error.line;
  } else {
    delete cell.node.dataset.errorLine;
  }
  renderGutter(cell, run.error ? run.error.line : null);
  const notes = $(".notes", cell.node);
  notes.hidden = !run.notes.length;
  notes.textContent = run.notes.join("\n");
  const result = $(".result", cell.node);
  const parts = [];
  for (const output of outputs) {
    if (output.kind === "SELECT") {
      parts.push(table(["op", ...output.columns], output.changes, true));
      const count = `${output.rows.length} row(s), ${output.changes_total} change(s)`;
      parts.push(el("div", { class: "summary" }, output.message || `${count}; reading…`));
    } else {
      if (output.columns.length) parts.push(table(output.columns, output.rows));
      if (output.message) parts.push(el("div", { class: "summary" }, `[${output.name}] ${output.message}`));
    }
  }
  result.replaceChildren(...parts);
}

function waitFor(cell, run) {
  return new Promise((resolve) => {
    const poll = async () => {
      try {
        run = await api("GET", `/api/runs/${run.id}`);
      } catch (error) {
        say(error.message);
        resolve(run);
        return;
      }
      showRun(cell, run);
      if (DONE.has(run.status)) {
        refreshPanel();
        resolve(run);
      } else {
        cell.timer = setTimeout(poll, POLL_MS);
      }
    };
    poll();
  });
}

async function runCell(cell) {
  clearTimeout(cell.timer);
  $(".result", cell.node).replaceChildren();
  try {
    const run = await api("POST", "/api/runs", { sql: cell.textarea.value });
    showRun(cell, run);
    return await waitFor(cell, run);
  } catch (error) {
    say(error.message);
    return { status: "FAILED" };
  }
}

async function stopCell(cell) {
  if (cell.run) await api("POST", `/api/runs/${cell.run.id}/stop`);
}

async function runAll() {
  for (const cell of cells) {
    if (!cell.textarea.value.trim()) continue;
    const run = await runCell(cell);
    if (run.status !== "COMPLETED") { say(`Run all stopped at a ${run.status} cell`); return; }
  }
  say("Run all: every cell completed");
}

// --- workspaces ---------------------------------------------------------------------------

async function listWorkspaces(selected) {
  const { workspaces } = await api("GET", "/api/workspaces");
  const select = $("#workspace-select");
  select.replaceChildren(el("option", { value: "" }, "(open…)"), ...workspaces.map((n) => el("option", { value: n }, n)));
  select.value = workspaces.includes(selected) ? selected : "";
  return workspaces;
}

async function openWorkspace(name) {
  const data = await api("GET", `/api/workspaces/${encodeURIComponent(name)}`);
  $("#workspace-name").value = data.name;
  setCells(data.cells);
  await listWorkspaces(name);
  say(`Opened ${name}`);
}

async function saveWorkspace() {
  const name = $("#workspace-name").value.trim();
  await api("PUT", `/api/workspaces/${encodeURIComponent(name)}`, { cells: cells.map((c) => c.textarea.value) });
  await listWorkspaces(name);
  say(`Saved ${name}`);
  return name;
}

async function openFile(file) {
  const { cells: texts } = await api("POST", "/api/cells", await file.text(), true);
  $("#workspace-name").value = file.name.replace(/\.sql$/i, "").replace(/[^A-Za-z0-9_.-]/g, "-");
  setCells(texts);
  say(`Opened ${file.name}: ${texts.length} cell(s); Save keeps it in the state folder`);
}

async function download() {
  const name = await saveWorkspace();
  window.location.href = `/api/workspaces/${encodeURIComponent(name)}/file`;
}

// --- side panels --------------------------------------------------------------------------

function item(title, ...body) { return el("div", { class: "item" }, el("h3", {}, ...title), ...body); }

const count = (value) => Math.round(value).toLocaleString("en");

// A running statement's records read and written, in all and per second (Flink's meters).
function throughputLine(t) {
  if (!t || t.read === undefined) return "";
  const rate = (value) => value.toLocaleString("en", { maximumFractionDigits: 1 });
  return el("div", { class: "meta throughput" },
    `read ${count(t.read)} (${rate(t.read_per_second)}/s), written ${count(t.written)} (${rate(t.written_per_second)}/s)`);
}

// A model's endpoint calls from the running statements that score with it.
function callsLine(calls) {
  const names = Object.keys(calls || {}).filter((n) => !n.startsWith("latency_ms_")).sort();
  if (!names.length) return "";
  const mean = calls.latency_ms_mean === undefined ? "" : `, mean round trip ${calls.latency_ms_mean.toFixed(1)} ms`;
  return el("div", { class: "meta calls" }, `endpoint calls: ${names.map((n) => `${n} ${count(calls[n])}`).join(", ")}${mean}`);
}

function subjects(list) {
  return list.map((s) => `${s.subject} v${Array.isArray(s.versions) ? s.versions.join(", v") || "(none)" : s.versions}`).join("; ");
}

const PANELS = {
  async tables() {
    const { tables } = await api("GET", "/api/tables");
    return tables.map((t) => item([t.name],
      el("div", { class: "meta" }, `topic ${t.topic}, ${t.partitions} partitions; ${subjects(t.subjects)}`),
      t.watermark ? el("div", { class: "meta" }, `watermark ${t.watermark[0]} AS ${t.watermark[1]}`) : "",
      table(["column", "type", ""], t.columns.map((c) => [c.name, c.type + (c.nullable ? "" : " NOT NULL"), c.key ? "key" : ""]))));
  },
  async models() {
    const { models } = await api("GET", "/api/models");
    return models.map((m) => item([m.name, el("span", { class: "meta" }, `default v${m.default_version}`)],
      callsLine(m.calls),
      ...m.versions.map((v) => el("div", { class: "meta" }, el("b", {}, `v${v.version}`),
        ` in (${v.inputs.join(", ")}) out (${v.outputs.join(", ")})`,
        el("pre", {}, Object.entries(v.options).map(([k, val]) => `${k} = ${val}`).join("\n"))))));
  },
  async connections() {
    const { connections } = await api("GET", "/api/connections");
    return connections.map((c) => item([c.name, el("span", { class: "meta" }, c.type)],
      el("div", { class: "meta" }, `endpoint ${c.endpoint}`), el("div", { class: "meta" }, `api-key ${c.api_key}`)));
  },
  async statements() {
    const { statements } = await api("GET", "/api/statements");
    return statements.map((s) => {
      const act = (label, method, path) => el("button", { onclick: async () => {
        try { await api(method, path); } catch (error) { say(error.message); }
        refreshPanel();
      } }, label);
      const path = `/api/statements/${encodeURIComponent(s.name)}`;
      return el("div", { class: "item statement", "data-name": s.name, "data-status": s.status },
        el("h3", {}, el("span", { class: `cell-status status-${s.status}` }, s.status), s.name),
        el("div", { class: "meta" }, `${s.created_at}${s.job_id ? `, job ${s.job_id}` : ""}`),
        throughputLine(s.throughput),
        s.detail ? el("pre", {}, s.detail) : "",
        el("pre", {}, s.sql.length > 300 ? `${s.sql.slice(0, 300)}…` : s.sql),
        el("div", { class: "actions" }, act("Stop", "POST", `${path}/stop`),
          act("Resume", "POST", `${path}/resume`), act("Delete", "DELETE", path),
          el("button", { onclick: () => showStatement(s.name) }, "Exceptions")));
    });
  },
  async topic() { return null; },
  async pipeline() { await samplePipeline(); return null; },
  async quality() { return null; },
};

async function showStatement(name) {
  try {
    const detail = await api("GET", `/api/statements/${encodeURIComponent(name)}`);
    const lines = detail.exceptions.map((e) => e.message).join("\n\n") || "No exceptions.";
    const node = document.querySelector(`.statement[data-name="${CSS.escape(name)}"]`);
    if (node) node.append(el("pre", { class: "exceptions" }, lines));
  } catch (error) { say(error.message); }
}

async function refreshPanel() {
  const target = $(`#panel-${panel}`);
  try {
    const content = await PANELS[panel]();
    if (content !== null) target.replaceChildren(...(content.length ? content : [el("div", { class: "meta" }, `No ${panel} yet.`)]));
  } catch (error) {
    target.replaceChildren(el("div", { class: "meta" }, error.message));
  }
}

async function readTopic(event) {
  event.preventDefault();
  const topic = $("#topic-name").value.trim();
  const out = $("#topic-messages");
  out.replaceChildren(el("div", { class: "meta" }, "reading…"));
  try {
    const count = $("#topic-count").value || "20";
    const { messages } = await api("GET", `/api/topics/${encodeURIComponent(topic)}/messages?count=${encodeURIComponent(count)}`);
    out.replaceChildren(el("div", { class: "meta" }, `${messages.length} latest record(s) of ${topic}`),
      ...messages.map((m) => el("div", { class: "item" }, el("div", { class: "meta" }, `partition ${m.partition}, offset ${m.offset}`),
        el("pre", {}, JSON.stringify({ key: m.key, value: m.value }, null, 1)))));
  } catch (error) {
    out.replaceChildren(el("div", { class: "meta" }, error.message));
  }
}

// --- charts (SVG) -------------------------------------------------------------------------

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

function short(value) {
  if (value === null || value === undefined) return "-";
  if (Math.abs(value) >= 1000) return value.toLocaleString("en", { maximumFractionDigits: 0 });
  return value.toLocaleString("en", { maximumFractionDigits: Math.abs(value) < 10 ? 2 : 1 });
}

// A line chart over the last samples: one line per series (gaps where a value is unknown).
function lineChart(title, series, unit = "") {
  const width = 390, height = 96, left = 48, top = 6, bottom = 14;
  const known = series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined));
  const high = Math.max(...known, 0) || 1;
  // Time runs right to left from "now": the newest sample at the right edge.
  const x = (i, length) => width - 4 - ((length - 1 - i) * (width - left - 4)) / (SAMPLES_KEPT - 1);
  const y = (v) => top + (1 - v / high) * (height - top - bottom);
  const lines = series.map((s, n) => {
    const runs = [[]];
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) runs.push([]);
      else runs[runs.length - 1].push(`${x(i, s.values.length).toFixed(1)},${y(v).toFixed(1)}`);
    });
    return runs.filter((r) => r.length).map((r) => svg(r.length === 1 ? "circle" : "polyline",
      r.length === 1 ? { cx: r[0].split(",")[0], cy: r[0].split(",")[1], r: 2, fill: COLORS[n % COLORS.length], class: "series" }
        : { points: r.join(" "), fill: "none", stroke: COLORS[n % COLORS.length], "stroke-width": 1.5, class: "series" }));
  }).flat();
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title },
    svg("line", { x1: left, x2: width - 4, y1: y(high), y2: y(high), class: "grid" }),
    svg("line", { x1: left, x2: width - 4, y1: y(0), y2: y(0), class: "grid" }),
    svg("text", { x: left - 4, y: y(high) + 4, "text-anchor": "end" }, short(high) + unit),
    svg("text", { x: left - 4, y: y(0) + 3, "text-anchor": "end" }, "0"),
    svg("text", { x: left, y: height - 2 }, `${SAMPLES_KEPT} samples ago`),
    svg("text", { x: width - 4, y: height - 2, "text-anchor": "end" }, "now"),
    ...lines);
  const keys = series.map((s, n) => el("span", { class: "key" },
    el("span", { class: "swatch", style: `background:${COLORS[n % COLORS.length]}` }),
    `${s.name} ${short(s.values[s.values.length - 1])}${unit}`));
  return el("div", { class: "chart" }, el("h4", {}, title, ...keys), chart);
}

// A histogram from the server's bins (edges, counts): one bar per bin.
function histogramChart(title, bins, color) {
  const width = 190, height = 90, left = 4, top = 6, bottom = 14;
  const high = Math.max(...bins.counts, 1);
  const step = (width - left * 2) / bins.counts.length;
  const bars = bins.counts.map((n, i) => {
    const h = (n / high) * (height - top - bottom);
    return svg("rect", { x: (left + i * step + 0.5).toFixed(1), y: (height - bottom - h).toFixed(1),
      width: (step - 1).toFixed(1), height: h.toFixed(1), fill: color, class: "bar" },
    svg("title", {}, `${short(bins.edges[i])}–${short(bins.edges[i + 1])}: ${n}`));
  });
  const total = bins.counts.reduce((a, b) => a + b, 0);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title },
    svg("line", { x1: left, x2: width - left, y1: height - bottom, y2: height - bottom, class: "grid" }),
    svg("text", { x: left, y: height - 2 }, short(bins.edges[0])),
    svg("text", { x: width - left, y: height - 2, "text-anchor": "end" }, short(bins.edges[bins.edges.length - 1])),
    ...bars);
  const missing = bins.missing ? `, ${bins.missing} without a score` : "";
  const key = `${total} rows, highest bin ${short(high)}${missing}`;
  return el("div", { class: "chart" }, el("h4", {}, title), chart, el("div", { class: "meta" }, key));
}

// A confusion matrix: counts as the server gave them, shaded by size.
function confusionTable(rowTitle, colTitle, rowLabels, colLabels, matrix) {
  const high = Math.max(1, ...matrix.flat());
  const head = el("tr", {}, el("th", {}, `${rowTitle} \\ ${colTitle}`), ...colLabels.map((c) => el("th", {}, String(c))));
  const rows = rowLabels.map((r, i) => el("tr", {}, el("th", {}, String(r)), ...matrix[i].map((n) =>
    el("td", { class: "count", style: `background: rgba(36, 86, 214, ${(0.08 + 0.6 * n / high).toFixed(2)})` }, n.toLocaleString("en")))));
  return el("table", { class: "confusion" }, el("thead", {}, head), el("tbody", {}, ...rows));
}

// --- the pipeline at a glance -------------------------------------------------------------

const pipelineSamples = [];
let pipelineQuery = "";

async function samplePipeline() {
  const view = $("#pipeline-view");
  let sample;
  try {
    sample = await api("GET", `/api/pipeline${pipelineQuery}`);
  } catch (error) {
    view.replaceChildren(el("div", { class: "errors" }, error.message));
    return;
  }
  const last = pipelineSamples[pipelineSamples.length - 1];
  if (!last || last.taken_at !== sample.taken_at) pipelineSamples.push(sample);
  pipelineSamples.splice(0, pipelineSamples.length - SAMPLES_KEPT);
  drawPipeline(view, sample);
}

function drawPipeline(view, sample) {
  const samples = pipelineSamples;
  const topics = sample.topics.map((t, n) => ({
    name: t.short_name,
    values: samples.map((s) => (s.topics[n] && s.topics[n].topic === t.topic ? s.topics[n].rate : null)),
  }));
  const rate = sample.flag_rate === null ? "-" : `${(100 * sample.flag_rate).toFixed(2)}%`;
  const counts = table(["topic", "records", "rate", "what"], sample.topics.map((t) =>
    [t.topic, short(t.total), t.rate === null ? "-" : `${short(t.rate)}/s`, t.what]));
  counts.classList.add("topic-counts");
  view.replaceChildren(
    counts,
    el("div", { class: "figures" },
      el("b", {}, `${sample.flagged_as} rate ${rate}`),
      `${sample.flagged.toLocaleString("en")} of ${sample.predictions_read.toLocaleString("en")} predictions read`),
    lineChart("records per second", topics, "/s"),
    lineChart(`${sample.flagged_as} rate`, [{ name: sample.predictions_topic, values: samples.map((s) => s.flag_rate === null ? null : 100 * s.flag_rate) }], "%"),
    lineChart("endpoint round-trip (probe: GET /)", [
      { name: "last", values: samples.map((s) => s.latency.error ? null : s.latency.last_ms) },
      { name: "p95", values: samples.map((s) => s.latency.p95_ms) }], " ms"),
    lineChart("errors", [{ name: "now", values: samples.map((s) => s.errors.length) }]),
    el("div", { class: "figures" }, `statements: ${Object.entries(sample.statements).map(([k, n]) => `${n} ${k}`).join(", ") || "none"}; `
      + `services: ${sample.services_total - sample.services_down.length}/${sample.services_total} healthy`),
    sample.errors.length ? el("div", { class: "errors" }, sample.errors.join("\n")) : "");
}

function watchPipeline(event) {
  event.preventDefault();
  const params = new URLSearchParams();
  $("#pipeline-topics").value.split(",").map((t) => t.trim()).filter(Boolean).forEach((t) => params.append("topic", t));
  if ($("#pipeline-predictions").value.trim()) params.set("predictions_topic", $("#pipeline-predictions").value.trim());
  if ($("#pipeline-flag").value.trim()) params.set("flag_column", $("#pipeline-flag").value.trim());
  pipelineQuery = params.toString() ? `?${params}` : "";
  pipelineSamples.length = 0;
  samplePipeline();
}

// --- evaluate / compare -------------------------------------------------------------------

function metricsLine(metrics) {
  return el("div", { class: "figures" }, ...["Accuracy", "Precision", "Recall", "F1", "AUC"].map((name) =>
    el("b", {}, `${name} ${metrics[name] === null ? "n/a" : metrics[name].toFixed(4)}`)));
}

function showEvaluation(data) {
  const parts = [el("div", { class: "meta" }, `${data.rows.toLocaleString("en")} rows of ${data.topic}`)];
  for (const [version, m] of Object.entries(data.metrics)) {
    parts.push(el("h3", {}, version === "all" ? "Metrics" : `Version ${version}`), metricsLine(m),
      confusionTable(`${data.label}`, `${data.prediction}`, [0, 1], [0, 1], [[m.tn, m.fp], [m.fn, m.tp]]),
      el("div", { class: "meta" }, `${m.rows.toLocaleString("en")} rows evaluated, ${m.skipped} skipped (no 0/1 label or prediction)`));
  }
  const labels = Object.entries(data.scores);
  parts.push(el("h3", {}, `${data.probability} by ${data.label}`),
    el("div", { class: "charts-row" }, ...labels.map(([label, bins], n) =>
      histogramChart(`${data.label} = ${label}`, bins, COLORS[n % COLORS.length]))));
  $("#quality-view").replaceChildren(...parts);
}

function showComparison(data) {
  const agreement = data.agreement === null ? "n/a" : `${(100 * data.agreement).toFixed(2)}%`;
  const field = data.cloud_field === data.field ? data.field : `${data.field} = ${data.cloud_field}`;
  const scoreDiffs = data.numeric.find((n) => n.field === data.probability);
  const parts = [
    el("div", { class: "figures" }, el("b", {}, `agreement ${agreement}`),
      `${data.passed ? "passes" : "below"} ${data.min_agreement}; ${data.matched.toLocaleString("en")} keys matched, `
      + `${data.only_local} only local, ${data.only_cloud} only in ${data.cloud_file}`),
    el("div", { class: "meta" }, `compared ${field} on ${data.key}${data.field_reason ? ` (${data.field_reason})` : ""}`),
    el("h3", {}, "Confusion: local vs cloud"),
    confusionTable("local", "cloud", data.confusion.local_labels, data.confusion.cloud_labels, data.confusion.matrix),
    el("h3", {}, `${data.probability}: local and cloud`),
    el("div", { class: "charts-row" },
      histogramChart(`local (${data.local_topic})`, data.scores.local, COLORS[0]),
      histogramChart(`cloud (${data.cloud_file})`, data.scores.cloud, COLORS[1])),
    el("h3", {}, `Rows that differ: ${data.mismatch_count.toLocaleString("en")}`),
    table([data.key, `local ${data.field}`, `cloud ${data.cloud_field}`], data.mismatches.map((m) => [m.key, m.local, m.cloud])),
  ];
  if (scoreDiffs && scoreDiffs.largest.length) {
    parts.push(el("h3", {}, `Largest ${data.probability} differences (${scoreDiffs.differing} rows differ)`),
      table([data.key, "local", "cloud", "|difference|"], scoreDiffs.largest.map((d) => [d.key, d.local, d.cloud, d.abs_diff.toExponential(2)])));
  }
  $("#quality-view").replaceChildren(...parts);
}

async function runQuality(event, request, show) {
  event.preventDefault();
  const view = $("#quality-view");
  view.replaceChildren(el("div", { class: "meta" }, "reading the topic…"));
  try { show(await request()); } catch (error) { view.replaceChildren(el("div", { class: "errors" }, error.message)); }
}

async function postForm(path, form) {
  const data = new FormData(form);
  for (const [name, value] of [...data.entries()]) if (value === "") data.delete(name);
  const response = await fetch(path, { method: "POST", body: data });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `POST ${path}: ${response.status}`);
  return body;
}

// --- start --------------------------------------------------------------------------------

async function start() {
  $("#add-cell").addEventListener("click", () => addCell());
  $("#run-all").addEventListener("click", runAll);
  $("#save-workspace").addEventListener("click", () => saveWorkspace().catch((e) => say(e.message)));
  $("#download-workspace").addEventListener("click", () => download().catch((e) => say(e.message)));
  $("#new-workspace").addEventListener("click", () => { $("#workspace-name").value = `workspace-${Date.now()}`; setCells([]); });
  $("#workspace-name").addEventListener("input", saveDraft);
  $("#workspace-select").addEventListener("change", (e) => e.target.value && openWorkspace(e.target.value).catch((err) => say(err.message)));
  $("#open-file").addEventListener("change", (e) => e.target.files[0] && openFile(e.target.files[0]).catch((err) => say(err.message)));
  $("#topic-form").addEventListener("submit", readTopic);
  $("#pipeline-form").addEventListener("submit", watchPipeline);
  $("#evaluate-form").addEventListener("submit", (e) => runQuality(e,
    () => api("POST", "/api/evaluate", { topic: $("#evaluate-topic").value.trim() }), showEvaluation));
  $("#compare-form").addEventListener("submit", (e) => runQuality(e,
    () => postForm("/api/compare", e.target), showComparison));
  for (const tab of document.querySelectorAll("#tabs button")) {
    tab.addEventListener("click", () => {
      panel = tab.dataset.panel;
      document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("active", b === tab));
      document.querySelectorAll(".panel").forEach((p) => p.classList.toggle("active", p.id === `panel-${panel}`));
      refreshPanel();
    });
  }
  setInterval(() => { if (panel === "statements") refreshPanel(); }, STATEMENTS_REFRESH_MS);
  setInterval(() => { if (panel === "pipeline") samplePipeline(); }, PIPELINE_REFRESH_MS);
  runnerId = (await api("GET", "/api/health")).runner;
  const wanted = new URLSearchParams(window.location.search).get("workspace");
  const names = await listWorkspaces(wanted);
  if (!wanted && restoreDraft()) {
    say("Restored the cells and runs this page had");
  } else if (wanted || names.length) {
    await openWorkspace(wanted || names[0]).catch((e) => { say(e.message); setCells([]); });
  } else {
    $("#workspace-name").value = "workspace-1";
    setCells([]);
  }
  refreshPanel();
}

start();
