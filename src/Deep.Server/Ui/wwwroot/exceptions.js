// The "Exceptions" view (Exception Replay, docs/exception-replay.md): one row per fingerprint from /api/exceptions;
// a row opens its latest snapshot in the snapshot panel (app.js opens #snapshot=<id>). Self-contained on purpose:
// it only adds its own panel, and reads the API key app.js keeps in sessionStorage.
const POLL_MS = 2000;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

function buildPanel() {
  const panel = el('section', { class: 'panel', id: 'exceptions-panel', 'aria-labelledby': 'exc-title' },
    el('div', { class: 'panel-head' }, el('h2', { id: 'exc-title' }, 'Exceptions')));
  const empty = el('p', { class: 'empty', id: 'exc-empty' },
    'No exceptions yet. An exception that escapes the app\u2019s code shows here the second time it happens, with every frame\u2019s variables.');
  const table = el('table', { class: 'snap-table', id: 'exc-table', hidden: '' },
    el('thead', {}, el('tr', {}, ...['type', 'message', 'where', 'count', 'last seen', 'service'].map(h => el('th', {}, h)))),
    el('tbody', { id: 'exc-list' }));
  panel.append(empty, table);
  const snapshots = document.getElementById('snapshots-panel');
  if (snapshots) snapshots.before(panel); else document.querySelector('main')?.append(panel);
  return { empty, table, list: table.querySelector('tbody') };
}

async function load(view) {
  const headers = { accept: 'application/json' };
  const key = sessionStorage.getItem('deep.apiKey');
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch('api/exceptions', { headers });
  if (!res.ok) return; // app.js reports the connection and asks for a key
  const rows = (await res.json()).exceptions ?? [];
  view.empty.hidden = rows.length > 0;
  view.table.hidden = rows.length === 0;
  view.list.replaceChildren(...rows.map(r => {
    const link = el('a', { href: `#snapshot=${r.snapshotId}`, 'data-fingerprint': r.fingerprint }, r.type);
    const row = el('tr', { class: 'exc-row' },
      el('td', {}, link), el('td', {}, r.message), el('td', { title: `${r.path}:${r.line}` }, r.where),
      el('td', {}, String(r.count)), el('td', {}, r.lastSeen), el('td', {}, r.service));
    row.addEventListener('click', e => { if (e.target !== link) location.hash = `snapshot=${r.snapshotId}`; });
    return row;
  }));
}

const view = buildPanel();
const tick = async () => {
  try { await load(view); } catch { /* the server is away: app.js shows that */ }
  setTimeout(tick, POLL_MS);
};
tick();
