// The operator's view: consentd's opt-in counts per purpose and period, drawn as
// a line chart (counts only: no subject, no receipt), the notice versions, and
// the log's current checkpoint verified in the browser with the wasm core.
// Refreshes every few seconds.
'use strict';
(function () {
  const REFRESH_MS = 5000;
  const COLORS = ['#0b4f9c', '#d9480f', '#2b8a3e', '#862e9c', '#e67700'];
  const SVG = 'http://www.w3.org/2000/svg';
  const W = 720, H = 260, L = 44, R = 16, T = 14, B = 30;
  const $ = (id) => document.getElementById(id);

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function td(text, attrs) {
    const cell = document.createElement('td');
    cell.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) cell.setAttribute(k, v);
    return cell;
  }

  const pct = (granted, decisions) => (decisions ? Math.round((100 * granted) / decisions) + ' %' : '—');
  const clock = (t, span) => new Date(t * 1000).toLocaleString([], span > 86400 ? { month: 'short', day: 'numeric' } : { hour: '2-digit', minute: '2-digit' });

  function drawChart(stats, purposes) {
    const chart = $('chart');
    chart.replaceChildren(chart.querySelector('title'));
    const span = Math.max(1, stats.until - stats.since);
    const x = (t) => L + ((t - stats.since) / span) * (W - L - R);
    const y = (rate) => T + (1 - rate) * (H - T - B);
    for (const r of [0, 0.25, 0.5, 0.75, 1]) {
      chart.append(svg('line', { class: 'grid', x1: L, x2: W - R, y1: y(r), y2: y(r) }),
        svg('text', { x: L - 6, y: y(r) + 4, 'text-anchor': 'end' }, Math.round(r * 100) + '%'));
    }
    for (let i = 0; i <= 4; i++) {
      const t = stats.since + (span * i) / 4;
      chart.append(svg('text', { x: x(t), y: H - 8, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' }, clock(t, span)));
    }
    chart.append(svg('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }), svg('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    purposes.forEach((id, i) => {
      const color = COLORS[i % COLORS.length];
      const points = (stats.purposes[id] || []).filter((b) => b.decisions > 0)
        .map((b) => ({ x: x(b.start + stats.bucket_seconds / 2), y: y(b.granted / b.decisions), b }));
      if (points.length > 1) {
        chart.append(svg('polyline', { points: points.map((p) => p.x.toFixed(1) + ',' + p.y.toFixed(1)).join(' '),
          fill: 'none', stroke: color, 'stroke-width': 2.5, 'data-purpose': id }));
      }
      for (const p of points) {
        const dot = svg('circle', { cx: p.x, cy: p.y, r: 4, fill: color, 'data-purpose': id });
        dot.append(svg('title', {}, id + ': ' + p.b.granted + ' of ' + p.b.decisions + ' decisions granted, ' + p.b.withdrawn + ' withdrawn'));
        chart.append(dot);
      }
    });
    $('legend').replaceChildren(...purposes.map((id, i) => {
      const s = document.createElement('span');
      s.style.setProperty('--c', COLORS[i % COLORS.length]);
      s.textContent = id;
      return s;
    }));
  }

  function showTotals(stats, purposes) {
    const rows = purposes.map((id) => {
      const sum = (stats.purposes[id] || []).reduce((a, b) => ({ d: a.d + b.decisions, g: a.g + b.granted, w: a.w + b.withdrawn }), { d: 0, g: 0, w: 0 });
      const tr = document.createElement('tr');
      tr.dataset.purpose = id;
      tr.append(td(id), td(String(sum.d), { 'data-decisions': String(sum.d) }), td(String(sum.g), { 'data-granted': String(sum.g) }),
        td(String(sum.w), { 'data-withdrawn': String(sum.w) }), td(pct(sum.g, sum.d)));
      return tr;
    });
    $('totals').tBodies[0].replaceChildren(...rows);
  }

  function showVersions(versions) {
    const rows = versions.slice().sort((a, b) => b.version - a.version).map((v) => {
      const tr = document.createElement('tr');
      tr.dataset.version = String(v.version);
      tr.append(td('v' + v.version), td(new Date(v.published_at * 1000).toLocaleString()),
        td(v.material ? 'material: everyone is asked again' : 'not material'), td(v.hash, { class: 'mono' }));
      return tr;
    });
    $('versions').tBodies[0].replaceChildren(...rows);
  }

  async function refreshStats() {
    const [seconds, bucket] = $('window').value.split(':').map(Number);
    const until = Math.floor(Date.now() / 1000);
    const since = Math.floor((until - seconds) / bucket) * bucket;
    const res = await fetch('/api/operator/stats?bucket=' + bucket + '&since=' + since + '&until=' + (until + 1), { cache: 'no-store' });
    const stats = await res.json();
    if (!res.ok) throw new Error(stats.error ? stats.error.code + ': ' + stats.error.message : 'HTTP ' + res.status);
    const purposes = Object.keys(stats.purposes).filter((id) => id !== 'necessary');
    drawChart(stats, purposes);
    showTotals(stats, purposes);
    showVersions(stats.notice_versions || []);
    $('totals').dataset.ready = 'true';
  }

  async function refreshCheckpoint() {
    const ctx = await window.VeloVerify.context();
    $('checkpoint').textContent = ctx.note;
    const status = $('checkpoint-status');
    if (ctx.current.empty) {
      status.textContent = 'The log is still empty: no decision has been recorded yet.';
      return;
    }
    status.className = 'check';
    status.dataset.ok = String(ctx.current.valid);
    status.dataset.treeSize = String(ctx.current.tree_size || 0);
    status.textContent = ctx.current.valid
      ? ctx.current.tree_size + ' receipts in the log; checkpoint of ' + new Date(ctx.current.timestamp * 1000).toLocaleString() +
        ' signed by consentd (checked here with the wasm core)'
      : 'The checkpoint does not verify: ' + ctx.current.reason;
  }

  async function refresh() {
    await Promise.all([
      refreshStats().catch((e) => {
        $('totals').tBodies[0].replaceChildren(Object.assign(document.createElement('tr'), {}));
        $('totals').tBodies[0].firstChild.append(td('The counts are not available: ' + e.message, { colspan: '5' }));
      }),
      refreshCheckpoint().catch((e) => { $('checkpoint-status').textContent = 'The checkpoint is not available: ' + e.message; }),
    ]);
  }

  function loop() {
    refresh().finally(() => setTimeout(loop, REFRESH_MS));
  }

  function whenReady(fn) {
    if (window.ConsentCore && window.VeloVerify) fn();
    else setTimeout(() => whenReady(fn), 20);
  }
  whenReady(() => {
    $('window').addEventListener('change', refresh);
    loop();
  });
})();
