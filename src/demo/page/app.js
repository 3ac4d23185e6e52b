// The demo page: polls /api/state for every observer's view, listens to /api/stream for what the
// agents learn as it happens, and draws the matrix, the rumor spread and the convergence plot.
// Plain JS on purpose: no build step, no framework, works offline.

const POLL_MS = 600;
/** The convergence plot shows the whole run up to this long (then the most recent part of it). */
const CONVERGENCE_WINDOW_MS = 300_000;
const LOG_LIMIT = 80;
const ACTIONS = ['kill', 'freeze', 'resume', 'restart'];

const S = {
  /** name → FleetAgentInfo (process state, pid, addresses) */
  agents: new Map(),
  /** name → { reachable, error, rssBytes, view: Map(member → {state, addr, incarnation}) } */
  observers: new Map(),
  members: [],
  /** The rumor shown in the spread panel: { name, from, firedAt, expected: Set } */
  rumor: null,
  /** event name → Map(observer → first arrival) */
  arrivals: new Map(),
  samples: [],
  /** Faults and the cluster's formation on the convergence plot: { t, label, kind: 'fault'|'formed' } */
  markers: [],
  /** When the demo started (from /api/history) and when every view first agreed. */
  startedAt: null,
  formedAt: null,
  structureKey: '',
  polling: false,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-') || k === 'title' || k === 'type' || k === 'aria-label')
      e.setAttribute(k, String(v));
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const shortName = (name) => name.replace(/^demo-/, '');
const mb = (bytes) => (bytes ? `${Math.round(bytes / 1048576)} MB` : '');

function toast(message) {
  const t = $('toast');
  t.textContent = message;
  t.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove('show'), 4000);
}

// ---- state from the server -------------------------------------------------------------------

