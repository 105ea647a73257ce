// Review page: the turns the bot misunderstood (grouped by similar wording), teach an intent
// or what the caller really said, then train, compare, promote, discard or roll back a model.
// State for tests and screenshots stays on window.review.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
window.review = { data: null, models: null, csrf: "", loads: 0 };
const REASONS = { fallback: "fell back", low_confidence: "low confidence", corrected: "caller corrected",
  escalated: "escalated after a misunderstanding", hesitation: "taken as a hesitation" };

async function api(method, path, body) {
  const headers = { "X-CSRF-Token": window.review.csrf };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) { location.assign("/console"); throw new Error("login required"); }
  const data = res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text();
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function query() {
  const params = new URLSearchParams();
  for (const name of ["reason", "intent", "from", "to"]) if ($(`#${name}`).value) params.set(name, $(`#${name}`).value);
  return params;
}

async function load() {
  $("#status").textContent = "Loading...";
  try {
    show(await api("GET", `/api/review/turns?${query()}`));
    $("#status").textContent = "";
  } catch (err) { $("#status").textContent = err.message; }
}

function options(select, first, values, labels = {}) {
  const wanted = select.value;
  select.replaceChildren(new Option(first, ""), ...values.map((v) => new Option(labels[v] || v, v)));
  select.value = values.includes(wanted) ? wanted : "";
}

function show(data) {
  window.review.data = data;
  window.review.loads += 1;
  options($("#reason"), "Any reason", data.reasons, REASONS);
  options($("#intent"), "Any intent", data.intents);
  $("#from").value = data.from;
  $("#to").value = data.to;
  const byKey = new Map(data.items.map((item) => [item.key, item]));
  const shown = new Set();
  const sections = data.groups.map((group) => {
    group.turns.forEach((key) => shown.add(key));
    const who = group.callers === 1 ? "1 caller said" : `${group.callers} callers said something like`;
    const [first, ...rest] = group.turns.map((key) => turnCard(byKey.get(key), data.labels));
    const more = rest.length ? [el("details", {}, el("summary", { textContent: `${rest.length} more like it` }), ...rest)] : [];
    return el("section", { className: "group card" }, el("h2", { textContent: `${who} “${group.text}”` }), first, ...more);
  });
  const taught = data.items.filter((item) => !shown.has(item.key));
  if (taught.length) {
    sections.push(el("section", { className: "group card" }, el("h2", { textContent: "Already taught" }),
      ...taught.map((item) => turnCard(item, data.labels))));
  }
  if (!sections.length) sections.push(el("p", { className: "card", textContent: "Nothing to review in these days." }));
  $("#turns").replaceChildren(...sections);
}

function turnCard(item, labels) {
  const confidence = item.confidence === null ? "" : ` (${Math.round(item.confidence * 100)} %)`;
  const card = el("article", { className: "turn" });
  card.dataset.key = item.key;
  const facts = el("dl", {},
    el("dt", { textContent: "Heard" }), el("dd", { className: "heard", textContent: item.user_text }),
    el("dt", { textContent: "Understood as" }), el("dd", { textContent: (item.intent || "nothing") + confidence }),
    el("dt", { textContent: "Bot answered" }), el("dd", { textContent: item.bot_text || "-" }),
    el("dt", { textContent: "Caller then said" }), el("dd", { textContent: item.next_text || "- (no further turn)" }),
    el("dt", { textContent: "Why listed" }), el("dd", {}, ...item.reasons.map((r) => el("span", { className: "reason", textContent: REASONS[r] || r }))),
    el("dt", { textContent: "Call" }), el("dd", { textContent: `${item.call_id}, turn ${item.idx}, ${new Date(item.at * 1000).toLocaleString()}` }));
  if (item.audio) {
    facts.append(el("dt", { textContent: "Caller's audio" }),
      el("dd", {}, el("audio", { controls: true, preload: "none", src: `/api/review/turns/${encodeURIComponent(item.call_id)}/${item.idx}/audio` })));
  }
  card.append(facts);
  if (item.label) {
    card.append(el("p", { className: "taught", textContent: taughtText(item.label) }));
    return card;
  }
  const select = el("select", { className: "label-intent", ariaLabel: "intent" },
    new Option("Choose the intent...", ""), ...labels.map((name) => new Option(name === "out_of_scope" ? "out of scope" : name, name)));
  const corrected = el("input", { type: "text", className: "corrected", placeholder: "What the caller really said (if misheard)" });
  const button = el("button", { type: "submit", textContent: "Teach" });
  const message = el("span", { className: "muted", role: "status" });
  const form = el("form", { className: "teach" }, select, corrected, button, message);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!select.value) { message.textContent = "Choose an intent first."; return; }
    button.disabled = true;
    try {
      const label = await api("POST", "/api/review/labels", { call_id: item.call_id, idx: item.idx,
        intent: select.value, corrected: corrected.value || null });
      form.replaceWith(el("p", { className: "taught", textContent: taughtText(label) }));
    } catch (err) { message.textContent = err.message; button.disabled = false; }
  });
  card.append(form);
  return card;
}

