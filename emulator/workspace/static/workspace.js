// ccflink's browser workspace: cells of SQL run through the engine's API, side panels over
// the catalog, statements and topics. Plain DOM; the server does all the SQL work.
"use strict";

const POLL_MS = 400;
const STATEMENTS_REFRESH_MS = 3000;
const DONE = new Set(["COMPLETED", "FAILED", "STOPPED"]);
const cells = [];
let panel = "tables";

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
  cell.textarea.addEventListener("input", () => renderGutter(cell));
  cell.textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); runCell(cell); }
  });
  $(".run", node).addEventListener("click", () => runCell(cell));
  $(".stop", node).addEventListener("click", () => stopCell(cell));
  $(".remove", node).addEventListener("click", () => {
    cells.splice(cells.indexOf(cell), 1);
    node.remove();
  });
  const index = after === null ? cells.length : cells.indexOf(after) + 1;
  cells.splice(index, 0, cell);
  const next = cells[index + 1];
  $("#cells").insertBefore(node, next ? next.node : null);
  renderGutter(cell);
  return cell;
}

function setCells(texts) {
  cells.splice(0).forEach((cell) => cell.node.remove());
  (texts.length ? texts : [""]).forEach((text) => addCell(text));
}

function showRun(cell, run) {
  cell.run = run;
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
        s.detail ? el("pre", {}, s.detail) : "",
        el("pre", {}, s.sql.length > 300 ? `${s.sql.slice(0, 300)}…` : s.sql),
        el("div", { class: "actions" }, act("Stop", "POST", `${path}/stop`),
          act("Resume", "POST", `${path}/resume`), act("Delete", "DELETE", path),
          el("button", { onclick: () => showStatement(s.name) }, "Exceptions")));
    });
  },
  async topic() { return null; },
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

// --- start --------------------------------------------------------------------------------

async function start() {
  $("#add-cell").addEventListener("click", () => addCell());
  $("#run-all").addEventListener("click", runAll);
  $("#save-workspace").addEventListener("click", () => saveWorkspace().catch((e) => say(e.message)));
  $("#download-workspace").addEventListener("click", () => download().catch((e) => say(e.message)));
  $("#new-workspace").addEventListener("click", () => { $("#workspace-name").value = `workspace-${Date.now()}`; setCells([]); });
  $("#workspace-select").addEventListener("change", (e) => e.target.value && openWorkspace(e.target.value).catch((err) => say(err.message)));
  $("#open-file").addEventListener("change", (e) => e.target.files[0] && openFile(e.target.files[0]).catch((err) => say(err.message)));
  $("#topic-form").addEventListener("submit", readTopic);
  for (const tab of document.querySelectorAll("#tabs button")) {
    tab.addEventListener("click", () => {
      panel = tab.dataset.panel;
      document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("active", b === tab));
      document.querySelectorAll(".panel").forEach((p) => p.classList.toggle("active", p.id === `panel-${panel}`));
      refreshPanel();
    });
  }
  setInterval(() => { if (panel === "statements") refreshPanel(); }, STATEMENTS_REFRESH_MS);
  const wanted = new URLSearchParams(window.location.search).get("workspace");
  const names = await listWorkspaces(wanted);
  if (wanted || names.length) {
    await openWorkspace(wanted || names[0]).catch((e) => { say(e.message); setCells([]); });
  } else {
    $("#workspace-name").value = "workspace-1";
    setCells([]);
  }
  refreshPanel();
}

start();
