// orglearn serve: the lever panel, the streamed ensemble and its chart.
"use strict";
const token = new URLSearchParams(location.search).get("token");
const client = Math.random().toString(36).slice(2);
const COLORS = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442"];
let state = { set: {}, off: [] };
let controller = null, timer = null, runs = [], names = [];

function api(path, opts) {
  opts = opts || {};
  opts.headers = Object.assign({ "Content-Type": "application/json" }, opts.headers || {});
  if (token) opts.headers["X-Orglearn-Token"] = token;
  return fetch(path, opts);
}
function config() {
  return JSON.stringify({ client, set: Object.entries(state.set).map(([k, v]) => k + "=" + v), off: state.off });
}
function saveUrl() { history.replaceState(null, "", location.pathname + location.search + "#" + encodeURIComponent(JSON.stringify(state))); }
function loadUrl() { try { if (location.hash.length > 1) state = JSON.parse(decodeURIComponent(location.hash.slice(1))); } catch (e) { } }

function control(l) {
  const d = document.createElement("div"); d.className = "lever"; d.dataset.key = l.key;
  d.title = l.doc + (l.unit ? " (" + l.unit + ")" : "") + " — source: " + l.source;
  const lab = document.createElement("label"); d.appendChild(lab);
  const cur = l.key in state.set ? state.set[l.key] : l.value;
  let input;
  if (l.kind === "bool") { input = document.createElement("input"); input.type = "checkbox"; input.checked = String(cur) === "true"; }
  else if (l.kind === "choice") { input = document.createElement("select"); for (const o of l.options) { const op = document.createElement("option"); op.value = op.textContent = o; input.appendChild(op); } input.value = String(cur).replace(/"/g, ""); }
  else { input = document.createElement("input"); if (l.min !== null && l.max !== null) { input.type = "range"; input.min = l.min; input.max = l.max; input.step = l.kind === "int" ? 1 : (l.max - l.min) / 100; } else { input.type = "number"; } input.value = cur; }
  const show = () => { lab.textContent = l.label + ": " + (input.type === "checkbox" ? input.checked : input.value) + (l.unit ? " " + l.unit : ""); };
  show();
  input.addEventListener("input", () => {
    let v = input.type === "checkbox" ? String(input.checked) : input.value;
    if (l.kind === "choice") v = '"' + v + '"';
    if (String(v) === String(l.value)) delete state.set[l.key]; else state.set[l.key] = v;
    show(); schedule();
  });
  d.appendChild(input);
  const e = document.createElement("div"); e.className = "err"; d.appendChild(e);
  return d;
}

async function init() {
  loadUrl();
  const r = await (await api("/api/levers")).json();
  document.getElementById("title").textContent = r.name;
  const box = document.getElementById("levers");
  for (const g of r.groups) {
    const det = document.createElement("details"); det.innerHTML = "<summary>" + g.title + "</summary>";
    g.levers.forEach(l => det.appendChild(control(l))); box.appendChild(det);
  }
  for (const s of r.strategies) {
    const det = document.createElement("details");
    const sum = document.createElement("summary");
    const on = document.createElement("input"); on.type = "checkbox"; on.checked = !state.off.includes(s.name);
    on.addEventListener("change", () => { state.off = state.off.filter(n => n !== s.name); if (!on.checked) state.off.push(s.name); schedule(); });
    sum.appendChild(on); sum.appendChild(document.createTextNode(" strategy " + s.name + " (" + s.preset + ")"));
    det.appendChild(sum);
    s.levers.filter(l => !l.mechanism || s.levers.find(m => m.key.endsWith("." + l.mechanism) && m.value === true)).forEach(l => det.appendChild(control(l)));
    box.appendChild(det);
  }
  document.getElementById("export").addEventListener("click", exportScenario);
  document.getElementById("workshop").addEventListener("change", e => document.body.classList.toggle("workshop", e.target.checked));
  start();
}

function schedule() { saveUrl(); clearTimeout(timer); timer = setTimeout(start, 60); }

function showProblems(ps) {
  document.querySelectorAll(".lever .err").forEach(e => e.textContent = "");
  const gen = document.getElementById("general"); gen.textContent = "";
  for (const p of ps) {
    const el = p.key && document.querySelector('.lever[data-key="' + p.key + '"] .err');
    if (el) el.textContent = p.text; else gen.textContent += p.text + "\n";
  }
}

async function start() {
  if (controller) controller.abort();
  controller = new AbortController();
  const mine = controller;
  runs = [];
  setStatus("running");
  let res;
  try { res = await api("/api/run", { method: "POST", body: config(), signal: mine.signal }); } catch (e) { return; }
  if (!res.ok) { const j = await res.json(); showProblems(j.problems || []); setStatus("invalid: see the levers"); return; }
  showProblems([]);
  const reader = res.body.getReader(); const dec = new TextDecoder(); let buf = "";
  try {
    for (;;) {
      const { value, done } = await reader.read(); if (done) break;
      if (mine !== controller) return;
      buf += dec.decode(value, { stream: true });
      let i; while ((i = buf.indexOf("\n\n")) >= 0) { handle(buf.slice(0, i)); buf = buf.slice(i + 2); }
    }
  } catch (e) { }
}

function handle(block) {
  const ev = (block.match(/^event: (.*)$/m) || [])[1]; const data = JSON.parse((block.match(/^data: (.*)$/m) || [])[1]);
  if (ev === "start") { names = data.strategies; runs = []; total = data.replicates; }
  if (ev === "replicate") { runs.push(data.data.values); setStatus(data.done + " of " + data.total + " runs"); draw(); }
  if (ev === "done") { table(data); setStatus(runs.length + " of " + total + " runs: complete"); }
  if (ev === "error") setStatus(data.text);
}
let total = 0;
function setStatus(t) { document.getElementById("status").textContent = t; }

function stats(xs) {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b); const n = v.length;
  const m = v.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) * (b - m), 0) / (n - 1)) : NaN;
  const t = n > 30 ? 1.96 : [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042][n - 1];
  const q = p => v[Math.min(n - 1, Math.floor(p * (n - 1)))];
  return { m, lo: m - t * sd / Math.sqrt(n), hi: m + t * sd / Math.sqrt(n), p10: q(0.1), p90: q(0.9) };
}

