// The deep web UI: tracepoints, their status per agent, a live list of snapshots and a snapshot viewer.
// Plain DOM, no framework and no build step: the server serves this file as it is.
// Every value from the server is put on the page with textContent, never as HTML, because snapshot
// values are arbitrary strings from someone's process.

const KEY_STORAGE = 'deep.apiKey';
const SNAPSHOT_POLL_MS = 1000;
const TRACEPOINT_POLL_MS = 3000;
const STATUS_POLL_MS = 2000;
const SNAPSHOT_LIMIT = 50;

const state = {
  tracepoints: [],
  // tracepoint id -> [{agent, service, state, detail, updated}]
  status: null,
  snapshots: [],
  selectedKey: null,
  // 'search' lists summaries through /api/search; 'list' full snapshots, for a server without search.
  snapshotMode: 'search',
  keyPrompt: null,
};

// ---------------------------------------------------------------- small DOM helpers

const $ = (sel) => document.querySelector(sel);

/** Creates an element: el('span', {class: 'x', title: 't'}, 'text', childNode...). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// ---------------------------------------------------------------- API

/** A refused call: the server's problems, {field?, message} each (every error answer is {"errors": [...]}). */
class ApiError extends Error {
  constructor(status, body) {
    const errors = body && Array.isArray(body.errors) ? body.errors : [];
    super(errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ') || `HTTP ${status}`);
    this.status = status;
    this.errors = errors;
  }
}

/** Calls the server; on 401 asks for the API key once and retries. */
async function api(method, path, body) {
  for (;;) {
    const headers = { accept: 'application/json' };
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401) {
      const current = sessionStorage.getItem(KEY_STORAGE);
      // A call sent with an old key came back after a new one was given: just send it again.
      if (current && current !== key) continue;
      if (current) sessionStorage.removeItem(KEY_STORAGE);
      await askForKey(key ? 'That key was refused. Try again.' : '');
      continue;
    }
    const text = await res.text();
    let json = null;
    if (text) {
      // Not JSON: a proxy's page, say. Shown as it is.
      try { json = JSON.parse(text); } catch { json = { errors: [{ message: text }] }; }
    }
    if (!res.ok) throw new ApiError(res.status, json);
    setConnection(true);
    return json ?? {};
  }
}

/** Shows the key dialog; every caller waiting on a 401 shares the one prompt. */
function askForKey(message) {
  if (state.keyPrompt) return state.keyPrompt;
  setConnection(false, 'API key needed');
  const dialog = $('#key-dialog');
  $('#key-error').textContent = message;
  $('#key-input').value = '';
  state.keyPrompt = new Promise((resolve) => {
    const onClose = () => {
      const value = $('#key-input').value.trim();
      if (!value) { dialog.showModal(); return; }
      dialog.removeEventListener('close', onClose);
      sessionStorage.setItem(KEY_STORAGE, value);
      $('#key-button').hidden = false;
      state.keyPrompt = null;
      resolve();
    };
    dialog.addEventListener('close', onClose);
    // Escape would leave the UI stuck without a key: keep the dialog until a key is given.
    dialog.addEventListener('cancel', (e) => e.preventDefault());
  });
  dialog.showModal();
  $('#key-input').focus();
  return state.keyPrompt;
}

function setConnection(ok, message) {
  const c = $('#conn');
  c.textContent = ok ? 'connected' : (message || 'server unreachable');
  c.classList.toggle('bad', !ok);
}

// ---------------------------------------------------------------- protobuf JSON helpers

/** Snapshot ids arrive as base64 of 16 bytes; the HTTP API wants hex. */
function base64ToHex(b64) {
  if (!b64) return '';
  try {
    const bin = atob(b64.replace(/-/g, '+').replace(/_/g, '/'));
    let hex = '';
    for (let i = 0; i < bin.length; i++) hex += bin.charCodeAt(i).toString(16).padStart(2, '0');
    return hex;
  } catch {
    return b64;
  }
}

