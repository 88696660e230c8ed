// The control plane's page. Everything shown comes from the Kafka Connect
// REST API next to it (relative URLs: the same origin and authentication)
// and is written with textContent, never as HTML.
'use strict';

const params = new URLSearchParams(location.search);
const every = Math.max(500, Number(params.get('refresh')) || 2000);
const $ = (id) => document.getElementById(id);
let connectors = [];
let selected = '';
let busy = false;

// el builds an element whose text is set with textContent.
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells, attrs) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.appendChild(c); else td.textContent = c === undefined || c === null ? '' : String(c);
    tr.appendChild(td);
  }
  for (const [k, v] of Object.entries(attrs || {})) tr.setAttribute(k, v);
  return tr;
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function badge(state) {
  return el('span', state, 'state state-' + String(state).toLowerCase());
}

function showError(msg) {
  const e = $('error');
  e.textContent = msg || '';
  e.hidden = !msg;
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = body;
    init.headers['Content-Type'] = 'application/json';
  }
  const res = await fetch('../' + path, init);
  const text = await res.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : null; } catch (e) { doc = null; }
  if (!res.ok) {
    const msg = doc && doc.message ? doc.message : text || res.statusText;
    const err = new Error(method + ' /' + path + ': ' + res.status + ' ' + msg);
    err.status = res.status;
    throw err;
  }
  return doc;
}

const enc = encodeURIComponent;

// gapText says how far one source partition is behind its table.
function gapText(b) {
  if (!b) return '';
  const parts = [];
  if (b.incrementing !== undefined) parts.push(b.incrementing + ' ids');
  if (b.timestamp !== undefined) parts.push(b.timestamp + ' ms');
  return parts.join(', ');
}

function behindText(lag) {
  if (!lag) return '';
  if (lag.type === 'sink') return String(lag.total_lag) + ' records';
  return (lag.source || []).map((p) => gapText(p.behind)).filter((x) => x).join('; ');
}

async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const list = await api('GET', 'connectors?expand=status&expand=info');
    const names = Object.keys(list).sort();
    const lags = await Promise.all(names.map((n) => api('GET', 'connectors/' + enc(n) + '/lag').catch(() => null)));
    connectors = names.map((n, i) => ({ name: n, status: list[n].status, info: list[n].info, lag: lags[i] }));
    renderList();
    if (selected) await renderDetail(connectors.find((c) => c.name === selected));
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    showError('');
  } catch (e) {
    showError(e.message);
  } finally {
    busy = false;
  }
}

function renderList() {
  fill($('connectors').tBodies[0], connectors.map((c) => {
    const a = el('a', c.name);
    a.href = '#' + enc(c.name);
    const tasks = (c.status.tasks || []).map((t) => t.id + ': ' + t.state).join(', ');
    return row([a, c.status.type || c.info.type, badge(c.status.connector.state), tasks, behindText(c.lag)],
      { 'data-name': c.name, 'class': c.name === selected ? 'selected' : '' });
  }));
}

async function renderDetail(c) {
  $('detail').hidden = !c;
  if (!c) return;
  $('detail-name').textContent = c.name + ' (' + (c.status.type || c.info.type) + ')';
  $('detail-state').replaceChildren(badge(c.status.connector.state));
  $('detail-worker').textContent = c.status.connector.worker_id || '';
  fill($('tasks').tBodies[0], (c.status.tasks || []).map((t) => row([t.id, badge(t.state), t.worker_id])));
  const traces = [c.status.connector.trace].concat((c.status.tasks || []).map((t) => t.trace)).filter((t) => t);
  $('trace-box').hidden = traces.length === 0;
  $('trace').textContent = traces.join('\n\n');
  const lag = c.lag || {};
  $('source-box').hidden = lag.type !== 'source';
  $('sink-box').hidden = lag.type !== 'sink';
  if (lag.type === 'source') {
    fill($('source-offsets').tBodies[0], (lag.source || []).map((p) => row([
      JSON.stringify(p.partition), JSON.stringify(p.offset),
      p.head ? JSON.stringify(p.head) : (p.head_error || ''),
      gapText(p.behind),
    ], { 'data-table': p.partition.table || '' })));
  } else if (lag.type === 'sink') {
    $('lag-total').textContent = 'total ' + lag.total_lag;
    fill($('sink-lag').tBodies[0], (lag.sink || []).map((p) => row([p.topic, p.partition, p.committed, p.end, p.lag],
      { 'data-partition': p.partition })));
  }
  await renderCharts(c);
  if (c.info.config['errors.deadletterqueue.topic.name']) {
    $('dlq-box').hidden = false;
    // Reading a topic page costs the server a Kafka client: the DLQ is
    // reloaded on navigation and every 10 s, not on every refresh.
    if (dlq.connector !== c.name) {
      dlq.connector = c.name;
      dlq.partition = 0;
      dlq.offset = null;
      dlq.record = null;
      $('dlq-record').hidden = true;
      dlq.loaded = 0;
    }
    if (Date.now() - dlq.loaded > 10000) await loadDLQ();
  } else {
    $('dlq-box').hidden = true;
  }
}

