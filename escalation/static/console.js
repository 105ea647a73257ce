// Agent console: login, live queue over a WebSocket, accept with browser audio, wrap-up,
// tickets and callbacks. No framework; state lives in `state`, the DOM is re-rendered from it.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const state = { me: null, csrf: "", waiting: new Map(), active: new Map(), agents: new Map(), ws: null, audio: null };
const RANK = { urgent: 0, complaint: 1, normal: 2 };

async function api(method, path, body) {
  const headers = { "X-CSRF-Token": state.csrf };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  const data = res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text();
  if (!res.ok) throw Object.assign(new Error(data.error || res.statusText), { status: res.status });
  return data;
}

function fmtTime(epoch) { return epoch ? new Date(epoch * 1000).toLocaleString() : ""; }

// ---- login ---------------------------------------------------------------------------
async function start() {
  try {
    const me = await api("GET", "/api/me");
    enter(me);
  } catch (err) {
    $("#login").hidden = false;
    $("#app").hidden = true;
  }
}

$("#login-form")?.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("#login-error").textContent = "";
  try {
    enter(await api("POST", "/api/login", { username: $("#username").value, password: $("#password").value }));
  } catch (err) {
    $("#login-error").textContent = err.status === 401 ? "Wrong username or password." : err.message;
  }
});

function enter(me) {
  state.me = me.agent;
  state.csrf = me.csrf;
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#who").textContent = `${me.agent.display_name} (${me.agent.role})`;
  $("#presence").value = ["available", "busy", "away"].includes(me.agent.presence) ? me.agent.presence : "available";
  for (const node of document.querySelectorAll(".supervisor-only")) node.hidden = me.agent.role !== "supervisor";
  for (const node of document.querySelectorAll(".designer-only")) node.hidden = me.agent.role !== "designer";
  // The login form stood in for another page (/console/review, /console/analytics): show it now.
  if (location.pathname !== "/console") return location.reload();
  connect();
}

$("#logout").addEventListener("click", async () => {
  await api("POST", "/api/logout").catch(() => {});
  location.reload();
});

$("#presence").addEventListener("change", (ev) => api("PUT", "/api/me/presence", { presence: ev.target.value }));

// ---- live queue ----------------------------------------------------------------------
function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/console/ws`);
  state.ws = ws;
  ws.onopen = () => { $("#live").textContent = "live"; $("#live").className = "live on"; };
  ws.onclose = (ev) => {
    $("#live").textContent = "offline"; $("#live").className = "live off";
    if (ev.code === 4401) return location.reload();
    setTimeout(connect, 1500);
  };
  ws.onmessage = (ev) => handleEvent(JSON.parse(ev.data));
}

function handleEvent(event) {
  if (event.type === "snapshot") {
    state.waiting = new Map(event.waiting.map((e) => [e.call_id, e]));
    state.active = new Map(event.active.map((e) => [e.call_id, e]));
    state.agents = new Map(event.agents.map((a) => [a.username, a]));
    renderQueue(); renderMine(); renderAgents();
  } else if (event.type === "entry") {
    const entry = event.entry;
    state.waiting.delete(entry.call_id); state.active.delete(entry.call_id);
    (entry.state === "waiting" ? state.waiting : state.active).set(entry.call_id, entry);
    renderQueue(entry.call_id); renderMine();
  } else if (event.type === "removed") {
    state.waiting.delete(event.call_id); state.active.delete(event.call_id);
    if (state.audio?.callId === event.call_id) stopAudio();
    renderQueue(); renderMine();
  } else if (event.type === "agent") {
    state.agents.set(event.agent.username, event.agent);
    if (event.agent.username === state.me.username && event.agent.presence !== "offline") {
      $("#presence").value = event.agent.presence;
    }
    renderAgents();
  } else if (event.type === "ticket" || event.type === "callback") {
    const kind = event.type + "s";
    if (!$(`#tab-${kind}`).hidden) loadRecords(kind);
  }
}

function ordered(map) {
  return [...map.values()].sort((a, b) => (RANK[a.priority] - RANK[b.priority]) || (a.seq - b.seq));
}