async function poll() {
  if (S.polling) return;
  S.polling = true;
  try {
    const res = await fetch('/api/state', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    applyState(await res.json());
  } catch {
    // The demo may be shutting down; the next poll tries again.
  } finally {
    S.polling = false;
  }
}

function applyState(state) {
  for (const o of state.observers) {
    noteFleet(o.agent);
    const view = new Map();
    for (const m of o.members ?? [])
      view.set(m.name, { state: m.state, addr: m.addr, incarnation: m.incarnation });
    S.observers.set(o.agent.name, { reachable: o.reachable, error: o.error, rssBytes: o.rssBytes, view });
  }
  S.members = state.members;
  sampleConvergence(state.at);
  render();
}

function isReachable(name) {
  const a = S.agents.get(name);
  const o = S.observers.get(name);
  return a?.state === 'running' && o?.reachable === true;
}

function cellState(observer, member) {
  if (!isReachable(observer)) return 'unreachable';
  return S.observers.get(observer).view.get(member)?.state ?? 'unknown';
}

/**
 * Records a process state change and marks the convergence plot with the fault that caused it;
 * `at` is when it happened (a replayed change from /api/history is older than now).
 */
function noteFleet(info, at = Date.now()) {
  const prev = S.agents.get(info.name);
  S.agents.set(info.name, info);
  if (!prev || prev.state === info.state) return;
  const label =
    info.state === 'killed'
      ? 'kill'
      : info.state === 'frozen'
        ? 'freeze'
        : info.state === 'running' && prev.state === 'frozen'
          ? 'resume'
          : info.state === 'starting' && info.starts > 1
            ? 'restart'
            : info.state === 'exited'
              ? 'exit'
              : null;
  if (label) {
    S.markers.push({ t: at, label: `${label} ${shortName(info.name)}`, kind: 'fault' });
    addLog(el('span', {}, el('span', { class: 'who', text: info.name }), ` process ${info.state}`), at);
  }
}

// ---- history: what a page opened late missed ---------------------------------------------------

/** Replays /api/history: the agreement samples since the start, faults, what agents learned, rumors. */
async function loadHistory() {
  try {
    const res = await fetch('/api/history', { cache: 'no-store' });
    if (!res.ok) return;
    const h = await res.json();
    S.startedAt = h.startedAt;
    for (const { at, event } of h.events) {
      if (event.type === 'fleet') noteFleet(event.agent, at);
      else if (event.type === 'member') onMemberEvent(event, true);
      else if (event.type === 'user-event') onArrival(event);
      else if (event.type === 'fired' && S.rumor?.name !== event.name) showRumor(event);
    }
    S.samples = h.samples;
    noteFormation();
    $('convergence-chart').dataset.replayedSamples = String(h.samples.length);
    render();
    drawConvergence();
  } catch {
    // An older server, or the demo shutting down: the page starts from now.
  }
}

/** The first moment every running agent answered with one and the same view: the cluster formed. */
function noteFormation() {
  if (S.formedAt !== null) return;
  const n = S.agents.size;
  const first = S.samples.find((s) => n > 0 && s.reachable === n && s.agreement === 1 && s.distinct === 1);
  if (!first) return;
  S.formedAt = first.t;
  const after = S.startedAt !== null ? ` ${((first.t - S.startedAt) / 1000).toFixed(1)} s after start` : '';
  S.markers.push({ t: first.t, label: `formed: ${n} agree`, kind: 'formed' });
  S.markers.sort((a, b) => a.t - b.t);
  addLog(el('span', {}, `cluster formed: all ${n} views agree${after}`), first.t);
}

// ---- the stream of what agents learn ---------------------------------------------------------

function connectStream() {
  const es = new EventSource('/api/stream');
  es.addEventListener('fleet', (m) => {
    noteFleet(JSON.parse(m.data).agent);
    render();
  });
  es.addEventListener('member', (m) => onMemberEvent(JSON.parse(m.data)));
  es.addEventListener('user-event', (m) => onArrival(JSON.parse(m.data)));
  es.addEventListener('fired', (m) => {
    const f = JSON.parse(m.data);
    if (!S.rumor || S.rumor.name !== f.name) showRumor(f);
  });
}

function onMemberEvent(e, replayed = false) {
  const o = S.observers.get(e.observer);
  if (o && !replayed) {
    const before = o.view.get(e.member)?.state;
    o.view.set(e.member, {
      state: e.state,
      addr: e.addr,
      incarnation: o.view.get(e.member)?.incarnation ?? 0,
    });
    if (!S.members.includes(e.member)) S.members = [...S.members, e.member].sort();
    render();
    if (before !== e.state) flashCell(e.observer, e.member);
  }
  if (e.previous === null && e.via !== 'local' && e.state === 'alive') return; // joins: too many to list
  const how =
    e.via === 'local'
      ? 'its own conclusion'
      : `via ${e.via}${e.hops !== null ? `, ${e.hops} hop${e.hops === 1 ? '' : 's'}` : ''}`;
  addLog(
    el(
      'span',
      {},
      el('span', { class: 'who', text: e.observer }),
      ' sees ',
      el('span', { class: 'who', text: e.member }),
      ' ',
      el('span', { class: `st ${e.state}`, text: e.state }),
      ` (${how})`,
    ),
    e.at,
  );
}

function addLog(content, at = Date.now()) {
  const log = $('log');
  const time = new Date(at).toLocaleTimeString([], { hour12: false });
  log.prepend(el('li', {}, `${time}  `, content));
  while (log.children.length > LOG_LIMIT) log.lastElementChild.remove();
}

// ---- the membership matrix -------------------------------------------------------------------

function render() {
  const observers = [...S.agents.keys()];
  const key = `${observers.join(',')}|${S.members.join(',')}`;
  if (key !== S.structureKey) {
    buildMatrix(observers, S.members);
    S.structureKey = key;
  }
  updateMatrix();
  renderSummary();
}

function buildMatrix(observers, members) {
  const table = $('matrix');
  table.replaceChildren();
  const head = el(
    'tr',
    {},
    el('th', { class: 'observer', text: 'observer ↓ · member →' }),
    ...members.map((m) => el('th', { class: 'member', title: m, 'data-member': m, text: shortName(m) })),
    el('th', { class: 'rumor-col', title: 'hops the shown event took to reach this observer', text: 'hops' }),
    el('th', { class: 'actions', text: 'fault injection' }),
  );
  table.append(el('thead', {}, head));
  const body = el('tbody');
  for (const name of observers) {
    const row = el(
      'tr',
      { 'data-agent': name },
      el(
        'th',
        { class: 'observer' },
        el('span', { class: 'name', text: name }),
        el('span', { class: 'pstate' }),
        el('span', { class: 'meta' }),
      ),
      ...members.map((m) =>
        el('td', { class: `cell${m === name ? ' self' : ''}`, 'data-observer': name, 'data-member': m }),
      ),
      el('td', { class: 'rumor-col' }),
      el(
        'td',
        { class: 'actions' },
        ...ACTIONS.map((a) =>
          el('button', {
            type: 'button',
            'data-action': a,
            'data-agent': name,
            text: a,
            onclick: () => act(name, a),
          }),
        ),
      ),
    );
    body.append(row);
  }
  table.append(body);
  if (S.rumor) for (const a of arrivalsOf(S.rumor.name).values()) markRow(a, false);
}

function updateMatrix() {
  for (const row of $('matrix').querySelectorAll('tbody tr')) {
    const name = row.dataset.agent;
    const agent = S.agents.get(name);
    const obs = S.observers.get(name);
    const reachable = isReachable(name);
    row.classList.toggle('unreachable', !reachable);
    const pstate = row.querySelector('.pstate');
    const shown = agent?.state === 'running' && obs && !obs.reachable ? 'unreachable' : (agent?.state ?? '');
    pstate.textContent = shown;
    pstate.className = `pstate ${agent?.state === 'running' && !reachable ? 'exited' : (agent?.state ?? '')}`;
    const meta = [agent?.gossipAddr, agent?.pid ? `pid ${agent.pid}` : null, mb(obs?.rssBytes)].filter(
      Boolean,
    );
    row.querySelector('.meta').textContent = meta.join(' · ');
    for (const cell of row.querySelectorAll('td.cell')) {
      const member = cell.dataset.member;
      const st = cellState(name, member);
      if (cell.dataset.state !== st) cell.dataset.state = st;
      const v = obs?.view.get(member);
      cell.title =
        st === 'unreachable'
          ? `${name} is ${agent?.state === 'running' ? 'not answering' : agent?.state}`
          : `${name} sees ${member}: ${st}${v ? ` at ${v.addr}, incarnation ${v.incarnation}` : ''}`;
    }
    const s = agent?.state;
    for (const b of row.querySelectorAll('button')) {
      const a = b.dataset.action;
      const allowed =
        (a === 'kill' && (s === 'running' || s === 'frozen')) ||
        (a === 'freeze' && s === 'running') ||
        (a === 'resume' && s === 'frozen') ||
        (a === 'restart' && s !== 'starting');
      b.disabled = !allowed || b.dataset.pending === '1';
    }
  }
}

function flashCell(observer, member) {
  const cell = $('matrix').querySelector(`td[data-observer="${observer}"][data-member="${member}"]`);
  if (!cell) return;
  cell.classList.remove('flash');
  void cell.offsetWidth; // restart the animation
  cell.classList.add('flash');
}

async function act(name, action) {
  const button = $('matrix').querySelector(`button[data-agent="${name}"][data-action="${action}"]`);
  if (button) {
    button.dataset.pending = '1';
    button.disabled = true;
  }
  try {
    const res = await fetch(`/api/agents/${encodeURIComponent(name)}/${action}`, { method: 'POST' });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) toast(body.error ?? `${action} ${name} failed (HTTP ${res.status})`);
    else noteFleet(body);
  } catch (err) {
    toast(`${action} ${name}: ${err.message}`);
  } finally {
    if (button) delete button.dataset.pending;
    render();
  }
}

