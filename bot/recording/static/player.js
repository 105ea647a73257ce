"use strict";
// The supervisors' recording player: a list of recordings, the audio, the paused stretches,
// and the redacted transcript; a click on a turn seeks the audio to it.

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

async function getJson(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (response.status === 401) { location.href = "/console"; throw new Error("login required"); }
  if (!response.ok) throw new Error((await response.json()).error || response.statusText);
  return response.json();
}

async function loadList() {
  const { recordings } = await getJson("/api/recordings");
  const body = $("recordings-table").tBodies[0];
  body.replaceChildren();
  $("empty").hidden = recordings.length > 0;
  for (const rec of recordings) {
    const row = el("tr");
    row.dataset.callId = rec.call_id;
    row.append(el("td", "", new Date(rec.started_at * 1000).toLocaleString()), el("td", "", rec.channel),
               el("td", "", clock(rec.duration_s)), el("td", "", rec.outcome || ""));
    const cell = el("td");
    const button = el("button", "play", "Play");
    button.addEventListener("click", () => openRecording(rec.call_id));
    cell.append(button);
    row.append(cell);
    body.append(row);
  }
  const wanted = new URLSearchParams(location.search).get("call");
  if (wanted) openRecording(wanted);
}

// Where a turn starts on the recording: the caller's words when they spoke, else the reply.
function turnStart(mark, previous) {
  if (!mark) return null;
  return mark.caller_s > (previous ? previous.at_s : -1) && mark.caller_s < mark.at_s ? mark.caller_s : mark.at_s;
}

function pausedAt(pauses, t) {
  return pauses.some((p) => t >= p.start_s && t <= p.end_s);
}

async function openRecording(callId) {
  const { recording, turns } = await getJson(`/api/recordings/${encodeURIComponent(callId)}`);
  for (const row of $("recordings-table").tBodies[0].rows) {
    row.classList.toggle("selected", row.dataset.callId === callId);
  }
  $("player").hidden = false;
  $("player-title").textContent = `Call ${callId} · ${new Date(recording.started_at * 1000).toLocaleString()}`;
  const audio = $("audio");
  audio.src = `/api/recordings/${encodeURIComponent(callId)}/audio`;
  $("download").href = `/api/recordings/${encodeURIComponent(callId)}/download`;
  const duration = recording.duration_s || 1;
  const timeline = $("timeline");
  timeline.replaceChildren();
  for (const p of recording.paused) {
    const bar = el("div", "pause");
    bar.style.left = `${(100 * p.start_s) / duration}%`;
    bar.style.width = `${Math.max(0.4, (100 * (p.end_s - p.start_s)) / duration)}%`;
    bar.title = `${clock(p.start_s)}–${clock(p.end_s)} paused (${p.reasons.join(", ")})`;
    bar.dataset.start = p.start_s;
    bar.dataset.end = p.end_s;
    timeline.append(bar);
  }
  const head = el("div", "head");
  timeline.append(head);
  $("pauses").textContent = recording.paused.length
    ? recording.paused.map((p) => `${clock(p.start_s)}–${clock(p.end_s)} (${p.reasons.join(", ")})`).join(", ")
    : "none";
  const list = $("turns");
  list.replaceChildren();
  turns.forEach((turn, i) => {
    const mark = recording.turns[i];
    let at = turnStart(mark, recording.turns[i - 1]);
    if (at === null) at = Math.max(0, turn.at - recording.started_at);
    const item = el("li", "turn");
    item.dataset.at = at;
    item.append(el("span", "at", clock(at)));
    if (turn.input_kind !== "event" && turn.user_text) {
      item.append(el("span", "who", "Caller:"), el("span", "said", turn.user_text));
      if (pausedAt(recording.paused, at)) item.append(el("span", "paused", "(not recorded: PCI pause)"));
      item.append(el("br"));
    }
    item.append(el("span", "who", "Bot:"), el("span", "reply", turn.bot_text));
    item.addEventListener("click", () => {
      audio.currentTime = at;
      audio.play().catch(() => {});
    });
    list.append(item);
  });
  audio.ontimeupdate = () => {
    head.style.left = `${(100 * audio.currentTime) / duration}%`;
    let current = null;
    for (const item of list.children) if (Number(item.dataset.at) <= audio.currentTime) current = item;
    for (const item of list.children) item.classList.toggle("playing", item === current);
  };
}

loadList().catch((err) => { $("empty").hidden = false; $("empty").textContent = String(err.message || err); });