function factsOf(entry) {
  const c = entry.context;
  const facts = [["Call", c.call_id], ["Reason", c.reason.replaceAll("_", " ")],
    ["Last intent", c.last_intent ? `${c.last_intent} (${Math.round(c.confidence * 100)}%)` : "none"]];
  for (const [k, v] of Object.entries(c.slots || {})) if (v !== null && v !== "") facts.push([k.replaceAll("_", " "), String(v)]);
  if (entry.skills.length) facts.push(["Skills", entry.skills.join(", ")]);
  if (entry.requeues) facts.push(["Requeued", `${entry.requeues}x`]);
  return facts;
}

function entryNode(entry, flash) {
  const node = $("#entry-template").content.firstElementChild.cloneNode(true);
  const c = entry.context;
  node.dataset.callId = entry.call_id;
  node.dataset.enqueuedAt = entry.enqueued_at;
  $(".badge", node).textContent = entry.priority;
  $(".badge", node).classList.add(entry.priority);
  $(".caller", node).textContent = c.caller || "unknown number";
  $(".channel", node).textContent = c.channel;
  $(".summary", node).textContent = c.summary;
  for (const [k, v] of factsOf(entry)) $(".facts", node).append(el("dt", { textContent: k }), el("dd", { textContent: v }));
  for (const line of c.transcript || []) {
    $(".transcript", node).append(el("li", { className: line.speaker, textContent: `${line.speaker}: ${line.text}` }));
  }
  $(".accept", node).addEventListener("click", () => accept(entry.call_id));
  $(".accept", node).disabled = state.audio !== null;
  if (flash) node.classList.add("flash");
  return node;
}

function renderQueue(changedId) {
  const list = $("#queue");
  const entries = ordered(state.waiting);
  list.replaceChildren(...entries.map((e) => entryNode(e, e.call_id === changedId)));
  $("#queue-count").textContent = entries.length;
  $("#queue-empty").hidden = entries.length > 0;
  tick();
}

function tick() {
  const now = Date.now() / 1000;
  for (const node of document.querySelectorAll(".entry")) {
    $(".waited", node).textContent = fmtClock(now - Number(node.dataset.enqueuedAt));
  }
}
setInterval(tick, 1000);

// ---- my calls: accept, audio, hang up, hand back, wrap-up -------------------------------
function renderMine() {
  const mine = ordered(state.active).filter((e) => e.agent_id === state.me?.username);
  $("#my-calls").replaceChildren(...mine.map((entry) => {
    const c = entry.context;
    const notes = el("textarea", { placeholder: "Wrap-up notes", className: "notes" });
    const disposition = el("select", { className: "disposition" },
      ...["resolved", "ticket_created", "callback_needed", "handed_back", "caller_hung_up", "other"]
        .map((d) => el("option", { value: d, textContent: d.replaceAll("_", " ") })));
    const button = (label, fn, cls = "") => {
      const b = el("button", { textContent: label, className: cls });
      b.addEventListener("click", fn);
      return b;
    };
    const actions = el("div", { className: "actions" });
    if (entry.state !== "wrap_up") {
      actions.append(button("Hang up", () => act(entry.call_id, "hang-up"), "secondary"),
        button("Hand back to bot", () => act(entry.call_id, "hand-back"), "secondary"));
    }
    actions.append(disposition, button("Wrap up", () => act(entry.call_id, "wrap-up",
      { notes: notes.value, disposition: disposition.value })));
    const status = state.audio?.callId === entry.call_id ? state.audio.status : entry.state;
    return el("div", { className: "mine" },
      el("div", { className: "entry-head" }, el("span", { className: `badge ${entry.priority}`, textContent: entry.priority }),
        el("strong", { textContent: c.caller || "unknown number" }), el("span", { className: "muted", textContent: status })),
      el("p", { className: "summary", textContent: c.summary }), notes, actions);
  }));
}

async function accept(callId) {
  try {
    await api("POST", `/api/queue/${encodeURIComponent(callId)}/accept`);
    await startAudio(callId);
  } catch (err) {
    alert(`Could not take the call: ${err.message}`);
  }
}

async function act(callId, action, body) {
  try {
    if (action !== "wrap-up") stopAudio();
    await api("POST", `/api/queue/${encodeURIComponent(callId)}/${action}`, body);
    if (action === "wrap-up") stopAudio();
  } catch (err) {
    alert(err.message);
  }
}