// ---- dead letter queue browser ----
// Records per DLQ page (?dlq=N, default 10).
const pageSize = Math.min(200, Math.max(1, Number(params.get('dlq')) || 10));
const dlq = { connector: '', partition: 0, offset: null, page: null, record: null, loaded: 0 };

async function loadDLQ() {
  let q = 'partition=' + dlq.partition + '&limit=' + pageSize;
  if (dlq.offset !== null) q += '&offset=' + dlq.offset;
  const page = await api('GET', 'connectors/' + enc(dlq.connector) + '/dlq?' + q);
  dlq.page = page;
  dlq.loaded = Date.now();
  $('dlq-topic').textContent = page.topic;
  const sel = $('dlq-partition');
  const opts = page.partitions.map((p) => {
    const o = el('option', p.partition + ' (' + p.start + '..' + p.end + ')');
    o.value = String(p.partition);
    return o;
  });
  if (sel.options.length !== opts.length || [...sel.options].some((o, i) => o.textContent !== opts[i].textContent)) {
    sel.replaceChildren(...opts);
  }
  sel.value = String(dlq.partition);
  const pr = page.partitions.find((p) => p.partition === page.partition);
  $('dlq-range').textContent = pr ? 'offsets ' + page.offset + '..' + (page.next - 1) + ' of ' + pr.start + '..' + (pr.end - 1) : 'no records';
  $('dlq-prev').disabled = !pr || page.offset <= pr.start;
  $('dlq-next').disabled = !pr || page.next >= pr.end;
  fill($('dlq').tBodies[0], page.records.map((r) => {
    const h = headers(r);
    const original = h['__connect.errors.topic'] !== undefined
      ? h['__connect.errors.topic'] + '[' + h['__connect.errors.partition'] + ']@' + h['__connect.errors.offset'] : '';
    const exc = [h['__connect.errors.exception.class.name'], h['__connect.errors.exception.message']].filter((x) => x).join(': ');
    const tr = row([r.offset, new Date(r.timestamp).toISOString(), exc, original, shorten(text(r.value), 80)],
      { 'data-offset': r.offset, 'class': 'clickable' });
    tr.addEventListener('click', () => showRecord(r));
    return tr;
  }));
  if (dlq.record) {
    const again = page.records.find((r) => r.partition === dlq.record.partition && r.offset === dlq.record.offset);
    if (again) showRecord(again);
  }
}

function headers(r) {
  const h = {};
  for (const x of r.headers || []) h[x.key] = text(x.value);
  return h;
}

function text(b) {
  if (!b || b.null) return 'null';
  return b.base64 ? 'base64:' + b.text : b.text;
}

