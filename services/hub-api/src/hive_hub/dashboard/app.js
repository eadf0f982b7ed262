// The hub's dashboard: plain JS, no dependencies, polling the /v1 API with the user's key.
"use strict";

const KEY = "hive.hub.key";
const state = { key: sessionStorage.getItem(KEY), me: null, bot: null, pollMs: 2000, timer: null };
const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
};
const fmt = (x, d = 2) => (x === null || x === undefined ? "—" : Number(x).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }));
const time = (ms) => (ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "—");
const badge = (s) => el("span", { class: `badge s-${s || "NONE"}` }, s || "—");

async function api(path, opts = {}) {
  const res = await fetch(path, {
    ...opts,
    headers: { Authorization: `Bearer ${state.key}`, "Content-Type": "application/json", ...(opts.headers || {}) },
  });
  if (res.status === 401) { signOut("Your key was refused."); throw new Error("unauthenticated"); }
  const body = res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text();
  if (!res.ok) {
    const d = body && body.detail;
    const msg = typeof d === "string" ? d : d && d.problems ? d.problems.join("; ") : JSON.stringify(d);
    throw new Error(`${res.status}: ${msg}`);
  }
  return body;
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  state.key = null;
  clearTimeout(state.timer);
  $("#app").hidden = true; $("#logout").hidden = true; $("#login").hidden = false;
  $("#login-error").textContent = message || "";
}

async function signIn() {
  try {
    state.me = await api("/v1/me");
  } catch (e) { return; }
  const health = await api("/v1/health").catch(() => null);
  if (health) state.pollMs = health.poll_ms;
  $("#who").textContent = `${state.me.name} (${state.me.role})`;
  $("#login").hidden = true; $("#app").hidden = false; $("#logout").hidden = false;
  const operator = state.me.role !== "viewer";
  $("#controls").hidden = !operator;
  $("#global-controls").hidden = !operator;
  for (const b of document.querySelectorAll("[data-admin]")) b.hidden = state.me.role !== "admin";
  refresh();
}

// ---- bots ---------------------------------------------------------------------------------
function renderBots(bots) {
  const body = $("#bots tbody");
  body.replaceChildren(...bots.map((b) => {
    const acct = b.account;
    const room = acct ? acct.equity - acct.daily_loss_line : null;
    const tr = el("tr", { "data-bot": b.bot_id, onclick: () => selectBot(b.bot_id) },
      el("td", {}, b.display_name ? `${b.bot_id} — ${b.display_name}` : b.bot_id),
      el("td", {}, b.cell_id),
      el("td", { class: "bot-state" }, badge(b.state)),
      el("td", {}, badge(b.breaker ? b.breaker.state : "CLOSED")),
      el("td", {}, badge(b.cell_breaker ? b.cell_breaker.state : "CLOSED")),
      el("td", { class: "num" }, acct ? fmt(acct.equity) : "—"),
      el("td", { class: "num" }, acct ? fmt(acct.daily_loss) : "—"),
      el("td", { class: "num" }, room === null ? "—" : fmt(room)));
    if (b.bot_id === state.bot) tr.classList.add("selected");
    return tr;
  }));
  if (!state.bot && bots.length) selectBot(bots[0].bot_id);
}

async function selectBot(botId) {
  state.bot = botId;
  for (const tr of document.querySelectorAll("#bots tbody tr")) tr.classList.toggle("selected", tr.dataset.bot === botId);
  await renderBot();
}