// ---- summary chips ---------------------------------------------------------------------------

function chip(label, value, tone) {
  return el('span', { class: `chip${tone ? ` ${tone}` : ''}` }, label, el('b', { text: String(value) }));
}

function renderSummary() {
  const agents = [...S.agents.values()];
  const count = (st) => agents.filter((a) => a.state === st).length;
  const last = S.samples.at(-1);
  const rss = [...S.observers.values()].map((o) => o.rssBytes).filter(Boolean);
  const avg = rss.length ? rss.reduce((x, y) => x + y, 0) / rss.length : 0;
  const down = count('killed') + count('exited');
  const chips = [
    chip('agents', agents.length),
    chip('running', count('running'), 'good'),
    count('starting') ? chip('starting', count('starting'), 'warn') : null,
    count('frozen') ? chip('frozen', count('frozen'), 'warn') : null,
    down ? chip('down', down, 'warn') : null,
    last ? chip('distinct views', last.distinct, last.distinct === 1 ? 'good' : 'warn') : null,
    last
      ? chip('agreement', `${Math.round(last.agreement * 100)}%`, last.agreement === 1 ? 'good' : 'warn')
      : null,
    avg ? chip('RSS / agent', mb(avg)) : null,
  ];
  $('summary').replaceChildren(...chips.filter(Boolean));
}

