// Supervisor's live calls: the list over a WebSocket, and listen / whisper / barge on one call.
// The call's mixed audio plays as it arrives; in whisper and barge the microphone is sent as
// 16 kHz PCM16 frames of 20 ms (the server decides who hears it).
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const monitor = { calls: [], joined: null };
window.monitor = monitor;  // for diagnostics and the browser test

function connectList() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/console/monitor/ws`);
  ws.onopen = () => { $("#live").textContent = "live"; $("#live").className = "live on"; };
  ws.onclose = () => {
    $("#live").textContent = "offline"; $("#live").className = "live off";
    setTimeout(connectList, 2000);
  };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === "calls") { monitor.calls = msg.calls; render(); }
  };
}

function render() {
  const body = $("#calls tbody");
  body.replaceChildren(...monitor.calls.map(row));
  $("#no-calls").hidden = monitor.calls.length > 0;
}

function row(call) {
  const tr = el("tr", { className: "call" });
  tr.dataset.callId = call.call_id;
  const joined = monitor.joined?.callId === call.call_id ? monitor.joined : null;
  const actions = el("td", { className: "actions" });
  for (const mode of ["listen", "whisper", "barge"]) {
    const needsAgent = mode !== "listen" && !call.agent;
    const button = el("button", { className: mode, textContent: mode, disabled: needsAgent,
      title: needsAgent ? "needs an agent on the call" : "" });
    if (joined?.mode === mode) button.classList.add("active");
    button.addEventListener("click", () => (joined ? switchMode(mode) : join(call.call_id, mode)));
    actions.append(button);
  }
  if (joined) actions.append(el("button", { className: "leave", textContent: "leave", onclick: leave }));
  tr.append(
    el("td", { textContent: call.call_id }), el("td", { textContent: call.caller || "unknown" }),
    el("td", { className: "state", textContent: call.state }),
    el("td", { className: "intent", textContent: call.last_intent || "" }),
    el("td", { className: "duration", textContent: fmtClock(call.duration_s) }),
    el("td", { className: "agent", textContent: call.agent || "bot" }),
    el("td", { textContent: call.supervisors.map((s) => `${s.username} (${s.mode})`).join(", ") }),
    actions);
  return tr;
}

async function join(callId, mode) {
  leave();
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/console/monitor/${encodeURIComponent(callId)}/audio?mode=${mode}`);
  ws.binaryType = "arraybuffer";
  const joined = { callId, mode, ws, ctx: new AudioContext({ sampleRate: 16000 }), playAt: 0,
    stream: null, samples: 0, peak: 0, sent: 0 };
  monitor.joined = joined;
  ws.onmessage = (ev) => {
    if (typeof ev.data === "string") {
      const info = JSON.parse(ev.data);
      if (info.mode) { joined.mode = info.mode; microphone(joined); render(); }
      if (info.error) $("#monitor-status").textContent = info.error;
      return;
    }
    playPcm(joined, new Int16Array(ev.data));
  };
  ws.onclose = () => {
    if (monitor.joined === joined) leave();
    $("#monitor-status").textContent = `left call ${callId}`;
  };
  $("#monitor-status").textContent = `${mode} on call ${callId}`;
  render();
}

async function microphone(joined) {
  if (joined.mode === "listen" || joined.stream) return;
  try {
    joined.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
  } catch (err) {
    $("#monitor-status").textContent = `no microphone: ${err.message}`;
    return;
  }
  sendMicrophone(joined, joined.stream, joined.ws);
}

function switchMode(mode) {
  monitor.joined?.ws.send(JSON.stringify({ mode }));
}

function leave() {
  const joined = monitor.joined;
  if (!joined) return;
  monitor.joined = null;
  joined.stream?.getTracks().forEach((t) => t.stop());
  joined.ctx.close();
  joined.ws.close();
  render();
}

connectList();