async function renderBot() {
  if (!state.bot) return;
  const [bot, eq] = await Promise.all([
    api(`/v1/bots/${encodeURIComponent(state.bot)}`),
    api(`/v1/accounts/${encodeURIComponent(state.bot)}/equity?points=600`),
  ]);
  $("#bot-panel").hidden = false;
  $("#bot-title").textContent = bot.bot_id;
  $("#bot-state").replaceWith(Object.assign(badge(bot.state), { id: "bot-state" }));
  const acct = bot.account || {};
  const facts = [
    ["Cell", bot.cell_id], ["Status (registry)", bot.status], ["Mode", bot.mode],
    ["Rule set", bot.rule_set], ["Card", bot.strategy_card], ["Risk / trade", `${fmt(bot.risk_per_trade * 100)} %`],
    ["Breaker", bot.breaker ? `${bot.breaker.state} ${bot.breaker.fallback_mode} (${bot.breaker.cause || "—"})` : "CLOSED"],
    ["Equity", fmt(acct.equity)], ["Daily-loss line", fmt(acct.daily_loss_line)], ["Max-loss line", fmt(acct.max_loss_line)],
    ["Open orders", String(bot.open_orders)],
  ];
  $("#bot-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "—")]));
  $("#bot-commands").replaceChildren(...bot.recent_commands.map((c) =>
    el("li", {}, `${time(c.ts_event)} ${c.command} by ${c.actor} — ${c.outcome}`,
      c.outcome_message ? el("span", { class: "muted" }, ` (${c.outcome_message})`) : "", el("br"),
      el("span", { class: "muted" }, c.reason))));
  drawEquity(eq.series);
}

function drawEquity(series) {
  const svg = $("#equity-chart");
  const W = 720, H = 260, P = 44;
  svg.replaceChildren();
  const ns = "http://www.w3.org/2000/svg";
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    svg.append(n); return n;
  };
  if (!series.length) { add("text", { x: W / 2, y: H / 2, fill: "#8b96a5", "text-anchor": "middle" }, "no account snapshots yet"); return; }
  const ys = series.flatMap((p) => [p.equity, p.daily_loss_line, p.max_loss_line]);
  let lo = Math.min(...ys), hi = Math.max(...ys);
  if (hi - lo < 1) { hi += 1; lo -= 1; }
  const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
  const n = series.length;
  const x = (i) => P + (n === 1 ? (W - 2 * P) / 2 : (i * (W - 2 * P)) / (n - 1));
  const y = (v) => H - P / 2 - ((v - lo) / (hi - lo)) * (H - P);
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    add("line", { x1: P, x2: W - 8, y1: y(v), y2: y(v), stroke: "#2a3542" });
    add("text", { x: 4, y: y(v) + 4, fill: "#8b96a5", "font-size": 10 }, fmt(v, 0));
  }
  const path = (key) => series.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
  // Daily-loss line steps with each trading day: drawn as steps, not slopes.
  const steps = series.map((p, i) => `${i ? `L${x(i).toFixed(1)},${y(series[i - 1].daily_loss_line).toFixed(1)} L` : "M"}${x(i).toFixed(1)},${y(p.daily_loss_line).toFixed(1)}`).join(" ");
  add("path", { d: path("max_loss_line"), stroke: "#e5484d", "stroke-dasharray": "6 4", fill: "none", class: "max-loss-line" });
  add("path", { d: steps, stroke: "#e0a526", "stroke-dasharray": "4 3", fill: "none", class: "daily-loss-line" });
  add("path", { d: path("equity"), stroke: "#4aa3ff", "stroke-width": 2, fill: "none", class: "equity-line" });
  add("text", { x: P, y: H - 4, fill: "#8b96a5", "font-size": 10 }, time(series[0].ts_event));
  add("text", { x: W - 8, y: H - 4, fill: "#8b96a5", "font-size": 10, "text-anchor": "end" }, time(series[n - 1].ts_event));
}

async function control(action) {
  const reason = $("#reason").value.trim();
  const out = $("#control-result");
  if (!reason) { out.textContent = "A reason is required."; out.className = "error"; return; }
  try {
    const r = await api(`/v1/bots/${encodeURIComponent(state.bot)}/${action}`, {
      method: "POST", body: JSON.stringify({ reason, command_id: crypto.randomUUID() }),
    });
    out.className = "muted";
    out.textContent = `${r.command} sent (command ${r.command_id}); waiting for the governor…`;
    refresh();
  } catch (e) { out.className = "error"; out.textContent = e.message; }
}

