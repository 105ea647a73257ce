"use strict";
// The console's audio legs (agent and supervisor): PCM16 mono 16 kHz over a WebSocket.

// Play one received frame after the ones before it; `leg` keeps ctx, playAt, samples, peak.
function playPcm(leg, pcm) {
  leg.samples += pcm.length;
  let peak = 0;
  for (let i = 0; i < pcm.length; i++) peak = Math.max(peak, Math.abs(pcm[i]));
  leg.peak = Math.max(leg.peak, peak);  // loudest sample so far (diagnostics, tests)
  if (!leg.ctx || pcm.length === 0) return;
  const buffer = leg.ctx.createBuffer(1, pcm.length, 16000);
  const data = buffer.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 0x8000;
  const node = leg.ctx.createBufferSource();
  node.buffer = buffer;
  node.connect(leg.ctx.destination);
  leg.playAt = Math.max(leg.playAt, leg.ctx.currentTime + 0.06);  // a little jitter room
  node.start(leg.playAt);
  leg.playAt += buffer.duration;
}

// Send the microphone `stream` on `ws` in 20 ms frames (320 samples); `leg.sent` counts them.
function sendMicrophone(leg, stream, ws) {
  const source = leg.ctx.createMediaStreamSource(stream);
  const proc = leg.ctx.createScriptProcessor(1024, 1, 1);
  let pending = new Int16Array(0);
  proc.onaudioprocess = (ev) => {
    const input = ev.inputBuffer.getChannelData(0);
    const pcm = new Int16Array(pending.length + input.length);
    pcm.set(pending);
    for (let i = 0; i < input.length; i++) pcm[pending.length + i] = Math.max(-1, Math.min(1, input[i])) * 0x7fff;
    let offset = 0;
    for (; offset + 320 <= pcm.length; offset += 320) {
      if (ws.readyState === WebSocket.OPEN) { ws.send(pcm.slice(offset, offset + 320).buffer); leg.sent++; }
    }
    pending = pcm.slice(offset);
  };
  source.connect(proc);
  proc.connect(leg.ctx.destination);  // keeps the processor running; it outputs silence
}