// Audio: microphone -> 16 kHz PCM16 frames of 20 ms -> socket; socket -> scheduled playback.
async function startAudio(callId) {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/console/audio/${encodeURIComponent(callId)}`);
  ws.binaryType = "arraybuffer";
  const audio = { callId, ws, status: "connecting", ctx: null, stream: null, playAt: 0, received: 0, sent: 0, peak: 0, samples: 0 };
  state.audio = audio;
  window.consoleAudio = audio;  // for diagnostics and the browser test
  ws.onopen = async () => {
    audio.status = "connected";
    renderMine();
    try {
      audio.ctx = new AudioContext({ sampleRate: 16000 });
      audio.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
      sendMicrophone(audio, audio.stream, ws);
    } catch (err) {
      audio.status = `no microphone: ${err.message}`;
      renderMine();
    }
  };
  ws.onmessage = (ev) => {
    if (typeof ev.data === "string") {
      const info = JSON.parse(ev.data);
      if (!info.bridged) { audio.status = "connected (no audio bridge)"; renderMine(); }
      return;
    }
    audio.received++;
    playPcm(audio, new Int16Array(ev.data));
  };
  ws.onclose = () => { if (state.audio === audio) { audio.status = "audio ended"; renderMine(); } };
}

function stopAudio() {
  const audio = state.audio;
  if (!audio) return;
  state.audio = null;
  audio.stream?.getTracks().forEach((t) => t.stop());
  audio.ctx?.close();
  audio.ws.close();
}

// ---- tickets, callbacks, agents --------------------------------------------------------
for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => {
    for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t === tab);
    for (const pane of document.querySelectorAll(".tabpane")) pane.hidden = pane.id !== `tab-${tab.dataset.tab}`;
    if (tab.dataset.tab === "tickets" || tab.dataset.tab === "callbacks") loadRecords(tab.dataset.tab);
    if (tab.dataset.tab === "audit") loadAudit();
  });
}

for (const form of document.querySelectorAll(".filters")) {
  form.addEventListener("submit", (ev) => { ev.preventDefault(); loadRecords(form.dataset.kind); });
}

function filterQuery(kind) {
  const form = $(`.filters[data-kind="${kind}"]`);
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (v) params.set(k, v);
  $(`a.csv[data-kind="${kind}"]`).href = `/api/${kind}.csv?${params}`;
  return params.toString();
}

async function loadRecords(kind) {
  const data = await api("GET", `/api/${kind}?${filterQuery(kind)}`);
  const statuses = kind === "tickets" ? ["open", "in_progress", "resolved", "closed"] : ["open", "scheduled", "done", "cancelled"];
  const rows = data[kind].map((r) => {
    const id = kind === "tickets" ? r.reference : r.id;
    const select = el("select", {}, ...statuses.map((s) => el("option", { value: s, textContent: s, selected: s === r.status })));
    select.addEventListener("change", () => api("PATCH", `/api/${kind}/${encodeURIComponent(id)}`, { status: select.value }).catch((e) => alert(e.message)));
    const cells = kind === "tickets"
      ? [id, fmtTime(r.created_at), r.category, r.description, r.account_reference || "", r.notes || ""]
      : [id, fmtTime(r.created_at), r.number, r.priority, r.summary];
    return el("tr", {}, ...cells.map((c) => el("td", { textContent: c ?? "" })), el("td", {}, select));
  });
  $(`#${kind}-table tbody`).replaceChildren(...rows);
}

// The audit trail (supervisors): every field is caller- or agent-controlled text, so textContent only.
$("#audit-form").addEventListener("submit", (ev) => { ev.preventDefault(); loadAudit(); });

function details(what) {
  if (what === null || what === undefined || what === "") return "";
  if (typeof what !== "object") return String(what);
  return Object.entries(what).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
}

async function loadAudit() {
  const data = await api("GET", "/api/audit?limit=200");
  const rows = data.entries.map((e) => el("tr", {},
    ...[fmtTime(e.created_at), e.who, e.where, e.action.replaceAll("_", " "), details(e.what)]
      .map((c) => el("td", { textContent: c ?? "" }))));
  $("#audit-table tbody").replaceChildren(...rows);
}

function renderAgents() {
  const rows = [...state.agents.values()].map((a) =>
    el("tr", {}, el("td", { textContent: a.display_name || a.username }), el("td", { textContent: a.role }), el("td", { textContent: a.presence })));
  $("#agents-table tbody").replaceChildren(...rows);
}

start();