async function globalControl(path, label) {
  const reason = $("#global-reason").value.trim();
  const out = $("#global-result");
  if (!reason) { out.textContent = "A reason is required."; out.className = "error"; return; }
  if (path.endsWith("kill-switch") && !confirm("Kill switch: close every position and stop all trading?")) return;
  try {
    const r = await api(path, { method: "POST", body: JSON.stringify({ reason, command_id: crypto.randomUUID() }) });
    out.className = "muted"; out.textContent = `${label} sent (command ${r.command_id})`;
  } catch (e) { out.className = "error"; out.textContent = e.message; }
}

// ---- signals, breakers ---------------------------------------------------------------------
function renderSignals(page) {
  $("#signals tbody").replaceChildren(...page.items.map((s) =>
    el("tr", { onclick: () => showSignal(s.signal_id) },
      el("td", {}, time(s.ts_event)), el("td", {}, s.source), el("td", {}, s.symbol), el("td", {}, s.direction),
      el("td", { class: "num" }, s.entry ?? "—"), el("td", { class: "num" }, s.stop_loss ?? "—"),
      el("td", {}, s.regime || "—"),
      el("td", {}, el("span", { class: "allowed" }, `${s.decisions.allowed} allowed`), " / ",
        el("span", { class: "denied" }, `${s.decisions.denied} denied`)))));
}

async function showSignal(id) {
  const s = await api(`/v1/signals/${encodeURIComponent(id)}`);
  const box = $("#signal-detail");
  box.hidden = false;
  box.replaceChildren(
    el("h3", {}, `${s.signal_id}: ${s.direction} ${s.symbol} (${s.order_type}) from ${s.source}`),
    el("p", { class: "muted" }, (s.parsed && s.parsed.raw_text) || ""),
    el("p", {}, `Regime ${s.regime || "—"}; SL ${fmt(s.market && s.market.sl_atr)} ATR; flags: ${(s.market && s.market.flag_reasons || []).join(", ") || "none"}`),
    el("ul", { class: "list" }, ...s.decisions.map((d) =>
      el("li", {}, el("b", { class: d.allowed ? "allowed" : "denied" }, d.allowed ? "ALLOWED " : "DENIED "),
        `${d.bot_id} `, el("span", { class: "reasons" }, d.reasons.join(", ") || "—"),
        d.approved_size ? ` size ${d.approved_size}` : ""))));
}

function renderBreakers(list) {
  const global = list.find((b) => b.scope_level === "GLOBAL");
  const gs = $("#global-state");
  const label = global && global.state !== "CLOSED" ? `GLOBAL ${global.state} ${global.fallback_mode}` : "GLOBAL CLOSED";
  gs.textContent = label; gs.className = `badge s-${global ? global.state : "CLOSED"}`;
  $("#breakers").replaceChildren(...list.filter((b) => b.state !== "CLOSED").map((b) =>
    el("li", {}, badge(b.state), ` ${b.scope_level} ${b.scope_id} — ${b.fallback_mode} (${b.cause || "—"}) `,
      el("span", { class: "muted" }, `${b.failure_count}/${b.failure_threshold}`))));
  if (!$("#breakers").children.length) $("#breakers").append(el("li", { class: "muted" }, "every breaker is closed"));
}

async function refresh() {
  clearTimeout(state.timer);
  if (!state.key) return;
  try {
    const [bots, signals, breakers] = await Promise.all([
      api("/v1/bots"), api("/v1/signals?limit=25"), api("/v1/breakers"),
    ]);
    renderBots(bots); renderSignals(signals); renderBreakers(breakers);
    await renderBot();
    $("#updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    $("#updated").textContent = `update failed: ${e.message}`;
  }
  if (state.key) state.timer = setTimeout(refresh, state.pollMs);
}

$("#login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.key = $("#api-key").value.trim();
  sessionStorage.setItem(KEY, state.key);
  signIn();
});
$("#logout").addEventListener("click", () => signOut());
for (const b of document.querySelectorAll("#controls button")) b.addEventListener("click", () => control(b.dataset.action));
$("#kill-switch").addEventListener("click", () => globalControl("/v1/control/kill-switch", "Kill switch"));
$("#global-resume").addEventListener("click", () => globalControl("/v1/control/resume", "Resume"));
if (state.key) signIn(); else signOut();