function taughtText(label) {
  const where = label.added ? `added to ${label.file}` : "already in the training data";
  return `Taught as ${label.intent} by ${label.by}: “${label.text}” (${where})`;
}

// ---- models ------------------------------------------------------------------------------
async function loadModels() {
  const status = await api("GET", "/api/review/models");
  window.review.models = status;
  $("#live-model").textContent = status.live || "none";
  $("#candidate-model").textContent = status.candidate || "none";
  const training = status.training;
  const busy = training.state === "training";
  $("#training").textContent = busy ? "Training and testing the candidate..." :
    training.state === "failed" ? `Training failed (exit ${training.exit_code}); see the log.` : "";
  $("#training-log").hidden = !(busy || training.state === "failed");
  $("#training-log").textContent = (training.log || []).join("\n");
  $("#train").disabled = busy;
  $("#promote").disabled = busy || !status.candidate || !status.report;
  $("#discard").disabled = busy || !status.candidate;
  $("#rollback").disabled = busy || !status.history.length;
  $("#report").replaceChildren(...(status.report ? reportView(status.report) : []));
  $("#history").replaceChildren(...status.log.map((e) => el("li", { textContent:
    `${new Date(e.at * 1000).toLocaleString()}: ${e.action} by ${e.who}${e.changes ? ` (${e.changes})` : ""}` })));
  if (busy) setTimeout(loadModels, 2000);
}

function pct(v) { return v === null || v === undefined ? "-" : `${(v * 100).toFixed(1)} %`; }

function reportView(report) {
  const parts = [el("h3", { textContent: "Candidate against the live model" }), el("p", { className: "summary", textContent: report.summary })];
  for (const file of report.nlu) {
    const rows = file.intents.map((r) => el("tr", { className: r.change > 0 ? "up" : "down" },
      el("td", { textContent: r.intent }), el("td", { textContent: pct(r.live) }), el("td", { textContent: pct(r.candidate) }),
      el("td", { textContent: `${r.change > 0 ? "+" : ""}${(r.change * 100).toFixed(1)}` })));
    parts.push(el("p", { textContent: `${file.file} (${file.examples} examples): ${pct(file.live)} → ${pct(file.candidate)}` }));
    if (rows.length) {
      parts.push(el("table", { className: "intents" }, el("tr", {}, ...["intent", "live", "candidate", "points"].map((h) => el("th", { textContent: h }))), ...rows));
    }
  }
  for (const [kind, label] of [["stories", "Stories"], ["voice", "Voice scenarios"]]) {
    const diff = report[kind];
    if (!diff) continue;
    parts.push(el("p", { className: kind, textContent: `${label}: ${diff.total - diff.candidate_failed} of ${diff.total} pass` +
      (diff.newly_failing.length ? `; newly failing: ${diff.newly_failing.join(", ")}` : "") +
      (diff.newly_passing.length ? `; newly passing: ${diff.newly_passing.join(", ")}` : "") }));
  }
  return parts;
}

async function modelAction(path, body) {
  $("#model-message").textContent = "";
  try {
    const result = await api("POST", path, body);
    if (result.action) $("#model-message").textContent = `${result.action}: ${result.model || ""} by ${result.who}`;
  } catch (err) { $("#model-message").textContent = err.message; }
  await loadModels();
}

$("#filters").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
$("#train").addEventListener("click", () => modelAction("/api/review/models/candidate", { voice: $("#with-voice").checked }));
$("#promote").addEventListener("click", () => modelAction("/api/review/models/promote"));
$("#discard").addEventListener("click", () => modelAction("/api/review/models/discard"));
$("#rollback").addEventListener("click", () => modelAction("/api/review/models/rollback"));

(async () => {
  const me = await api("GET", "/api/me");
  window.review.csrf = me.csrf;
  await Promise.all([load(), loadModels()]);
})();
