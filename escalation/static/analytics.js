// Analytics page: fetch /api/analytics for the filter, fill the tiles, draw the charts
// (Chart.js, served by the bot). The report and the charts stay on window.analytics.
"use strict";

const $ = (sel) => document.querySelector(sel);
const COLORS = { blue: "#1f6feb", green: "#2e7d32", amber: "#b26a00", red: "#c62828", grey: "#9e9e9e",
  purple: "#6a1b9a", teal: "#00838f", ink: "#1d2330", brown: "#5d4037" };
window.analytics = { report: null, charts: {}, loads: 0 };

const FORMATS = {
  count: (v) => String(v),
  rate: (v) => `${(v * 100).toFixed(1)} %`,
  ms: (v) => `${v.toFixed(0)} ms`,
  s: (v) => `${v.toFixed(1)} s`,
};

function query() {
  const params = new URLSearchParams();
  for (const name of ["from", "to", "channel"]) {
    const value = $(`#${name}`).value;
    if (value) params.set(name, value);
  }
  return params;
}

async function load(params) {
  $("#status").textContent = "Loading...";
  const res = await fetch(`/api/analytics?${params}`, { credentials: "same-origin" });
  if (res.status === 401) return location.assign("/console");
  const data = await res.json();
  if (!res.ok) { $("#status").textContent = data.error || res.statusText; return; }
  show(data);
  $("#status").textContent = "";
}

function show(report) {
  window.analytics.report = report;
  $("#from").value = report.window.from;
  $("#to").value = report.window.to;
  const select = $("#channel");
  const wanted = report.window.channel || "";
  select.replaceChildren(new Option("All channels", ""), ...report.channels.map((c) => new Option(c, c)));
  select.value = wanted;
  const params = query();
  $("#csv").href = `/api/analytics?${params}&format=csv`;
  history.replaceState(null, "", `?${params}`);
  for (const node of document.querySelectorAll("[data-metric]")) {
    const value = report.summary[node.dataset.metric];
    node.dataset.value = value === null || value === undefined ? "" : String(value);
    node.textContent = value === null || value === undefined ? "-" : FORMATS[node.dataset.format](value);
  }
  drawCharts(report);
  window.analytics.loads += 1;
}

function chart(id, type, labels, datasets, options = {}) {
  const old = window.analytics.charts[id];
  if (old) old.destroy();
  window.analytics.charts[id] = new Chart($(`#${id}`), {
    type, data: { labels, datasets },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { display: datasets.length > 1 } }, ...options },
  });
}

const series = (label, data, color, extra = {}) =>
  ({ label, data, borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 2, ...extra });
const shortHour = (h) => `${h.slice(5, 10)} ${h.slice(11, 16)}`;

function drawCharts(r) {
  chart("chart-calls", "line", r.calls_per_hour.map((h) => shortHour(h.hour)),
    [series("Calls", r.calls_per_hour.map((h) => h.calls), COLORS.blue)],
    { scales: { x: { ticks: { maxTicksLimit: 14 } }, y: { beginAtZero: true } } });
  const days = r.outcomes_per_day.map((d) => d.day.slice(5));
  chart("chart-outcomes", "bar", days, [
    series("contained", r.outcomes_per_day.map((d) => d.contained), COLORS.green),
    series("escalated", r.outcomes_per_day.map((d) => d.escalated), COLORS.amber),
    series("abandoned", r.outcomes_per_day.map((d) => d.abandoned), COLORS.red),
    series("unfinished", r.outcomes_per_day.map((d) => d.unfinished), COLORS.grey),
  ], { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } });
  chart("chart-reasons", "bar", r.escalation_reasons.map((x) => x.reason),
    [series("Escalations", r.escalation_reasons.map((x) => x.count), COLORS.purple)], { indexAxis: "y" });
  chart("chart-intents", "bar", r.top_intents.map((x) => x.intent),
    [series("Caller turns", r.top_intents.map((x) => x.count), COLORS.teal)], { indexAxis: "y" });
  chart("chart-latency", "line", r.latency_per_day.map((d) => d.day.slice(5)), [
    series("p50", r.latency_per_day.map((d) => d.p50_ms), COLORS.blue),
    series("p95", r.latency_per_day.map((d) => d.p95_ms), COLORS.red),
  ], { scales: { y: { beginAtZero: true } } });
  chart("chart-queue", "bar", r.queue_per_day.map((d) => d.day.slice(5)), [
    series("answered", r.queue_per_day.map((d) => d.answered), COLORS.green, { stack: "calls" }),
    series("abandoned in queue", r.queue_per_day.map((d) => d.abandoned), COLORS.red, { stack: "calls" }),
    series("median wait (s)", r.queue_per_day.map((d) => d.wait_p50_s), COLORS.ink,
      { type: "line", yAxisID: "wait", order: -1 }),
  ], { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true },
    wait: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } } } });
  chart("chart-handle", "bar", r.handle_time_per_agent.map((a) => a.agent), [
    series("median", r.handle_time_per_agent.map((a) => a.median_s), COLORS.brown),
    series("mean", r.handle_time_per_agent.map((a) => a.mean_s), COLORS.grey),
  ], { scales: { y: { beginAtZero: true } } });
}

$("#filters").addEventListener("submit", (ev) => {
  ev.preventDefault();
  load(query());
});

load(new URLSearchParams(location.search));