function draw() {
  const c = document.getElementById("chart"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  if (!runs.length) return;
  const years = runs[0][0][0].length; const L = 50, R = c.width - 150, T = 20, B = c.height - 30;
  const X = y => L + (R - L) * y / (years - 1), Y = v => B - (B - T) * v / 100;
  g.strokeStyle = "#999"; g.strokeRect(L, T, R - L, B - T); g.fillStyle = "#000"; g.font = "12px sans-serif";
  for (let v = 0; v <= 100; v += 20) g.fillText(String(v), 20, Y(v) + 4);
  g.fillText("mean attainment (%) by year", L, 14);
  names.forEach((n, s) => {
    const st = []; for (let y = 0; y < years; y++) st.push(stats(runs.map(r => r[s][0][y])));
    const band = (lo, hi, a) => { g.globalAlpha = a; g.fillStyle = COLORS[s % 8]; g.beginPath(); st.forEach((p, y) => g.lineTo(X(y), Y(p[lo]))); for (let y = years - 1; y >= 0; y--) g.lineTo(X(y), Y(st[y][hi])); g.fill(); };
    band("p10", "p90", 0.1); if (runs.length > 1) band("lo", "hi", 0.3);
    g.globalAlpha = 1; g.strokeStyle = COLORS[s % 8]; g.beginPath(); st.forEach((p, y) => g.lineTo(X(y), Y(p.m))); g.stroke();
    g.fillStyle = COLORS[s % 8]; g.fillText(n, R + 6, Y(st[years - 1].m));
  });
}

function table(d) {
  const t = document.getElementById("table");
  t.innerHTML = "<tr>" + d.head.map(h => "<th>" + h + "</th>").join("") + "</tr>" + d.rows.map(r => "<tr>" + r.map(x => "<td>" + x + "</td>").join("") + "</tr>").join("");
}

async function exportScenario() {
  const r = await api("/api/export", { method: "POST", body: config() });
  if (!r.ok) { showProblems((await r.json()).problems || []); return; }
  const a = document.createElement("a"); a.href = URL.createObjectURL(new Blob([await r.text()], { type: "application/toml" }));
  a.download = "scenario.toml"; a.click();
}
init();