// ---- convergence -----------------------------------------------------------------------------

function sampleConvergence(t) {
  const groups = new Map();
  let reachable = 0;
  for (const name of S.agents.keys()) {
    if (!isReachable(name)) continue;
    reachable++;
    const view = S.observers.get(name).view;
    const sig = [...view.entries()]
      .map(([m, v]) => `${m}=${v.state}`)
      .sort()
      .join(',');
    groups.set(sig, (groups.get(sig) ?? 0) + 1);
  }
  const largest = Math.max(0, ...groups.values());
  S.samples.push({ t, agreement: reachable ? largest / reachable : 0, distinct: groups.size, reachable });
  while (S.samples.length && S.samples[0].t < t - CONVERGENCE_WINDOW_MS) S.samples.shift();
  while (S.markers.length && S.markers[0].t < t - CONVERGENCE_WINDOW_MS) S.markers.shift();
  noteFormation();
  drawConvergence();
  const last = S.samples.at(-1);
  const formedIn =
    S.formedAt !== null && S.startedAt !== null
      ? `${((S.formedAt - S.startedAt) / 1000).toFixed(1)} s`
      : null;
  $('convergence-summary').replaceChildren(
    ...[
      chip('reachable observers', last.reachable),
      chip('distinct views', last.distinct, last.distinct === 1 ? 'good' : 'warn'),
      chip('agreeing', `${Math.round(last.agreement * 100)}%`, last.agreement === 1 ? 'good' : 'warn'),
      formedIn ? chip('formed after', formedIn, 'good') : null,
    ].filter(Boolean),
  );
}

function setupCanvas(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width;
  const h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  return { ctx, w, h };
}

/**
 * Draws one axis or marker label kept wholly inside the canvas (a label at an edge is shifted in,
 * never clipped) and records its box (CSS pixels) for the canvas's data-labels, which the browser
 * test checks.
 */
function label(ctx, boxes, text, x, y, align, baseline) {
  const w = ctx.measureText(text).width;
  const h = 11;
  const { width, height } = ctx.canvas.getBoundingClientRect();
  let left = align === 'center' ? x - w / 2 : align === 'right' ? x - w : x;
  left = Math.max(1, Math.min(left, width - w - 1));
  let top = baseline === 'middle' ? y - h / 2 : baseline === 'bottom' ? y - h : y;
  top = Math.max(0, Math.min(top, height - h));
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(text, left, top);
  boxes.push({ text, x: left, y: top, w, h });
}

function gridLines(ctx, box, yTicks, fmtY, boxes) {
  ctx.strokeStyle = '#263049';
  ctx.lineWidth = 1;
  for (const [v, y] of yTicks) {
    ctx.beginPath();
    ctx.moveTo(box.x0, y);
    ctx.lineTo(box.x1, y);
    ctx.stroke();
    ctx.fillStyle = '#8f99ae';
    label(ctx, boxes, fmtY(v), box.x0 - 6, y, 'right', 'middle');
  }
}