/** Epoch nanoseconds (a string in protobuf JSON) to a Date, without losing the milliseconds. */
function nanosToDate(ns) {
  if (ns === undefined || ns === null || ns === '') return null;
  try { return new Date(Number(BigInt(ns) / 1000000n)); } catch { return null; }
}

function formatTime(ns) {
  const d = nanosToDate(ns);
  if (!d || Number.isNaN(d.getTime())) return '';
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function formatDateTime(ns) {
  const d = nanosToDate(ns);
  if (!d || Number.isNaN(d.getTime())) return '';
  return `${d.toLocaleDateString()} ${formatTime(ns)}`;
}

function formatDuration(ns) {
  if (ns === undefined || ns === null || ns === '') return '';
  const n = Number(ns);
  if (n < 1000) return `${n} ns`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} µs`;
  return `${(n / 1e6).toFixed(2)} ms`;
}

/** Renders a protobuf AnyValue as text. */
function anyValueText(v) {
  if (!v || typeof v !== 'object') return '';
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return String(v.boolValue);
  if ('intValue' in v) return String(v.intValue);
  if ('doubleValue' in v) return String(v.doubleValue);
  if ('bytesValue' in v) return `bytes ${base64ToHex(v.bytesValue)}`;
  if ('arrayValue' in v) return `[${(v.arrayValue.values || []).map(anyValueText).join(', ')}]`;
  if ('kvlistValue' in v) {
    return `{${(v.kvlistValue.values || []).map((kv) => `${kv.key}=${anyValueText(kv.value)}`).join(', ')}}`;
  }
  return '';
}

function attr(list, key) {
  const kv = (list || []).find((a) => a.key === key);
  return kv ? anyValueText(kv.value) : '';
}

/** Tracepoint JSON may use lowerCamel or the proto's own names; accept both. */
function tpId(tp) { return tp?.ID ?? tp?.id ?? ''; }
function tpLine(tp) { return tp?.lineNumber ?? tp?.line_number ?? ''; }

function tpLocation(tp) {
  if (!tp) return '';
  const args = tp.args || {};
  if (args.method_name) return `${args.class_name ? args.class_name + '.' : ''}${args.method_name}()${tp.path ? ' in ' + tp.path : ''}`;
  return `${tp.path}:${tpLine(tp)}`;
}

function shortId(id) { return id ? id.slice(0, 8) : ''; }

// ---------------------------------------------------------------- tracepoints

async function loadTracepoints() {
  const res = await api('GET', '/api/tracepoints');
  const list = res.response || [];
  const key = JSON.stringify(list);
  if (key !== state.tracepointsKey) {
    state.tracepointsKey = key;
    state.tracepoints = list;
    renderTracepoints();
    renderSnapshotFilter();
  }
}

function renderTracepoints() {
  const ul = $('#tp-list');
  ul.replaceChildren();
  $('#tp-empty').hidden = state.tracepoints.length > 0;
  for (const tp of state.tracepoints) ul.append(tracepointItem(tp));
}

function tracepointItem(tp) {
  const id = tpId(tp);
  const args = tp.args || {};
  const details = el('dl', { class: 'kv' });
  const add = (k, v) => { if (v !== undefined && v !== '') details.append(el('dt', null, k), el('dd', { class: 'code' }, v)); };
  add('condition', args.condition);
  for (const w of tp.watches || []) add('watch', w);
  add('log', args.log_msg);
  const known = new Set(['condition', 'log_msg', 'method_name', 'class_name']);
  for (const [k, v] of Object.entries(args)) if (!known.has(k)) add(k, v);
  for (const t of tp.targeting || []) add('target', `${t.key}=${anyValueText(t.value)}`);
  for (const m of tp.metrics || []) add('metric', `${m.type || 'COUNTER'} ${m.name}${m.expression ? ' = ' + m.expression : ''}`);

  const item = el('li', { class: 'tp', dataset: { id }, 'aria-label': `Tracepoint ${tpLocation(tp)}` },
    el('div', { class: 'tp-head' },
      el('span', { class: 'tp-loc code', title: id }, tpLocation(tp)),
      el('span', { class: 'tp-id', title: id }, shortId(id)),
      el('button', {
        type: 'button', class: 'small', 'aria-label': `Show snapshots of ${tpLocation(tp)}`,
        onclick: () => showSnapshotsOf(id),
      }, 'snapshots'),
      el('button', {
        type: 'button', class: 'danger small', 'aria-label': `Delete tracepoint ${tpLocation(tp)}`,
        onclick: (e) => deleteTracepoint(id, e.currentTarget),
      }, 'delete')),
    details.childElementCount ? details : null,
    el('div', { class: 'tp-status', dataset: { statusFor: id } }));
  renderStatusInto(item.querySelector('.tp-status'), id);
  return item;
}

function showSnapshotsOf(id) {
  const sel = $('#snap-filter');
  sel.value = id;
  state.snapshotsKey = null;
  loadSnapshots().catch(() => {});
  $('#snapshots-panel').scrollIntoView({ block: 'nearest' });
}

async function deleteTracepoint(id, button) {
  button.disabled = true;
  try {
    await api('DELETE', `/api/tracepoints/${encodeURIComponent(id)}`);
    state.tracepoints = state.tracepoints.filter((t) => tpId(t) !== id);
    state.tracepointsKey = null;
    renderTracepoints();
    renderSnapshotFilter();
    loadTracepoints().catch(() => {});
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      // Someone else deleted it first: it is gone either way.
      state.tracepointsKey = null;
      loadTracepoints().catch(() => {});
      return;
    }
    button.disabled = false;
    showFormError(`Could not delete ${shortId(id)}: ${err.message}`);
  }
}

// ---------------------------------------------------------------- the create form

/** The watch inputs, in order; typing into the last one adds an empty one after it, ready for another watch. */
function watchInputs() { return [...document.querySelectorAll('#tp-watches input')]; }

function addWatchInput() {
  const n = watchInputs().length + 1;
  const input = el('input', {
    class: 'watch-input', id: `tp-watch-${n}`, 'aria-label': `Watch ${n}`, placeholder: n === 1 ? 'order.Id' : 'another watch',
    autocomplete: 'off', spellcheck: 'false', oninput: () => { if (input === watchInputs().at(-1) && input.value.trim()) addWatchInput(); },
  });
  $('#tp-watches').append(el('li', { class: 'watch-row' }, input, el('span', { class: 'field-error', role: 'alert' })));
}

function resetWatchInputs() {
  $('#tp-watches').replaceChildren();
  addWatchInput();
}

/**
 * Builds a TracePointConfig from the form: only what the user filled in. The watch inputs that are sent are labelled
 * with the field the server names them by (watches[i] counts only the filled ones).
 */
function tracepointFromForm(form) {
  const v = (name) => form.elements[name].value.trim();
  const args = {};
  for (const name of ['condition', 'log_msg', 'fire_count', 'fire_period', 'stage', 'span', 'snapshot', 'method_name', 'class_name']) {
    if (v(name)) args[name] = v(name);
  }
  const watches = [];
  for (const input of watchInputs()) {
    const error = input.parentElement.querySelector('.field-error');
    error.removeAttribute('data-error-for');
    if (!input.value.trim()) continue;
    error.dataset.errorFor = `watches[${watches.length}]`;
    watches.push(input.value.trim());
  }
  const tp = { path: v('path'), args, watches };
  const line = v('lineNumber');
  // A line that is not a number is sent as it is so the server can say what is wrong with it.
  if (line !== '') tp.lineNumber = /^\d+$/.test(line) ? Number(line) : line;
  const targeting = [];
  for (const t of form.elements.targeting.value.split('\n').map((x) => x.trim()).filter(Boolean)) {
    const eq = t.indexOf('=');
    if (eq <= 0) return { errors: [{ field: 'targeting', message: `"${t}" is not key=value` }] };
    targeting.push({ key: t.slice(0, eq).trim(), value: { stringValue: t.slice(eq + 1).trim() } });
  }
  if (targeting.length) tp.targeting = targeting;
  return { tracepoint: tp };
}

function clearFormErrors() {
  for (const span of document.querySelectorAll('#tp-form .field-error')) span.textContent = '';
  for (const input of document.querySelectorAll('#tp-form [aria-invalid]')) input.removeAttribute('aria-invalid');
  const fe = $('#form-error');
  fe.hidden = true;
  fe.replaceChildren();
}

/**
 * Shows each problem next to the form input of its field: the server names it (path, line_number, args.condition,
 * watches[1], ...) as the input's error line does (data-error-for). A field the form has no input for (metrics[0].name,
 * tracepoint) goes to the form's general error area. Focus goes to the first input in error.
 */
function showErrors(errors) {
  let first = null;
  for (const { field, message } of errors) {
    const span = field && document.querySelector(`#tp-form [data-error-for="${CSS.escape(field)}"]`);
    if (!span) { showFormError(field ? `${field}: ${message}` : message); continue; }
    span.textContent = span.textContent ? `${span.textContent} ${message}` : message;
    const input = span.parentElement.querySelector('input, select, textarea');
    input.setAttribute('aria-invalid', 'true');
    // The method and targeting fields live in a collapsed section: open it so the error is seen.
    const more = input.closest('details');
    if (more) more.open = true;
    first ??= input;
  }
  if (first) first.focus();
}