function shorten(s, n) {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

function showRecord(r) {
  dlq.record = r;
  $('dlq-record').hidden = false;
  $('dlq-record-id').textContent = 'partition ' + r.partition + ', offset ' + r.offset;
  $('dlq-key').textContent = text(r.key);
  $('dlq-value').textContent = text(r.value);
  fill($('dlq-headers').tBodies[0], (r.headers || []).map((x) => {
    const v = el('pre', text(x.value));
    return row([x.key, v], { 'class': x.key.startsWith('__connect.errors.') ? 'connect-error' : '' });
  }));
}

$('dlq-partition').addEventListener('change', () => {
  dlq.partition = Number($('dlq-partition').value);
  dlq.offset = null;
  loadDLQ().catch((e) => showError(e.message));
});
$('dlq-next').addEventListener('click', () => {
  dlq.offset = dlq.page.next;
  loadDLQ().catch((e) => showError(e.message));
});
$('dlq-prev').addEventListener('click', () => {
  dlq.offset = Math.max(0, dlq.page.offset - pageSize);
  loadDLQ().catch((e) => showError(e.message));
});

// ---- throughput and error charts ----
async function renderCharts(c) {
  let m;
  try {
    m = await api('GET', 'metrics?connector=' + enc(c.name));
  } catch (e) {
    $('charts-box').hidden = true;
    return;
  }
  const series = (m && m.series) || [];
  $('charts-box').hidden = series.length === 0;
  $('charts').replaceChildren(...series.map((s) => chart(s, m.start, m.step)));
}

const svgNS = 'http://www.w3.org/2000/svg';

function chart(s, start, step) {
  const w = 240, h = 60;
  const box = el('figure', null, 'chart');
  box.setAttribute('data-metric', s.name);
  const svg = document.createElementNS(svgNS, 'svg');
  svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  const top = Math.max(1, ...s.points);
  const n = Math.max(1, s.points.length - 1);
  const pts = s.points.map((v, i) => (i * w / n).toFixed(1) + ',' + (h - 2 - v * (h - 4) / top).toFixed(1));
  const line = document.createElementNS(svgNS, 'polyline');
  line.setAttribute('points', pts.join(' '));
  line.setAttribute('class', /fail|error|dead|tolerated/i.test(s.name) ? 'bad' : 'good');
  svg.appendChild(line);
  box.appendChild(svg);
  const total = s.points.reduce((a, b) => a + b, 0);
  box.appendChild(el('figcaption', s.name + ': ' + total + ' in the last hour (max ' + top + '/min)'));
  return box;
}

// ---- actions ----
function describe(action, c) {
  const source = (c.status.type || c.info.type) === 'source';
  const group = c.info.config['aws.lambda.consumer.group.id'] || 'connect-' + c.name;
  switch (action) {
    case 'pause': return ['Pause ' + c.name, source
      ? 'Scheduled polls of ' + c.name + ' will be skipped until it is resumed. New rows stay in the table; the source continues from its offset.'
      : 'The event source mapping of ' + c.name + ' will be disabled until it is resumed. Records wait in Kafka; the sink continues from the offsets committed in consumer group ' + group + '.'];
    case 'resume': return ['Resume ' + c.name, c.name + ' will run again from its committed offsets.'];
    case 'restart': return ['Restart ' + c.name, 'A FAILED state of ' + c.name + ' and its task will be cleared' + (source ? ' and the source invoked now.' : '; the sink retries with its next batch.')];
    case 'stop': return ['Stop ' + c.name, c.name + ' will stop and show no tasks until it is resumed. Its offsets can then be altered or reset.'];
    case 'reset': return ['Reset offsets of ' + c.name, source
      ? 'Every committed source offset of ' + c.name + ' will be deleted: when resumed it reads its tables from the beginning. The connector must be STOPPED.'
      : 'The consumer group ' + group + ' will be deleted: when resumed ' + c.name + ' starts at its starting position (' + (c.info.config['aws.lambda.starting.position'] || 'TRIM_HORIZON') + '). The connector must be STOPPED.'];
    case 'alter': return ['Alter offsets of ' + c.name, 'The offsets below (Kafka Connect KIP-875 JSON) will be written for ' + c.name +
      '; a null offset resets its partition. The connector must be STOPPED.'];
  }
  return [action, ''];
}

function request(action, name, body) {
  const p = 'connectors/' + enc(name);
  switch (action) {
    case 'pause': return api('PUT', p + '/pause');
    case 'resume': return api('PUT', p + '/resume');
    case 'stop': return api('PUT', p + '/stop');
    case 'restart': return api('POST', p + '/restart?includeTasks=true');
    case 'reset': return api('DELETE', p + '/offsets');
    case 'alter': return api('PATCH', p + '/offsets', body);
  }
  return Promise.reject(new Error('unknown action ' + action));
}

// confirm shows the dialog and resolves to true on Confirm.
function confirmDialog(title, message, body) {
  const d = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = message;
  const ta = $('confirm-body');
  ta.hidden = body === undefined;
  ta.value = body === undefined ? '' : body;
  return new Promise((resolve) => {
    const done = (ok) => {
      $('confirm-ok').onclick = null;
      $('confirm-cancel').onclick = null;
      d.close();
      resolve(ok);
    };
    $('confirm-ok').onclick = () => done(true);
    $('confirm-cancel').onclick = () => done(false);
    d.oncancel = () => done(false);
    d.showModal();
  });
}

for (const b of document.querySelectorAll('#detail .actions button')) {
  b.addEventListener('click', async () => {
    const c = connectors.find((x) => x.name === selected);
    if (!c) return;
    const action = b.dataset.action;
    const [title, message] = describe(action, c);
    let body;
    if (action === 'alter') {
      try {
        body = JSON.stringify(await api('GET', 'connectors/' + enc(c.name) + '/offsets'), null, 2);
      } catch (e) {
        const notice = $('notice');
        notice.className = 'notice error';
        notice.textContent = e.message;
        notice.hidden = false;
        return;
      }
    }
    if (!await confirmDialog(title, message, body)) return;
    const notice = $('notice');
    notice.className = 'notice';
    notice.textContent = title + ': sending…';
    notice.hidden = false;
    try {
      await request(action, c.name, action === 'alter' ? $('confirm-body').value : undefined);
      notice.className = 'notice';
      notice.textContent = title + ': done';
    } catch (e) {
      notice.className = 'notice error';
      notice.textContent = title + ' failed: ' + e.message;
    }
    notice.hidden = false;
    await refresh();
  });
}

function route() {
  selected = decodeURIComponent(location.hash.replace(/^#/, ''));
  refresh();
}

window.addEventListener('hashchange', route);
route();
setInterval(refresh, every);