const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * Marker labels (faults, the cluster's formation) packed into rows so that no two overlap: each goes
 * to the first row where it fits beside its line. One that fits no row keeps its line but no label,
 * rather than being drawn over another.
 */
function layoutMarkers(ctx, box, markers, x) {
  const rowH = 16;
  const rows = Math.max(1, Math.floor((box.y1 - box.y0 - 24) / rowH));
  const placed = [];
  for (const m of markers) {
    const mx = x(m.t);
    if (mx < box.x0 - 0.5) continue;
    const w = ctx.measureText(m.label).width + 8;
    const lx = Math.max(box.x0, Math.min(mx + 3, box.x1 - w));
    for (let r = 0; r < rows; r++) {
      const b = { x: lx, y: box.y0 + 4 + r * rowH, w, h: 15 };
      if (placed.every((p) => !overlaps(p.box, b))) {
        placed.push({ m, box: b });
        break;
      }
    }
  }
  return placed;
}

function drawConvergence() {
  const canvas = $('convergence-chart');
  const { ctx, w, h } = setupCanvas(canvas);
  const boxes = [];
  const box = { x0: 42, x1: w - 24, y0: 12, y1: h - 22 };
  const now = Date.now();
  // The whole run (from the demo's start when known) until it is longer than the window.
  const first = S.startedAt ?? S.samples[0]?.t ?? now;
  const windowMs = Math.min(CONVERGENCE_WINDOW_MS, Math.max(30_000, now - first));
  const x = (t) => box.x1 - ((now - t) / windowMs) * (box.x1 - box.x0);
  const y = (v) => box.y1 - v * (box.y1 - box.y0);
  gridLines(
    ctx,
    box,
    [0, 0.5, 1].map((v) => [v, y(v)]),
    (v) => `${v * 100}%`,
    boxes,
  );
  ctx.fillStyle = '#8f99ae';
  for (let i = 4; i >= 0; i--) {
    const s = Math.round((windowMs / 1000) * (i / 4));
    const text = s === 0 ? 'now' : s >= 120 ? `-${Math.round(s / 60)} min` : `-${s}s`;
    label(ctx, boxes, text, x(now - s * 1000), box.y1 + 6, 'center', 'top');
  }

  for (const m of S.markers) {
    const mx = x(m.t);
    if (mx < box.x0 - 0.5) continue;
    ctx.strokeStyle = m.kind === 'formed' ? 'rgba(47, 191, 113, 0.8)' : 'rgba(239, 77, 86, 0.7)';
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(mx, box.y0);
    ctx.lineTo(mx, box.y1);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  const placed = layoutMarkers(ctx, box, S.markers, x);
  for (const p of placed) {
    ctx.fillStyle = p.m.kind === 'formed' ? 'rgba(16, 44, 30, 0.92)' : 'rgba(42, 18, 22, 0.92)';
    ctx.fillRect(p.box.x, p.box.y, p.box.w, p.box.h);
    ctx.fillStyle = p.m.kind === 'formed' ? '#9ff0c4' : '#ffb3b7';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(p.m.label, p.box.x + 4, p.box.y + 2);
  }
  canvas.dataset.markers = JSON.stringify(
    placed.map((p) => ({ label: p.m.label, kind: p.m.kind, ...p.box })),
  );
  canvas.dataset.firstSample = String(S.samples[0]?.t ?? '');
  canvas.dataset.startedAt = String(S.startedAt ?? '');

  const pts = S.samples.filter((s) => x(s.t) >= box.x0);
  if (pts.length > 0) {
    // Area under the agreement line, then the line itself.
    ctx.beginPath();
    ctx.moveTo(x(pts[0].t), y(0));
    for (const p of pts) ctx.lineTo(x(p.t), y(p.agreement));
    ctx.lineTo(x(pts.at(-1).t), y(0));
    ctx.closePath();
    ctx.fillStyle = 'rgba(47, 191, 113, 0.14)';
    ctx.fill();
    ctx.beginPath();
    ctx.moveTo(x(pts[0].t), y(pts[0].agreement));
    for (const p of pts) ctx.lineTo(x(p.t), y(p.agreement));
    ctx.strokeStyle = '#2fbf71';
    ctx.lineWidth = 2;
    ctx.stroke();
    // Distinct views as a step line on its own scale (right edge labels).
    const maxDistinct = Math.max(2, ...pts.map((p) => p.distinct));
    const yd = (v) => box.y1 - (v / maxDistinct) * (box.y1 - box.y0);
    ctx.beginPath();
    pts.forEach((p, i) => {
      if (i === 0) ctx.moveTo(x(p.t), yd(p.distinct));
      else {
        ctx.lineTo(x(p.t), yd(pts[i - 1].distinct));
        ctx.lineTo(x(p.t), yd(p.distinct));
      }
    });
    ctx.strokeStyle = 'rgba(245, 184, 46, 0.85)';
    ctx.lineWidth = 1.5;
    ctx.stroke();
    ctx.fillStyle = '#f5b82e';
    for (const v of [1, maxDistinct]) label(ctx, boxes, String(v), box.x1 + 5, yd(v), 'left', 'middle');
    label(ctx, boxes, 'distinct views (right scale)', box.x1 - 4, box.y1 - 2, 'right', 'bottom');
    ctx.fillStyle = '#2fbf71';
    label(ctx, boxes, 'agreeing', box.x0 + 4, box.y1 - 2, 'left', 'bottom');
  }
  canvas.dataset.labels = JSON.stringify(boxes);
}

// ---- rumor spread ----------------------------------------------------------------------------

function arrivalsOf(name) {
  let m = S.arrivals.get(name);
  if (!m) {
    m = new Map();
    S.arrivals.set(name, m);
  }
  return m;
}

function showRumor(f) {
  const expected = new Set([...S.agents.values()].filter((a) => a.state === 'running').map((a) => a.name));
  S.rumor = { name: f.name, from: f.from, firedAt: f.firedAt, expected, directMail: f.directMail !== false };
  const how = f.directMail === false ? ' (rumor mongering only, no direct mail)' : '';
  $('rumor-title').textContent =
    `“${f.name}” fired through ${f.from} at ${new Date(f.firedAt).toLocaleTimeString([], { hour12: false })}${how}`;
  for (const cell of $('matrix').querySelectorAll('td.rumor-col')) cell.replaceChildren();
  for (const a of arrivalsOf(f.name).values()) markRow(a, false);
  renderRumor();
}

function onArrival(e) {
  const arrivals = arrivalsOf(e.name);
  if (arrivals.has(e.observer)) return;
  arrivals.set(e.observer, e);
  if (S.rumor?.name === e.name) {
    markRow(e, true);
    renderRumor(e.observer);
  }
}

function markRow(a, animate) {
  const row = $('matrix').querySelector(`tr[data-agent="${a.observer}"]`);
  if (!row) return;
  const badge = el('span', {
    class: `hop-badge${animate ? ' pop' : ''}`,
    title: `via ${a.via}`,
    text: String(a.hops),
  });
  row.querySelector('td.rumor-col').replaceChildren(badge);
  if (animate) {
    row.classList.remove('infected-now');
    void row.offsetWidth;
    row.classList.add('infected-now');
  }
}

/** `fresh`: the observer whose arrival triggered this render; only its chip animates. */
function renderRumor(fresh = null) {
  const r = S.rumor;
  if (!r) return;
  const arrivals = [...arrivalsOf(r.name).values()].sort((a, b) => a.at - b.at);
  // Times are the observers' own Date.now() (one machine, one clock) from the origin's own arrival;
  // originTime comes from the engine's monotonic clock and may be a few ms off from it.
  const t0 = arrivals.find((a) => a.via === 'local')?.at ?? r.firedAt;
  const infected = new Set(arrivals.map((a) => a.observer));
  const expectedHit = [...r.expected].filter((n) => infected.has(n)).length;
  const done = expectedHit >= r.expected.size && r.expected.size > 0;
  const lastAt = arrivals.length ? since(arrivals.at(-1), t0) : 0;
  const via = {};
  for (const a of arrivals) via[a.via] = (via[a.via] ?? 0) + 1;
  const summary = $('infection-summary');
  summary.dataset.infected = String(expectedHit);
  summary.dataset.expected = String(r.expected.size);
  const chips = [
    chip('infected', `${expectedHit} / ${r.expected.size}`, done ? 'good' : 'warn'),
    arrivals.length ? chip(done ? 'everyone in' : 'last after', `${lastAt} ms`, done ? 'good' : null) : null,
    arrivals.length ? chip('max hops', Math.max(...arrivals.map((a) => a.hops))) : null,
    ...Object.entries(via).map(([k, v]) => chip(`via ${k}`, v)),
  ];
  summary.replaceChildren(...chips.filter(Boolean));

  const list = $('infection-list');
  const pending = [...r.expected].filter((n) => !infected.has(n)).sort();
  list.replaceChildren(
    ...arrivals.map((a) =>
      el(
        'li',
        {
          class: `infected via-${a.via}${a.observer === fresh ? ' fresh' : ''}`,
          'data-observer': a.observer,
          'data-hops': a.hops,
          title: `${a.observer} learned it via ${a.via} after ${a.hops} hop(s)`,
        },
        `${shortName(a.observer)} · ${a.hops} hop${a.hops === 1 ? '' : 's'}`,
        el('span', { class: 't', text: `+${since(a, t0)} ms` }),
      ),
    ),
    ...pending.map((n) => el('li', { 'data-observer': n, text: `${shortName(n)} · waiting` })),
  );
  drawInfection(arrivals, t0, Math.max(r.expected.size, arrivals.length));
  $('rumor-note').hidden = !(via.mail > 0 && done);
}

const since = (a, t0) => Math.max(0, a.at - t0);

const HOP_COLORS = ['#ffd166', '#ff9f43', '#ff6b6b', '#c56cf0', '#7aa2ff', '#48dbfb'];

function drawInfection(arrivals, t0, total) {
  const canvas = $('infection-chart');
  const { ctx, w, h } = setupCanvas(canvas);
  const boxes = [];
  const box = { x0: 34, x1: w - 14, y0: 12, y1: h - 22 };
  const span = Math.max(20, ...arrivals.map((a) => since(a, t0))) * 1.1;
  const x = (ms) => box.x0 + (ms / span) * (box.x1 - box.x0);
  const y = (n) => box.y1 - (n / Math.max(1, total)) * (box.y1 - box.y0);
  const half = Math.ceil(total / 2);
  gridLines(
    ctx,
    box,
    [0, half, total].filter((v, i, a) => a.indexOf(v) === i).map((v) => [v, y(v)]),
    (v) => String(v),
    boxes,
  );
  ctx.fillStyle = '#8f99ae';
  for (let i = 0; i <= 4; i++)
    label(ctx, boxes, `${Math.round((span * i) / 4)} ms`, x((span * i) / 4), box.y1 + 6, 'center', 'top');
  const points = [];
  if (arrivals.length > 0) {
    ctx.beginPath();
    ctx.moveTo(x(0), y(0));
    arrivals.forEach((a, i) => {
      ctx.lineTo(x(since(a, t0)), y(i));
      ctx.lineTo(x(since(a, t0)), y(i + 1));
    });
    ctx.lineTo(box.x1, y(arrivals.length));
    ctx.strokeStyle = '#ff9f43';
    ctx.lineWidth = 2;
    ctx.stroke();
    // One dot per arrival, one step apart vertically: the radius shrinks with the step, so that dots
    // of arrivals at the same moment never cover each other.
    const r = Math.max(1.5, Math.min(4, (y(0) - y(1)) / 2 - 0.5));
    arrivals.forEach((a, i) => {
      const p = { x: x(since(a, t0)), y: y(i + 1), r };
      ctx.beginPath();
      ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
      ctx.fillStyle = HOP_COLORS[Math.min(a.hops, HOP_COLORS.length - 1)];
      ctx.fill();
      points.push(p);
    });
    // Hop colour key, bottom right (the step line has reached the top by then).
    const maxHop = Math.max(...arrivals.map((a) => a.hops));
    let kx = box.x1 - 60 * (maxHop + 1);
    for (let hop = 0; hop <= maxHop; hop++) {
      ctx.beginPath();
      ctx.arc(kx, box.y1 - 10, 4, 0, Math.PI * 2);
      ctx.fillStyle = HOP_COLORS[Math.min(hop, HOP_COLORS.length - 1)];
      ctx.fill();
      ctx.fillStyle = '#8f99ae';
      label(ctx, boxes, `${hop} hop${hop === 1 ? '' : 's'}`, kx + 8, box.y1 - 10, 'left', 'middle');
      kx += 60;
    }
  }
  canvas.dataset.labels = JSON.stringify(boxes);
  canvas.dataset.points = JSON.stringify(points);
}

async function fire() {
  const button = $('fire');
  button.disabled = true;
  try {
    const res = await fetch('/api/event', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ directMail: !$('no-mail').checked }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) toast(body.error ?? `fire failed (HTTP ${res.status})`);
    else if (!S.rumor || S.rumor.name !== body.name) showRumor(body);
  } catch (err) {
    toast(`fire: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}

$('fire').addEventListener('click', fire);
loadHistory().then(connectStream);
poll();
setInterval(poll, POLL_MS);
drawInfection([], 0, 1);
window.addEventListener('resize', () => {
  drawConvergence();
  if (S.rumor) renderRumor();
});