function showFormError(message) {
  const fe = $('#form-error');
  fe.append(el('span', { class: 'form-error-line' }, message));
  fe.hidden = false;
}

async function submitTracepoint(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearFormErrors();
  const built = tracepointFromForm(form);
  if (built.errors) { showErrors(built.errors); return; }
  const button = $('#tp-create');
  button.disabled = true;
  try {
    const created = await api('POST', '/api/tracepoints', { tracepoint: built.tracepoint });
    form.reset();
    resetWatchInputs();
    form.querySelector('details').open = false;
    const id = tpId(created) || tpId(created.tracepoint);
    state.tracepointsKey = null;
    await loadTracepoints();
    if (id) flash(document.querySelector(`#tp-list li[data-id="${CSS.escape(id)}"]`));
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.errors.length) showErrors(err.errors);
    else showFormError(`Could not create the tracepoint: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}

function flash(node) {
  if (!node) return;
  node.classList.add('flash');
  setTimeout(() => node.classList.remove('flash'), 1500);
}

// ---------------------------------------------------------------- status per agent

// The server answers in pages; a few are plenty for a page people read (the rest stays on the server).
const MAX_STATUS_PAGES = 10;

async function loadStatus() {
  const agents = [];
  let after = null;
  for (let page = 0; page < MAX_STATUS_PAGES; page++) {
    let res;
    try {
      res = await api('GET', '/api/status' + (after ? '?after=' + encodeURIComponent(after) : ''));
    } catch (err) {
      // No status endpoint on this server (yet): show nothing rather than an error.
      if (err instanceof ApiError && (err.status === 404 || err.status === 405)) {
        if (state.status !== null) { state.status = null; renderAllStatus(); }
        return;
      }
      throw err;
    }
    agents.push(...(res.agents || []));
    after = res.next;
    if (!after) break;
  }
  const byTp = new Map();
  for (const agent of agents) {
    for (const t of agent.tracepoints || []) {
      const id = t.id ?? t.ID;
      if (!byTp.has(id)) byTp.set(id, []);
      // Where it went (installed/fired) reads as part of the detail: "in Shop.Cart.Add, line 43".
      const where = t.method ? `in ${t.method}${t.lineUsed ? ', line ' + t.lineUsed : ''}${t.fireCount ? ', fired ' + t.fireCount + '×' : ''}` : '';
      const detail = [where, t.detail].filter(Boolean).join('; ');
      byTp.get(id).push({ agent: agent.agent, service: agent.service, state: t.state, detail, updated: t.updated });
    }
  }
  state.status = byTp;
  renderAllStatus();
}

function renderAllStatus() {
  for (const div of document.querySelectorAll('#tp-list .tp-status')) renderStatusInto(div, div.dataset.statusFor);
}

function renderStatusInto(div, id) {
  div.replaceChildren();
  if (!state.status) return;
  const entries = state.status.get(id) || [];
  if (!entries.length) {
    div.append(el('span', { class: 'badge state-none' }, 'no agent has reported it yet'));
    return;
  }
  for (const s of entries) {
    const st = String(s.state || 'unknown').toLowerCase();
    const who = s.service ? `${s.service}${s.agent ? ' (' + s.agent + ')' : ''}` : (s.agent || 'agent');
    div.append(el('span', { class: `badge state-${st.replace(/[^a-z_-]/g, '')}`, title: s.updated ? `updated ${s.updated}` : undefined },
      el('b', null, st), ` ${who}`, s.detail ? el('span', { class: 'detail' }, ` · ${s.detail}`) : null));
  }
}

// ---------------------------------------------------------------- snapshots list

function renderSnapshotFilter() {
  const sel = $('#snap-filter');
  const current = sel.value;
  sel.replaceChildren(el('option', { value: '' }, 'all'));
  for (const tp of state.tracepoints) {
    sel.append(el('option', { value: tpId(tp) }, `${tpLocation(tp)} · ${shortId(tpId(tp))}`));
  }
  sel.value = [...sel.options].some((o) => o.value === current) ? current : '';
}

/** A row of the list, from a full snapshot. */
function itemFromSnapshot(s) {
  const tp = s.tracepoint || {};
  const frame = (s.frames || [])[0];
  return {
    key: base64ToHex(s.ID),
    tsNanos: s.tsNanos,
    service: attr(s.resource, 'service.name'),
    location: tp.path ? tpLocation(tp) : frame ? `${frame.shortPath || frame.fileName}:${frame.lineNumber}` : '',
    tracepointId: tpId(tp),
    full: s,
  };
}

/** A row of the list, from a search result (no variables: the snapshot is fetched when opened). */
function itemFromSummary(r) {
  return {
    key: String(r.snapshotID || '').toLowerCase(),
    tsNanos: r.startTimeUnixNano,
    service: r.serviceName,
    location: r.filePath ? `${r.filePath}:${r.lineNo ?? ''}` : '',
    tracepointId: r.tracepointID || '',
    full: null,
  };
}

/**
 * The newest snapshots. All of them through /api/search, which answers summaries (polled every second, so it must
 * stay cheap however large snapshots are); one tracepoint's through /api/snapshots?tracepoint=, which answers them
 * in full. A server without search gets the full list instead.
 */
async function fetchSnapshots() {
  const filter = $('#snap-filter').value;
  if (filter) {
    const res = await api('GET', `/api/snapshots?tracepoint=${encodeURIComponent(filter)}&limit=${SNAPSHOT_LIMIT}`);
    return (res.snapshots || []).map(itemFromSnapshot);
  }
  if (state.snapshotMode === 'search') {
    try {
      const res = await api('GET', `/api/search?limit=${SNAPSHOT_LIMIT}`);
      return (res.snapshots || []).map(itemFromSummary);
    } catch (err) {
      if (!(err instanceof ApiError) || (err.status !== 404 && err.status !== 400)) throw err;
      state.snapshotMode = 'list';
    }
  }
  const res = await api('GET', `/api/snapshots?limit=${SNAPSHOT_LIMIT}`);
  return (res.snapshots || []).map(itemFromSnapshot);
}

async function loadSnapshots() {
  const filter = $('#snap-filter').value;
  const list = await fetchSnapshots();
  // The filter changed while this answer was on its way: it is for the old one.
  if (filter !== $('#snap-filter').value) return;
  const key = list.map((s) => s.key).join(',');
  if (key === state.snapshotsKey) return;
  const known = new Set(state.snapshots.map((s) => s.key));
  const first = !state.snapshotsKey;
  state.snapshotsKey = key;
  state.snapshots = list;
  renderSnapshots(first ? null : known);
}

function renderSnapshots(known) {
  const tbody = $('#snap-list');
  tbody.replaceChildren();
  $('#snap-empty').hidden = state.snapshots.length > 0;
  $('#snap-table').hidden = state.snapshots.length === 0;
  for (const s of state.snapshots) {
    const row = el('tr', {
      class: 'snap-row' + (state.selectedKey === s.key ? ' selected' : '') + (known && !known.has(s.key) ? ' new' : ''),
      tabindex: 0, dataset: { id: s.key },
      'aria-label': `Snapshot at ${s.location}`,
      onclick: () => selectSnapshot(s),
      onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); selectSnapshot(s); } },
    },
    el('td', { class: 'time', title: formatDateTime(s.tsNanos) }, formatTime(s.tsNanos)),
    el('td', null, s.service || '—'),
    el('td', { class: 'code' }, s.location),
    el('td', { class: 'tp-id', title: s.tracepointId }, shortId(s.tracepointId)));
    tbody.append(row);
  }
}

async function selectSnapshot(item) {
  state.selectedKey = item.key;
  // The address names the open snapshot, so it can be reloaded, bookmarked or sent to someone.
  history.replaceState(null, '', `#snapshot=${item.key}`);
  for (const r of document.querySelectorAll('#snap-list tr')) r.classList.toggle('selected', r.dataset.id === item.key);
  if (item.full) { renderSnapshotDetail(item.full); return; }
  $('#detail-panel').hidden = false;
  $('#detail').replaceChildren(el('p', { class: 'empty' }, 'loading…'));
  try {
    const full = await api('GET', `/api/snapshots/${encodeURIComponent(item.key)}`);
    if (state.selectedKey === item.key) renderSnapshotDetail(full);
  } catch (err) {
    if (state.selectedKey === item.key) {
      $('#detail').replaceChildren(el('p', { class: 'error' }, err instanceof ApiError && err.status === 404
        ? `There is no snapshot ${item.key} on this server (retention may have removed it).`
        : `Could not load the snapshot: ${err.message}`));
    }
  }
}

// ---------------------------------------------------------------- snapshot detail

function renderSnapshotDetail(s) {
  const panel = $('#detail-panel');
  panel.hidden = false;
  const tp = s.tracepoint || {};
  const lookup = s.varLookup || {};
  const d = $('#detail');
  d.replaceChildren();

  const meta = el('dl', { class: 'kv meta' });
  const add = (k, v, cls) => { if (v !== undefined && v !== null && v !== '') meta.append(el('dt', null, k), el('dd', { class: cls }, v)); };
  add('location', tpLocation(tp), 'code');
  add('time', formatDateTime(s.tsNanos));
  add('service', attr(s.resource, 'service.name'));
  add('tracepoint', tpId(tp), 'code');
  add('snapshot', base64ToHex(s.ID), 'code');
  add('collected in', formatDuration(s.durationNanos));
  add('log', s.logMsg, 'code log');
  d.append(meta);

  // Frames: innermost first; the selected one shows its variables.
  const frames = s.frames || [];
  const frameList = el('ol', { class: 'frames', 'aria-label': 'Frames' });
  const varsBox = el('div', { class: 'vars', 'aria-label': 'Variables' });
  const showFrame = (i) => {
    for (const li of frameList.children) li.classList.toggle('selected', Number(li.dataset.index) === i);
    varsBox.replaceChildren();
    const f = frames[i];
    const vars = f?.variables || [];
    if (!vars.length) {
      varsBox.append(el('p', { class: 'empty' }, i === 0 ? 'No variables captured in this frame.' : 'Variables are captured for the probed frame only.'));
      return;
    }
    varsBox.append(variableTree(vars, lookup));
  };
  frames.forEach((f, i) => {
    const where = `${f.shortPath || f.fileName || '?'}:${f.lineNumber ?? ''}`;
    frameList.append(el('li', {
      dataset: { index: i }, tabindex: 0, class: f.appFrame === false ? 'lib' : '',
      onclick: () => showFrame(i), onkeydown: (e) => { if (e.key === 'Enter') showFrame(i); },
    },
    el('span', { class: 'method code' }, `${f.className ? f.className + '.' : ''}${f.methodName || '?'}`),
    f.isAsync ? el('span', { class: 'badge' }, 'async') : null,
    f.nativeFrame ? el('span', { class: 'badge' }, 'native') : null,
    f.appFrame === false ? el('span', { class: 'badge muted' }, 'library') : null,
    el('span', { class: 'where', title: f.fileName }, where)));
  });
  d.append(section('Frames', frames.length ? frameList : el('p', { class: 'empty' }, 'No frames.')));
  d.append(section('Variables', varsBox));
  if (frames.length) showFrame(0); else varsBox.append(el('p', { class: 'empty' }, 'No variables.'));

  // Watches: good results are variables (expandable), errors are shown as errors.
  const watches = s.watches || [];
  if (watches.length) {
    const ul = el('ul', { class: 'watches', 'aria-label': 'Watches' });
    for (const w of watches) {
      const src = String(w.source ?? 'WATCH');
      const head = el('div', { class: 'watch-head' }, el('span', { class: 'code expr' }, w.expression), el('span', { class: 'badge muted' }, src.toLowerCase()));
      if (w.errorResult !== undefined) {
        ul.append(el('li', { class: 'watch error' }, head, el('div', { class: 'watch-error' }, w.errorResult)));
      } else if (w.goodResult) {
        ul.append(el('li', { class: 'watch good' }, head, variableTree([w.goodResult], lookup)));
      } else {
        ul.append(el('li', { class: 'watch' }, head, el('div', { class: 'empty' }, 'no result')));
      }
    }
    d.append(section('Watches', ul));
  }
  d.append(section('Attributes', kvTable(s.attributes, 'Attributes')));
  d.append(section('Resource', kvTable(s.resource, 'Resource')));
  const args = Object.entries(tp.args || {});
  if (args.length || (tp.watches || []).length) {
    const t = el('table', { class: 'kvtable' });
    for (const [k, v] of args) t.append(el('tr', null, el('th', null, k), el('td', { class: 'code' }, v)));
    for (const w of tp.watches || []) t.append(el('tr', null, el('th', null, 'watch'), el('td', { class: 'code' }, w)));
    d.append(section('Tracepoint', t));
  }
}

function section(title, body) {
  return el('section', { class: 'part' }, el('h3', null, title), body);
}

function kvTable(list, label) {
  if (!list || !list.length) return el('p', { class: 'empty' }, 'none');
  const t = el('table', { class: 'kvtable', 'aria-label': label });
  for (const kv of list) t.append(el('tr', null, el('th', null, kv.key), el('td', { class: 'code' }, anyValueText(kv.value))));
  return t;
}

// ---------------------------------------------------------------- variable tree

const REDACTED = '[redacted]';

/**
 * A tree of variables. Children are rendered only when a node is opened, so a deep or cyclic graph
 * costs nothing until looked at; a node whose id is already on the path from the root is shown as a
 * cycle and not expanded again.
 */
function variableTree(refs, lookup) {
  const ul = el('ul', { class: 'tree', role: 'tree' });
  for (const ref of refs) ul.append(variableNode(ref, lookup, []));
  return ul;
}

function variableNode(ref, lookup, ancestors) {
  const id = ref.ID ?? ref.id;
  const v = lookup[id];
  const li = el('li', { role: 'treeitem', class: 'var', dataset: { varId: id ?? '', name: ref.name ?? '' } });
  const name = el('span', { class: 'name', title: ref.originalName ? `compiled as ${ref.originalName}` : undefined }, ref.name ?? '');
  const mods = (ref.modifiers || []).length ? el('span', { class: 'mods' }, ref.modifiers.join(' ')) : null;
  if (!v) {
    li.append(el('div', { class: 'row' }, el('span', { class: 'toggle none' }), name, mods,
      el('span', { class: 'value missing' }, `(not captured: ${id})`)));
    return li;
  }
  const isCycle = ancestors.includes(id);
  const children = v.children || [];
  const expandable = children.length > 0 && !isCycle;
  const redacted = v.value === REDACTED;
  const value = el('span', { class: 'value' + (redacted ? ' redacted' : '') + (v.value === 'null' ? ' null' : '') },
    redacted ? 'redacted' : v.value);
  const row = el('div', { class: 'row' },
    el('span', { class: 'toggle' + (expandable ? '' : ' none'), 'aria-hidden': 'true' }),
    name, mods,
    el('span', { class: 'type' }, v.type),
    value,
    v.truncated ? el('span', { class: 'badge warn', title: 'The agent stopped capturing here (a limit was reached)' }, 'truncated') : null,
    isCycle ? el('span', { class: 'badge muted', title: 'The same object appears higher up this path' }, 'cycle') : null,
    v.hash ? el('span', { class: 'hash', title: 'object identity' }, `#${v.hash}`) : null);
  li.append(row);
  if (expandable) {
    li.setAttribute('aria-expanded', 'false');
    row.tabIndex = 0;
    let childList = null;
    const toggle = () => {
      const open = li.getAttribute('aria-expanded') !== 'true';
      li.setAttribute('aria-expanded', String(open));
      if (open && !childList) {
        childList = el('ul', { role: 'group' });
        for (const c of children) childList.append(variableNode(c, lookup, [...ancestors, id]));
        li.append(childList);
      }
      if (childList) childList.hidden = !open;
    };
    row.addEventListener('click', toggle);
    row.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(); } });
  }
  return li;
}

// ---------------------------------------------------------------- polling loop

/** Runs fn every ms, never overlapping itself, reporting failures in the header. */
function every(ms, fn) {
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      await fn();
    } catch (err) {
      setConnection(false, err instanceof ApiError ? `error: ${err.message}` : 'server unreachable');
    }
    setTimeout(tick, ms);
  };
  tick();
  return () => { stopped = true; };
}

/** Opens the snapshot named in the address (#snapshot=<hex id>), if any. */
function openSnapshotFromAddress() {
  const m = /^#snapshot=([0-9a-fA-F]+)$/.exec(location.hash);
  if (m && m[1].toLowerCase() !== state.selectedKey) selectSnapshot({ key: m[1].toLowerCase(), full: null });
}

function start() {
  window.addEventListener('hashchange', openSnapshotFromAddress);
  openSnapshotFromAddress();
  resetWatchInputs();
  $('#tp-form').addEventListener('submit', submitTracepoint);
  $('#detail-close').addEventListener('click', () => {
    state.selectedKey = null;
    history.replaceState(null, '', location.pathname + location.search);
    $('#detail-panel').hidden = true;
    for (const r of document.querySelectorAll('#snap-list tr.selected')) r.classList.remove('selected');
  });
  $('#snap-filter').addEventListener('change', () => { state.snapshotsKey = null; loadSnapshots().catch(() => {}); });
  $('#key-button').hidden = !sessionStorage.getItem(KEY_STORAGE);
  $('#key-button').addEventListener('click', () => askForKey('').then(() => { state.tracepointsKey = null; }));

  every(TRACEPOINT_POLL_MS, loadTracepoints);
  every(STATUS_POLL_MS, loadStatus);
  every(SNAPSHOT_POLL_MS, async () => { if ($('#snap-live').checked) await loadSnapshots(); });
}

start();
