/* faultline run report: reads the page's JSON data elements (fl-meta, fl-results,
 * fl-faults, fl-perf, fl-ops, fl-primaries) and draws the summary, the checker table,
 * the timeline (with a "Primaries" band when the run recorded who was primary), the
 * latency and throughput plots, the retry-storm plot (when results hold a retry-storm
 * result with its series) and an explanation of every anomaly (a lost element's add
 * with the primaries when it was invoked and completed).
 *
 * Safety: every value from the run goes into the page through textContent,
 * setAttribute or createElementNS, never as HTML, so no history value can inject
 * markup or script. Hooks for tests: every op bar has class "op" and data-index,
 * every fault band class "fault-band" and data-kind, every op listed in an anomaly
 * class "anomaly-op" and data-index; the primaries band's segments class
 * "primary-segment" (and "split-brain" when two nodes or more were primary at once)
 * with data-nodes, a lost element's note class "lost-primaries" with data-index (its
 * add), data-invoked, data-completed and data-node; errors go into #errors;
 * #report-ready gets data-status="ready" when drawing is done. */
'use strict';

(function () {
  const errorsBox = document.getElementById('errors');
  const readyMarker = document.getElementById('report-ready');

  function recordError(text) {
    const line = document.createElement('div');
    line.textContent = String(text);
    errorsBox.appendChild(line);
  }

  window.onerror = function (message, source, line, column) {
    recordError(message + ' (line ' + line + ':' + column + ')');
    return false;
  };
  window.addEventListener('unhandledrejection', function (e) {
    recordError('unhandled rejection: ' + e.reason);
  });

  /* ---------- small helpers ---------- */

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const OUTCOMES = ['ok', 'fail', 'info', 'open'];
  const KNOWN_KINDS = ['partition', 'kill', 'pause', 'clock', 'netem'];
  const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2',
                   '#17becf', '#bcbd22', '#7f7f7f', '#d62728'];
  const OUTCOME_COLOURS = {ok: '#2e9e44', fail: '#d64541', info: '#e09b21', open: '#9aa0a6'};

  /* An HTML element; children are nodes or strings (added as text). */
  function h(tag, attrs, children) {
    const node = document.createElement(tag);
    setAttributes(node, attrs);
    appendChildren(node, children);
    return node;
  }

  function svg(tag, attrs, children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttributes(node, attrs);
    appendChildren(node, children);
    return node;
  }

  function setAttributes(node, attrs) {
    if (!attrs) return;
    for (const name of Object.keys(attrs)) {
      const value = attrs[name];
      if (value === undefined || value === null) continue;
      if (name === 'className') node.setAttribute('class', value);
      else node.setAttribute(name, String(value));
    }
  }

  function appendChildren(node, children) {
    if (children === undefined || children === null) return;
    if (!Array.isArray(children)) children = [children];
    for (const child of children) {
      if (child === undefined || child === null) continue;
      node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    }
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function byId(id) { return document.getElementById(id); }

  function readData(id) {
    const node = byId(id);
    if (!node) return null;
    return JSON.parse(node.textContent);
  }

  function isObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }

  function shortJson(v, max) {
    let text = v === undefined ? '' : JSON.stringify(v);
    if (text === undefined) text = String(v);
    const limit = max || 160;
    return text.length > limit ? text.slice(0, limit) + '\u2026' : text;
  }

  function fmtMs(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) return '\u2014';
    if (ms === 0) return '0 s';
    const a = Math.abs(ms);
    if (a >= 1000) return (ms / 1000).toFixed(a >= 100000 ? 1 : 3) + ' s';
    if (a >= 1) return ms.toFixed(a >= 100 ? 1 : 2) + ' ms';
    return (ms * 1000).toFixed(1) + ' \u00b5s';
  }

  function fmtCount(n) {
    return typeof n === 'number' ? n.toLocaleString('en-US') : String(n);
  }

  function outcomeClass(type) { return OUTCOMES.indexOf(type) >= 0 ? type : 'open'; }

  function kindClass(kind) { return 'kind-' + (KNOWN_KINDS.indexOf(kind) >= 0 ? kind : 'other'); }

  function verdictWord(valid) {
    return valid === true ? 'valid' : valid === false ? 'anomaly' : 'unknown';
  }

  function clamp(x, lo, hi) { return x < lo ? lo : x > hi ? hi : x; }

  /* 1, 2 or 5 times a power of ten, about span / target. */
  function niceStep(span, target) {
    const raw = span / target;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const m = raw / power;
    return power * (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10);
  }

  /* ---------- the data ---------- */

  const meta = readData('fl-meta') || {};
  const results = readData('fl-results');
  const faultData = readData('fl-faults') || {windows: [], events: []};
  const perf = readData('fl-perf') || {};
  const opData = readData('fl-ops') || {fields: [], rows: []};
  const primaryData = readData('fl-primaries');

  /* Rows to objects, with times in milliseconds. */
  function loadOps() {
    const f = opData.fields;
    const ops = [];
    for (const row of opData.rows) {
      const op = {};
      for (let i = 0; i < f.length; i++) op[f[i]] = row[i];
      op.start = op.invoke_ns / 1e6;
      op.end = op.complete_ns === null ? null : op.complete_ns / 1e6;
      ops.push(op);
    }
    return ops;
  }

  const ops = loadOps();
  const opByIndex = new Map();
  for (const op of ops) if (!opByIndex.has(op.index)) opByIndex.set(op.index, op);

  /* Who was primary when (the run's primaries events, as checkers/history/primaries.h
     makes segments of them): ms times; nodes null = the target could not say. */
  const primaries = (isObject(primaryData) && Array.isArray(primaryData.timeline) ? primaryData.timeline : [])
    .filter(function (p) { return isObject(p) && typeof p.from_s === 'number' && typeof p.to_s === 'number'; })
    .map(function (p) {
      return {start: p.from_s * 1000, stop: p.to_s * 1000, error: p.error,
              nodes: Array.isArray(p.nodes) ? p.nodes.map(String) : null};
    });

  /* The segment in force at ms, or null when nobody was watching then. */
  function primaryAt(ms) {
    if (typeof ms !== 'number') return null;
    for (let i = 0; i < primaries.length; i++) {
      const p = primaries[i];
      if (p.start <= ms && (ms < p.stop || (i === primaries.length - 1 && ms === p.stop))) return p;
    }
    return null;
  }

  function primaryWords(p) {
    if (!p) return 'not watched';
    if (p.nodes === null) return 'unknown';
    if (!p.nodes.length) return 'none';
    return p.nodes.join(' + ') + (p.nodes.length > 1 ? ' (split brain)' : '');
  }

  /* A node's own colour in the band: by its place among the run's nodes. */
  function nodeColour(name) {
    const names = Array.isArray(meta.nodes) ? meta.nodes.map(String) : [];
    let i = names.indexOf(name);
    if (i < 0) i = names.length + (Number(String(name).replace(/\D+/g, '')) || 0);
    return PALETTE[i % PALETTE.length];
  }

  /* The whole run's time range, in ms. */
  const fullRange = (function () {
    let lo = 0;
    let hi = (meta.history && meta.history.end_ns ? meta.history.end_ns : 0) / 1e6;
    for (const op of ops) {
      if (op.start < lo) lo = op.start;
      if (op.end !== null && op.end > hi) hi = op.end;
      if (op.start > hi) hi = op.start;
    }
    for (const w of faultData.windows) {
      if (w.stop_ns !== null && w.stop_ns / 1e6 > hi) hi = w.stop_ns / 1e6;
      if (w.start_ns / 1e6 > hi) hi = w.start_ns / 1e6;
    }
    for (const p of primaries) if (p.stop > hi) hi = p.stop;
    if (hi - lo < 1) hi = lo + 1;
    return {lo: lo, hi: hi};
  })();

  const windows = faultData.windows.map(function (w) {
    return {
      kind: w.kind, value: w.value, stopValue: w.stop_value, stopF: w.stop_f,
      startIndex: w.start_index, stopIndex: w.stop_index,
      start: w.start_ns / 1e6,
      stop: w.stop_ns === null ? fullRange.hi : w.stop_ns / 1e6,
      open: w.stop_ns === null
    };
  });

  /* ---------- fault descriptions ---------- */

  function nodeList(v) {
    return Array.isArray(v) ? v.map(function (x) { return typeof x === 'string' ? x : shortJson(x); }).join(' ')
                            : shortJson(v);
  }

  /* What a fault did, in a few words: kind:variant, then groups, grudge, nodes,
     clock offsets, primaries and any other plain fields of its event. */
  function faultParts(w) {
    const v = isObject(w.value) ? w.value : {};
    const parts = [];
    if (Array.isArray(v.groups)) {
      parts.push('groups ' + v.groups.map(function (g) { return '[' + nodeList(g) + ']'; }).join(' | '));
    }
    if (isObject(v.grudge)) {
      /* node -> the nodes whose packets it must not receive */
      const cuts = Object.keys(v.grudge).filter(function (n) {
        return !Array.isArray(v.grudge[n]) || v.grudge[n].length > 0;
      }).map(function (n) { return nodeList(v.grudge[n]) + ' \u219b ' + n; });
      if (cuts.length) parts.push('grudge ' + cuts.join(', '));
    }
    if (v.nodes !== undefined) parts.push('nodes ' + nodeList(v.nodes));
    if (isObject(v.offset_ms)) {
      parts.push('offsets ' + Object.keys(v.offset_ms).map(function (n) {
        const ms = v.offset_ms[n];
        return n + ' ' + (typeof ms === 'number' && ms > 0 ? '+' : '') + shortJson(ms) + ' ms';
      }).join(', '));
    }
    if (v.primaries !== undefined) parts.push('primaries ' + nodeList(v.primaries));
    const shown = ['kind', 'variant', 'groups', 'grudge', 'nodes', 'offset_ms', 'primaries', 'applied_ns'];
    for (const k of Object.keys(v)) {
      if (shown.indexOf(k) >= 0) continue;
      if (v[k] === null || typeof v[k] !== 'object') parts.push(k + ' ' + shortJson(v[k], 40));
    }
    if (!isObject(w.value) && w.value !== undefined && w.value !== null) parts.push(shortJson(w.value, 80));
    return parts;
  }

  function faultName(w) {
    const v = isObject(w.value) ? w.value : {};
    return w.kind + (typeof v.variant === 'string' ? ':' + v.variant : '');
  }

  function faultLabel(w) {
    return [faultName(w)].concat(faultParts(w)).join('; ');
  }

  /* ---------- tooltip ---------- */

  const tooltip = byId('tooltip');

  function showTooltip(lines, event) {
    clear(tooltip);
    for (const line of lines) {
      tooltip.appendChild(h('div', null, [h('span', {className: 'k'}, line[0]), line[1]]));
    }
    tooltip.hidden = false;
    moveTooltip(event);
  }

  function moveTooltip(event) {
    if (tooltip.hidden) return;
    const pad = 14;
    let x = event.clientX + pad, y = event.clientY + pad;
    const w = tooltip.offsetWidth, ht = tooltip.offsetHeight;
    if (x + w > window.innerWidth) x = Math.max(0, event.clientX - w - pad);
    if (y + ht > window.innerHeight) y = Math.max(0, event.clientY - ht - pad);
    tooltip.style.left = x + 'px';
    tooltip.style.top = y + 'px';
  }

  function hideTooltip() { tooltip.hidden = true; }

  function opLines(op) {
    const lines = [['op', op.index + ' (process ' + op.process + ')'], ['f', String(op.f)],
                   ['value', shortJson(op.value, 400)]];
    if (op.output !== null && op.output !== undefined) lines.push(['returned', shortJson(op.output, 400)]);
    lines.push(['outcome', op.type === 'open' ? 'never completed' : String(op.type)]);
    if (op.key !== null && op.key !== undefined) lines.push(['key', shortJson(op.key)]);
    if (op.node !== null && op.node !== undefined) lines.push(['node', shortJson(op.node)]);
    if (op.error !== null && op.error !== undefined) lines.push(['error', shortJson(op.error, 400)]);
    if (op.start !== null && op.start !== undefined) {
      lines.push(['invoked', fmtMs(op.start)]);
      if (op.end !== null && op.end !== undefined) {
        lines.push(['completed', fmtMs(op.end) + ' (latency ' + fmtMs(op.end - op.start) + ')']);
      }
    }
    if (primaries.length && typeof op.start === 'number') {
      const a = primaryAt(op.start), b = typeof op.end === 'number' ? primaryAt(op.end) : null;
      lines.push(['primary', primaryWords(a) + (b && b !== a ? ' \u2192 ' + primaryWords(b) + ' at completion' : '')]);
    }
    if (op.line) lines.push(['history line', op.line + (op.complete_line ? '\u2013' + op.complete_line : '')]);
    return lines;
  }

  function primaryLines(p) {
    const lines = [['primary', primaryWords(p)], ['from', fmtMs(p.start)], ['until', fmtMs(p.stop)]];
    if (typeof p.error === 'string') lines.push(['why unknown', p.error]);
    return lines;
  }

  function faultLines(w) {
    const lines = [['fault', faultName(w)]];
    for (const p of faultParts(w)) lines.push(['', p]);
    lines.push(['from', fmtMs(w.start) + ' (event ' + w.startIndex + ')']);
    lines.push(['until', w.open ? 'the end (never stopped)' : fmtMs(w.stop) + ' (' + w.stopF + ', event ' + w.stopIndex + ')']);
    return lines;
  }

  /* ---------- summary ---------- */

  function renderSummary() {
    const config = isObject(meta.config) ? meta.config : {};
    const verdict = ['valid', 'anomaly', 'unknown'].indexOf(meta.verdict) >= 0 ? meta.verdict : 'unknown';
    const badge = byId('verdict');
    badge.textContent = verdict;
    badge.setAttribute('class', 'verdict ' + verdict);
    const name = [config.target, config.workload].filter(function (x) { return typeof x === 'string'; }).join(' / ');
    byId('title').textContent = name || String(meta.run_dir || 'faultline run');
    document.title = 'faultline: ' + verdict + (name ? ' \u2014 ' + name : '');

    const facts = byId('facts');
    function fact(label, value) {
      if (value === undefined || value === null || value === '') return;
      facts.appendChild(h('dt', null, label));
      facts.appendChild(h('dd', null, typeof value === 'object' && value.nodeType ? value : String(value)));
    }
    const hist = meta.history || {};
    fact('Target', config.target !== undefined ? config.target + (config.bug ? ' (seeded bug ' + config.bug + ')' : '') : null);
    fact('Workload', config.workload);
    fact('Faults', config.nemesis !== undefined ? (config.nemesis === null ? 'none' : config.nemesis) +
         (windows.length ? ' \u2014 ' + windows.length + ' fault window' + (windows.length === 1 ? '' : 's') : '') :
         windows.length ? windows.length + ' fault windows' : 'none recorded');
    fact('Seed', config.seed);
    const span = fmtMs((hist.end_ns || 0) / 1e6);
    fact('Duration', (config['time-limit'] !== undefined ? config['time-limit'] + ' s time limit; ' : '') +
         'history spans ' + (hist.time_from_positions ? (hist.events || 0) + ' events (no times recorded)' : span));
    fact('Nodes', Array.isArray(meta.nodes) && meta.nodes.length ? meta.nodes.join(', ') : null);
    fact('Ops', fmtCount(hist.ops || 0) + ' client ops by ' + fmtCount(hist.processes || 0) + ' processes; ' +
         fmtCount(hist.nemesis_events || 0) + ' nemesis events');
    if (config.concurrency !== undefined) fact('Concurrency', config.concurrency + (config.rate ? ' workers, ' + config.rate + ' ops/s' : ' workers'));
    /* Which settings the target chose (its one default mix) rather than the user, and why. */
    const td = isObject(config['target-defaults']) ? config['target-defaults'] : null;
    if (td && Array.isArray(td.settings) && td.settings.length) {
      const chosen = td.settings.filter(function (x) { return typeof x === 'string'; }).map(function (k) {
        const v = config[k];
        return k + ' ' + (v === null ? 'none' : String(v));
      });
      fact('Target defaults', chosen.join(', ') + (typeof td.why === 'string' ? ' \u2014 ' + td.why : ''));
    }
    fact('Run directory', meta.run_dir);
    fact('Report written', meta.generated_at);

    if (typeof meta.command === 'string') {
      byId('command').textContent = meta.command;
      byId('command-box').hidden = false;
    }
    renderProducers();
    renderNotes();
  }

  /* "faultline 0.2.0 (commit 718bf1c)" from a test.json or results.json "faultline"
     field (a bare string in test.json before 0.2.0); null for anything else. */
  function producerText(v) {
    if (typeof v === 'string') return 'faultline ' + v;
    if (!isObject(v) || typeof v.version !== 'string') return null;
    return 'faultline ' + v.version + ' (commit ' + (typeof v.commit === 'string' ? v.commit : 'unknown') + ')';
  }

  /* Under the reproduce line: the faultline that ran the test (test.json), and the one
     that checked it (results.json) and drew this page where they are another build. */
  function renderProducers() {
    const p = isObject(meta.faultline) ? meta.faultline : {};
    const run = producerText(p.run), checked = producerText(p.results), drawn = producerText(p.report);
    const parts = [];
    if (run) parts.push('run by ' + run);
    if (checked && checked !== run) parts.push('checked by ' + checked);
    if (drawn && drawn !== run && drawn !== checked) parts.push('report by ' + drawn);
    if (!parts.length) return;
    const text = parts.join('; ');
    const line = byId('faultline-version');
    line.textContent = text.charAt(0).toUpperCase() + text.slice(1);
    line.hidden = false;
  }

  function renderNotes() {
    const notes = byId('notes');
    const emb = meta.embedded || {};
    const hist = meta.history || {};
    function note(text) { notes.appendChild(h('li', null, text)); }
    if (!meta.results_present) note('No results.json in the run directory: no checker verdicts. Run `faultline report --model M RUN_DIR` or `--workload W` to check the history first.');
    if (emb.left_out > 0) {
      note('The timeline embeds ' + fmtCount(emb.ops) + ' of ' + fmtCount(hist.ops) + ' ops and leaves ' +
           fmtCount(emb.left_out) + ' out: every op an anomaly names (' + fmtCount(emb.named) + '), ' +
           fmtCount(emb.around_faults) + ' around fault starts and stops, and an even sample of ' +
           fmtCount(emb.sampled) + ' (--max-ops ' + fmtCount(emb.max_ops) + '). Plots and quantiles use every op.');
    }
    if (emb.named_missing > 0) note(fmtCount(emb.named_missing) + ' op indices named by checkers match no client op of the history.');
    if (hist.time_from_positions) note('The history records no times: events are laid out one millisecond apart in file order.');
    if (hist.warning) note('History: ' + hist.warning);
  }

  /* ---------- paged tables ---------- */

  /* columns: [{title, num}]; rowFn(row, index) returns a <tr>. */
  function pagedTable(container, columns, rows, rowFn, pageSize) {
    const size = pageSize || 25;
    const pages = Math.max(1, Math.ceil(rows.length / size));
    let page = 0;
    const table = h('table');
    const head = h('tr');
    for (const c of columns) head.appendChild(h('th', {className: c.num ? 'num' : null}, c.title));
    table.appendChild(h('thead', null, head));
    const body = h('tbody');
    table.appendChild(body);
    const pager = h('div', {className: 'pager'});
    const prev = h('button', {type: 'button'}, '\u2039 previous');
    const next = h('button', {type: 'button'}, 'next \u203a');
    const label = h('span');
    pager.appendChild(prev);
    pager.appendChild(label);
    pager.appendChild(document.createTextNode(' '));
    pager.appendChild(next);
    function draw() {
      clear(body);
      const from = page * size;
      for (let i = from; i < Math.min(rows.length, from + size); i++) body.appendChild(rowFn(rows[i], i));
      label.textContent = ' rows ' + fmtCount(from + 1) + '\u2013' + fmtCount(Math.min(rows.length, from + size)) +
                          ' of ' + fmtCount(rows.length) + ' ';
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
    }
    prev.addEventListener('click', function () { if (page > 0) { page--; draw(); } });
    next.addEventListener('click', function () { if (page < pages - 1) { page++; draw(); } });
    container.appendChild(table);
    if (pages > 1) container.appendChild(pager);
    draw();
    return table;
  }

  function cell(text, className) { return h('td', {className: className}, text); }

  /* ---------- checkers table ---------- */

  const checkerNames = results && isObject(results.checkers) ? Object.keys(results.checkers) : [];

  function isLinearizable(r) {
    if (!isObject(r) || !isObject(r.keys)) return false;
    return Object.keys(r.keys).some(function (k) { return isObject(r.keys[k]) && 'valid' in r.keys[k]; });
  }

  function checkerCounts(r) {
    if (!isObject(r)) return '';
    if (isLinearizable(r)) {
      const inv = Array.isArray(r.invalid_keys) ? r.invalid_keys.length : 0;
      const unk = Array.isArray(r.unknown_keys) ? r.unknown_keys.length : 0;
      return fmtCount(r.key_count) + ' keys: ' + fmtCount(r.valid_keys) + ' valid, ' + inv + ' invalid, ' +
             unk + ' unknown; ' + fmtCount(r.ops) + ' ops' + (r.model ? ' (model ' + r.model + ')' : '');
    }
    const parts = [];
    for (const k of Object.keys(r)) {
      if (k === 'valid' || k === 'seconds') continue;
      if (typeof r[k] === 'number' && parts.length < 8) parts.push(k.replace(/_/g, ' ') + ' ' + fmtCount(r[k]));
    }
    if (typeof r.reason === 'string') parts.push('reason: ' + r.reason);
    if (typeof r.error === 'string') parts.push('error: ' + r.error);
    return parts.join(', ');
  }

  function renderCheckers() {
    const box = byId('checkers');
    if (!results) {
      box.appendChild(h('p', {className: 'note'}, 'No results.json: this run has not been checked.'));
      return;
    }
    if (!checkerNames.length) {
      box.appendChild(h('p', {className: 'note'}, 'results.json names no checkers (verdict ' + verdictWord(results.valid) + ').'));
      return;
    }
    const rows = checkerNames.map(function (name, i) { return {name: name, i: i, r: results.checkers[name]}; });
    pagedTable(box, [{title: 'Checker'}, {title: 'Verdict'}, {title: 'Counts'}, {title: 'Details'}], rows, function (row) {
      const v = verdictWord(isObject(row.r) ? row.r.valid : undefined);
      const tr = h('tr');
      tr.appendChild(h('td', null, h('a', {href: '#checker-' + row.i}, row.name)));
      tr.appendChild(cell(v, 'v-' + v));
      tr.appendChild(cell(checkerCounts(row.r)));
      const links = h('td');
      links.appendChild(h('a', {href: '#checker-' + row.i}, 'details'));
      if (v !== 'valid') {
        links.appendChild(document.createTextNode(' \u00b7 '));
        links.appendChild(h('a', {href: '#anomaly-' + row.i}, 'explanation'));
      }
      tr.appendChild(links);
      return tr;
    }, 50);
  }

  /* ---------- time axis helper ---------- */

  function drawTimeAxis(group, a, b, width, y, withGrid, gridHeight) {
    const step = niceStep(b - a, Math.max(2, Math.floor(width / 110)));
    for (let t = Math.ceil(a / step) * step; t <= b; t += step) {
      const x = (t - a) / (b - a) * width;
      if (withGrid) group.appendChild(svg('line', {x1: x, x2: x, y1: 0, y2: gridHeight, className: 'gridline'}));
      group.appendChild(svg('line', {x1: x, x2: x, y1: y, y2: y + 5, className: 'axis'}));
      const label = svg('text', {x: x + 2, y: y + 15});
      label.textContent = fmtMs(t);
      group.appendChild(label);
    }
  }

  /* ---------- main timeline ---------- */

  const LANE_LABEL_WIDTH = 64;
  const rangeListeners = [];
  let view = {a: fullRange.lo, b: fullRange.hi};
  let timeline = null;

  function setRange(a, b) {
    const total = fullRange.hi - fullRange.lo;
    let span = clamp(b - a, Math.max(total * 1e-7, 1e-4), total * 1.05);
    let mid = (a + b) / 2;
    mid = clamp(mid, fullRange.lo, fullRange.hi);
    view = {a: mid - span / 2, b: mid + span / 2};
    for (const f of rangeListeners) f(view.a, view.b);
  }

  function Timeline(root) {
    const processes = Array.from(new Set(ops.map(function (op) { return op.process; }))).sort(function (x, y) { return x - y; });
    const laneOf = new Map();
    processes.forEach(function (p, i) { laneOf.set(p, i); });
    const lanes = Math.max(1, processes.length);
    const laneH = clamp(Math.floor(560 / lanes), 4, 16);
    const plotH = lanes * laneH;

    const top = h('div', {className: 'row'}, [h('div', {className: 'lanes'}), h('div', {className: 'plotcell'})]);
    const scroll = h('div', {className: 'scroll'});
    const middle = h('div', {className: 'row'}, [h('div', {className: 'lanes'}), h('div', {className: 'plotcell'})]);
    const bottom = h('div', {className: 'row'}, [h('div', {className: 'lanes'}), h('div', {className: 'plotcell'})]);
    scroll.appendChild(middle);
    root.appendChild(top);
    /* The primaries band: one row above the lanes, drawn in pixels (labels must not
       stretch with the zoom), present only when the run recorded who was primary. */
    const bandRow = primaries.length ? h('div', {className: 'row primaries-row'},
      [h('div', {className: 'lanes band-label'}, 'primary'), h('div', {className: 'plotcell'})]) : null;
    if (bandRow) root.appendChild(bandRow);
    root.appendChild(scroll);
    root.appendChild(bottom);
    const plotCell = middle.lastChild;
    let width = Math.max(200, plotCell.clientWidth || 1000);

    const labels = svg('svg', {width: width, height: 18, className: 'fault-labels'});
    top.lastChild.appendChild(labels);
    const BAND_H = 18;
    const band = bandRow ? svg('svg', {width: width, height: BAND_H, className: 'primaries-band'}) : null;
    if (band) bandRow.lastChild.appendChild(band);
    const laneSvg = svg('svg', {width: LANE_LABEL_WIDTH, height: plotH});
    middle.firstChild.appendChild(laneSvg);
    const every = Math.ceil(11 / laneH);
    processes.forEach(function (p, i) {
      if (i % every) return;
      const t = svg('text', {x: 4, y: i * laneH + Math.min(laneH, 12) - 1});
      t.textContent = 'p' + p;
      laneSvg.appendChild(t);
    });
    const plot = svg('svg', {width: width, height: plotH, preserveAspectRatio: 'none', className: 'tl'});
    plotCell.appendChild(plot);
    const axis = svg('svg', {width: width, height: 24, className: 'axis'});
    bottom.lastChild.appendChild(axis);

    const far = (fullRange.hi - fullRange.lo) * 10;
    const background = svg('g');
    for (let i = 1; i < lanes; i += 2) {
      background.appendChild(svg('rect', {x: fullRange.lo - far, width: 3 * far, y: i * laneH, height: laneH, className: 'lane-alt'}));
    }
    plot.appendChild(background);
    const bands = svg('g');
    windows.forEach(function (w, i) {
      bands.appendChild(svg('rect', {x: w.start, y: 0, width: Math.max(0, w.stop - w.start), height: plotH,
                                     className: 'fault-band ' + kindClass(w.kind), 'data-kind': w.kind, 'data-window': i}));
    });
    plot.appendChild(bands);

    const bars = document.createDocumentFragment();
    for (const op of ops) {
      const end = op.end === null ? fullRange.hi : op.end;
      const rect = svg('rect', {x: op.start, y: laneOf.get(op.process) * laneH + 1, width: Math.max(0, end - op.start),
                                height: Math.max(1, laneH - 2), className: 'op ' + outcomeClass(op.type), 'data-index': op.index});
      op.rect = rect;
      bars.appendChild(rect);
    }
    const barGroup = svg('g');
    barGroup.appendChild(bars);
    plot.appendChild(barGroup);

    function drawLabels(a, b) {
      clear(labels);
      const rowEnds = [];
      windows.forEach(function (w) {
        if (w.stop < a || w.start > b) return;
        const x = Math.max(0, (w.start - a) / (b - a) * width);
        const text = faultLabel(w);
        const textWidth = Math.min(text.length * 6.2, 420);
        let row = rowEnds.findIndex(function (end) { return end < x; });
        if (row < 0) { row = rowEnds.length; rowEnds.push(0); }
        if (row > 3) return;
        rowEnds[row] = x + textWidth + 12;
        labels.appendChild(svg('rect', {x: x, y: row * 16 + 4, width: 9, height: 9, className: kindClass(w.kind)}));
        const t = svg('text', {x: x + 12, y: row * 16 + 12, className: 'fault-label'});
        t.textContent = text.length > 70 ? text.slice(0, 70) + '\u2026' : text;
        labels.appendChild(t);
      });
      labels.setAttribute('height', Math.max(18, Math.min(rowEnds.length, 4) * 16 + 4));
    }

    function drawBand(a, b) {
      if (!band) return;
      clear(band);
      primaries.forEach(function (p, i) {
        if (p.stop < a || p.start > b) return;
        const x0 = Math.max(0, (p.start - a) / (b - a) * width);
        const x1 = Math.min(width, (p.stop - a) / (b - a) * width);
        const split = p.nodes !== null && p.nodes.length > 1;
        const cls = 'primary-segment' + (split ? ' split-brain' : '') + (p.nodes === null ? ' unknown' : '') +
                    (p.nodes !== null && !p.nodes.length ? ' none' : '');
        const rect = svg('rect', {x: x0, y: 1, width: Math.max(1, x1 - x0), height: BAND_H - 2, className: cls,
                                  'data-nodes': p.nodes === null ? 'unknown' : p.nodes.join(' '), 'data-segment': i});
        if (p.nodes !== null && p.nodes.length === 1) rect.style.fill = nodeColour(p.nodes[0]);
        band.appendChild(rect);
        const text = split ? 'split brain: ' + p.nodes.join(' + ') : primaryWords(p);
        if (x1 - x0 > text.length * 6.5 + 6) {
          const onColour = p.nodes !== null && p.nodes.length > 0; /* else a pale segment: dark text */
          const t = svg('text', {x: x0 + 4, y: BAND_H - 5, className: 'primary-label' + (onColour ? '' : ' dark')});
          t.textContent = text;
          band.appendChild(t);
        }
      });
    }

    function draw(a, b) {
      drawBand(a, b);
      plot.setAttribute('viewBox', a + ' 0 ' + (b - a) + ' ' + plotH);
      clear(axis);
      axis.appendChild(svg('line', {x1: 0, x2: width, y1: 0.5, y2: 0.5}));
      drawTimeAxis(axis, a, b, width, 0, false, 0);
      drawLabels(a, b);
      byId('range-label').textContent = 'showing ' + fmtMs(a) + ' \u2013 ' + fmtMs(b);
    }

    function timeAt(clientX) {
      const box = plot.getBoundingClientRect();
      return view.a + (clientX - box.left) / width * (view.b - view.a);
    }

    function zoom(factor, at) {
      const t = at === undefined ? (view.a + view.b) / 2 : at;
      setRange(t - (t - view.a) * factor, t + (view.b - t) * factor);
    }

    plot.addEventListener('wheel', function (e) {
      e.preventDefault();
      zoom(Math.exp(clamp(e.deltaY, -300, 300) * 0.0015), timeAt(e.clientX));
    }, {passive: false});

    let drag = null;
    plotCell.addEventListener('mousedown', function (e) {
      drag = {x: e.clientX, a: view.a, b: view.b};
      plotCell.classList.add('dragging');
      e.preventDefault();
    });
    window.addEventListener('mousemove', function (e) {
      if (!drag) return;
      const dt = (e.clientX - drag.x) / width * (drag.b - drag.a);
      setRange(drag.a - dt, drag.b - dt);
    });
    window.addEventListener('mouseup', function () {
      drag = null;
      plotCell.classList.remove('dragging');
    });

    plot.addEventListener('mouseover', function (e) {
      const target = e.target;
      if (target.classList.contains('op')) {
        const op = opByIndex.get(Number(target.getAttribute('data-index')));
        if (op) showTooltip(opLines(op), e);
      } else if (target.classList.contains('fault-band')) {
        showTooltip(faultLines(windows[Number(target.getAttribute('data-window'))]), e);
      }
    });
    plot.addEventListener('mousemove', moveTooltip);
    plot.addEventListener('mouseout', hideTooltip);
    if (band) {
      band.addEventListener('mouseover', function (e) {
        const i = e.target.getAttribute && e.target.getAttribute('data-segment');
        if (i !== null && i !== undefined) showTooltip(primaryLines(primaries[Number(i)]), e);
      });
      band.addEventListener('mousemove', moveTooltip);
      band.addEventListener('mouseout', hideTooltip);
    }

    byId('zoom-in').addEventListener('click', function () { zoom(0.5); });
    byId('zoom-out').addEventListener('click', function () { zoom(2); });
    byId('pan-left').addEventListener('click', function () { const d = (view.b - view.a) * 0.4; setRange(view.a - d, view.b - d); });
    byId('pan-right').addEventListener('click', function () { const d = (view.b - view.a) * 0.4; setRange(view.a + d, view.b + d); });
    byId('zoom-reset').addEventListener('click', function () { setRange(fullRange.lo, fullRange.hi); });

    function resize() {
      const w = Math.max(200, plotCell.clientWidth || width);
      if (w === width) return;
      width = w;
      for (const node of [labels, plot, axis].concat(band ? [band] : [])) node.setAttribute('width', width);
      draw(view.a, view.b);
    }

    /* Show one op: zoom to it, scroll to its lane, outline it for a while. */
    function focus(op) {
      const end = op.end === null ? fullRange.hi : op.end;
      const pad = Math.max((end - op.start) * 2, (fullRange.hi - fullRange.lo) * 0.002);
      setRange(op.start - pad, end + pad);
      byId('timeline-section').scrollIntoView();
      scroll.scrollTop = Math.max(0, laneOf.get(op.process) * laneH - 100);
      if (op.rect) {
        op.rect.classList.add('highlight');
        setTimeout(function () { op.rect.classList.remove('highlight'); }, 4000);
      }
    }

    return {draw: draw, resize: resize, focus: focus};
  }

  function renderLegend() {
    const legend = byId('legend');
    const names = {ok: 'ok', fail: 'fail', info: 'info (indeterminate)', open: 'never completed'};
    for (const o of OUTCOMES) {
      legend.appendChild(h('span', {className: 'item'}, [h('span', {className: 'swatch', style: null}), names[o]]));
      legend.lastChild.firstChild.style.background = OUTCOME_COLOURS[o];
    }
    const kinds = Array.from(new Set(windows.map(function (w) { return w.kind; })));
    for (const k of kinds) {
      legend.appendChild(h('span', {className: 'item'}, [h('span', {className: 'swatch ' + kindClass(k)}), 'fault: ' + k]));
    }
    const named = [];
    for (const p of primaries) for (const n of p.nodes || []) if (named.indexOf(n) < 0) named.push(n);
    for (const n of named) {
      const swatch = h('span', {className: 'swatch'});
      swatch.style.background = nodeColour(n);
      legend.appendChild(h('span', {className: 'item'}, [swatch, 'primary: ' + n]));
    }
    if (primaries.some(function (p) { return p.nodes !== null && p.nodes.length > 1; })) {
      legend.appendChild(h('span', {className: 'item'}, [h('span', {className: 'swatch split-brain'}), 'split brain (two primaries or more)']));
    }
  }

  /* ---------- plots ---------- */

  const PLOT_MARGIN = {left: 64, right: 14, top: 22, bottom: 26};

  /* A plot frame: returns the svg, the inner size and the x scale for [a, b]. */
  function plotFrame(container, height, a, b) {
    clear(container);
    const width = Math.max(300, container.clientWidth || 1000);
    const root = svg('svg', {width: width, height: height});
    container.appendChild(root);
    const innerW = width - PLOT_MARGIN.left - PLOT_MARGIN.right;
    const innerH = height - PLOT_MARGIN.top - PLOT_MARGIN.bottom;
    const inner = svg('g', {transform: 'translate(' + PLOT_MARGIN.left + ',' + PLOT_MARGIN.top + ')'});
    root.appendChild(inner);
    const x = function (t) { return (t - a) / (b - a) * innerW; };
    for (const w of windows) {
      if (w.stop < a || w.start > b) continue;
      const x0 = Math.max(0, x(w.start)), x1 = Math.min(innerW, x(w.stop));
      inner.appendChild(svg('rect', {x: x0, y: 0, width: Math.max(1, x1 - x0), height: innerH,
                                     className: 'fault-shade ' + kindClass(w.kind), 'data-kind': w.kind}));
    }
    const axis = svg('g', {transform: 'translate(0,' + innerH + ')'});
    axis.appendChild(svg('line', {x1: 0, x2: innerW, y1: 0, y2: 0, className: 'axis'}));
    drawTimeAxis(axis, a, b, innerW, 0, false, 0);
    inner.appendChild(axis);
    return {root: root, inner: inner, innerW: innerW, innerH: innerH, x: x};
  }

  function yAxis(frame, ticks, y, format) {
    for (const v of ticks) {
      const py = y(v);
      if (py < -1 || py > frame.innerH + 1) continue;
      frame.inner.appendChild(svg('line', {x1: 0, x2: frame.innerW, y1: py, y2: py, className: 'gridline'}));
      const t = svg('text', {x: -6, y: py + 4, 'text-anchor': 'end'});
      t.textContent = format(v);
      frame.inner.appendChild(t);
    }
  }

  const latencySeries = (perf.latency && Array.isArray(perf.latency.series) ? perf.latency.series : []).map(function (s, i) {
    return {f: s.f, type: s.type, count: s.count, points: s.points, hidden: false, id: i};
  });
  const fNames = Array.from(new Set(latencySeries.map(function (s) { return s.f; })));
  function seriesColour(s) { return PALETTE[fNames.indexOf(s.f) % PALETTE.length]; }

  function renderLatencyLegend(redraw) {
    const legend = byId('latency-legend');
    for (const s of latencySeries) {
      const item = h('span', {className: 'item toggle'}, [h('span', {className: 'swatch'}),
        s.f + ' ' + s.type + ' (' + fmtCount(s.count) + ')']);
      item.firstChild.style.background = seriesColour(s);
      if (s.type !== 'ok') item.firstChild.style.opacity = s.type === 'fail' ? '0.75' : '0.45';
      item.addEventListener('click', function () {
        s.hidden = !s.hidden;
        item.classList.toggle('off', s.hidden);
        redraw();
      });
      legend.appendChild(item);
    }
  }

  function drawLatency(a, b) {
    const container = byId('latency-plot');
    const frame = plotFrame(container, 280, a, b);
    let lo = Infinity, hi = 0;
    for (const s of latencySeries) {
      for (const p of s.points) {
        if (p[1] > 0 && p[1] < lo) lo = p[1];
        if (p[1] > hi) hi = p[1];
      }
    }
    if (!isFinite(lo)) {
      frame.inner.appendChild(svg('text', {x: 10, y: 20}, 'no completed ops'));
      return;
    }
    const logLo = Math.floor(Math.log10(lo)), logHi = Math.max(logLo + 1, Math.ceil(Math.log10(hi)));
    const y = function (v) {
      const l = Math.log10(Math.max(v, Math.pow(10, logLo)));
      return frame.innerH - (l - logLo) / (logHi - logLo) * frame.innerH;
    };
    const ticks = [];
    for (let e = logLo; e <= logHi; e++) ticks.push(Math.pow(10, e));
    yAxis(frame, ticks, y, fmtMs);
    const points = svg('g');
    for (const s of latencySeries) {
      if (s.hidden) continue;
      const colour = seriesColour(s);
      for (const p of s.points) {
        if (p[0] < a || p[0] > b) continue;
        const px = frame.x(p[0]), py = y(p[1]);
        const attrs = {className: 'point', 'data-series': s.id, 'data-index': p[2]};
        let mark;
        if (s.type === 'fail') {
          mark = svg('rect', Object.assign(attrs, {x: px - 2.5, y: py - 2.5, width: 5, height: 5}));
          mark.style.fill = colour;
          mark.style.stroke = '#000';
        } else {
          mark = svg('circle', Object.assign(attrs, {cx: px, cy: py, r: 2.5}));
          mark.style.fill = s.type === 'ok' ? colour : 'none';
          mark.style.stroke = colour;
        }
        points.appendChild(mark);
      }
    }
    frame.inner.appendChild(points);
    points.addEventListener('mouseover', function (e) {
      const idx = e.target.getAttribute('data-index');
      if (idx === null) return;
      const s = latencySeries[Number(e.target.getAttribute('data-series'))];
      const op = opByIndex.get(Number(idx));
      if (op) showTooltip(opLines(op), e);
      else showTooltip([['op', idx + ' (not embedded)'], ['f', s.f], ['outcome', s.type]], e);
    });
    points.addEventListener('mousemove', moveTooltip);
    points.addEventListener('mouseout', hideTooltip);
  }

  /* Lines of rates per second over time in a plot frame, with a legend: each line
     {name, values (one per bucket of bucket_ms from start_ms), colour, className}. */
  function drawRates(container, height, a, b, startMs, bucketMs, lines) {
    const frame = plotFrame(container, height, a, b);
    let hi = 0;
    for (const l of lines) for (const v of l.values) if (v > hi) hi = v;
    if (hi <= 0) hi = 1;
    const step = niceStep(hi, 4);
    hi = Math.ceil(hi / step) * step;
    const y = function (v) { return frame.innerH - v / hi * frame.innerH; };
    const ticks = [];
    for (let v = 0; v <= hi + step / 2; v += step) ticks.push(v);
    yAxis(frame, ticks, y, function (v) { return fmtCount(Math.round(v)) + '/s'; });
    for (const l of lines) {
      const pts = [];
      for (let i = 0; i < l.values.length; i++) {
        const time = startMs + (i + 0.5) * bucketMs;
        if (time < a - bucketMs || time > b + bucketMs) continue;
        pts.push(frame.x(time).toFixed(1) + ',' + y(l.values[i]).toFixed(1));
      }
      if (!pts.length) continue;
      const line = svg('polyline', {points: pts.join(' '), fill: 'none', className: l.className || null,
                                    'data-series': l.name});
      line.style.stroke = l.colour;
      line.style.strokeWidth = '1.5px';
      frame.inner.appendChild(line);
    }
    let left = 0;
    const legend = svg('g');
    for (const l of lines) {
      const r = svg('rect', {x: left, y: 0, width: 10, height: 10});
      r.style.fill = l.colour;
      legend.appendChild(r);
      legend.appendChild(svg('text', {x: left + 13, y: 9}, l.name));
      left += 20 + 7 * l.name.length;
    }
    legend.setAttribute('transform', 'translate(' + (frame.innerW - left) + ',-18)');
    frame.inner.appendChild(legend);
  }

  function drawThroughput(a, b) {
    const t = perf.throughput;
    if (!t) {
      plotFrame(byId('throughput-plot'), 220, a, b);
      return;
    }
    drawRates(byId('throughput-plot'), 220, a, b, t.start_ms, t.bucket_ms, ['ok', 'fail', 'info'].map(function (n) {
      return {name: n, values: t[n] || [], colour: OUTCOME_COLOURS[n]};
    }));
  }

  /* ---------- retry storm (the retry-storm checker's series and windows) ---------- */

  const retryStorm = results && isObject(results.checkers) && isObject(results.checkers['retry-storm']) &&
                     isObject(results.checkers['retry-storm'].series) ? results.checkers['retry-storm'] : null;
  const RETRY_LINES = [['arrivals', 'arrivals at payments', '#1f77b4'], ['served', 'served (ok, repeat)', '#9467bd'],
                       ['goodput', 'goodput (ok order, cancel)', OUTCOME_COLOURS.ok]];

  function drawRetryStorm(a, b) {
    if (!retryStorm) return;
    const s = retryStorm.series;
    const width = typeof s.bucket_s === 'number' && s.bucket_s > 0 ? s.bucket_s : 1;
    drawRates(byId('retry-storm-plot'), 240, a, b, 0, width * 1000, RETRY_LINES.map(function (l) {
      const values = Array.isArray(s[l[0]]) ? s[l[0]] : [];
      return {name: l[1], colour: l[2], className: 'rs-line',
              values: values.map(function (v) { return typeof v === 'number' ? v / width : 0; })};
    }));
  }

  function fmtNumber(v, digits) { return typeof v === 'number' ? v.toFixed(digits) : '\u2014'; }

  function renderRetryStorm() {
    const section = byId('retry-storm-section');
    if (!retryStorm) return;
    section.hidden = false;
    byId('retry-storm-link').hidden = false;
    const r = retryStorm;
    const v = verdictWord(r.valid);
    const base = isObject(r.baseline) ? r.baseline : {};
    const summary = byId('retry-storm-summary');
    summary.appendChild(h('span', {className: 'verdict ' + v}, v));
    summary.appendChild(document.createTextNode(' Steady state: ' + fmtNumber(base.goodput_per_s, 1) +
      ' ok ops/s, ' + fmtNumber(base.arrivals_per_100ms, 1) + ' arrivals per 100 ms, over ' +
      fmtCount(base.steady_buckets) + ' steady seconds.' +
      (typeof r.reason === 'string' ? ' ' + r.reason + '.' : '') + (typeof r.note === 'string' ? ' ' + r.note + '.' : '') +
      (typeof r.error === 'string' ? ' Error: ' + r.error : '')));
    const list = Array.isArray(r.windows) ? r.windows : [];
    if (!list.length) return;
    const cols = [{title: '#', num: true}, {title: 'fault'}, {title: 'from', num: true}, {title: 'until', num: true},
                  {title: 'arrivals', num: true}, {title: 'calls', num: true}, {title: 'amplification', num: true},
                  {title: 'wave ratio', num: true}, {title: 'recovery', num: true}, {title: 'flags'}];
    pagedTable(byId('retry-storm-windows'), cols, list, function (w, i) {
      const flags = Array.isArray(w.flags) ? w.flags : [];
      const recovery = typeof w.recovery_s === 'number' ? w.recovery_s + ' s' :
                       typeof w.recovery_s === 'string' ? w.recovery_s : '\u2014';
      const row = h('tr', {className: 'rs-window' + (flags.length ? ' flagged' : ''), 'data-window': i}, [
        cell(String(i + 1), 'num'), h('td', null, [h('span', {className: 'swatch ' + kindClass(w.kind)}), ' ' + String(w.kind)]),
        cell(fmtMs(w.start_s * 1000), 'num'), cell(fmtMs(w.stop_s * 1000), 'num'),
        cell(fmtCount(w.arrivals), 'num'), cell(fmtCount(w.calls), 'num'), cell(fmtNumber(w.amplification, 2), 'num'),
        cell(fmtNumber(w.wave_ratio, 2), 'num'), cell(recovery, 'num'),
        cell(flags.length ? flags.map(function (f) { return String(f.explanation); }).join('; ') :
             typeof w.note === 'string' ? w.note : 'none', flags.length ? 'cannot' : null)]);
      return row;
    }, 25);
  }

  function renderQuantiles() {
    const rows = Array.isArray(perf.quantiles) ? perf.quantiles : [];
    const box = byId('quantiles');
    if (!rows.length) {
      box.appendChild(h('p', {className: 'note'}, 'No completed ops.'));
      return;
    }
    const cols = [{title: 'f'}, {title: 'outcome'}, {title: 'count', num: true}, {title: 'mean', num: true},
                  {title: 'p50', num: true}, {title: 'p90', num: true}, {title: 'p99', num: true},
                  {title: 'p99.9', num: true}, {title: 'max', num: true}];
    pagedTable(box, cols, rows, function (q) {
      return h('tr', null, [cell(q.f), cell(q.type), cell(fmtCount(q.count), 'num'), cell(fmtMs(q.mean_ms), 'num'),
                            cell(fmtMs(q.p50_ms), 'num'), cell(fmtMs(q.p90_ms), 'num'), cell(fmtMs(q.p99_ms), 'num'),
                            cell(fmtMs(q.p999_ms), 'num'), cell(fmtMs(q.max_ms), 'num')]);
    }, 20);
    if (perf.never_completed) {
      box.appendChild(h('p', {className: 'note'}, fmtCount(perf.never_completed) + ' ops never completed (no latency).'));
    }
  }

  /* ---------- ops in explanations ---------- */

  /* An op named by a checker: the embedded op when there is one (it has times), else
     what the checker wrote about it. */
  function namedOp(ref) {
    const idx = isObject(ref) ? ref.index : ref;
    const embedded = opByIndex.get(idx);
    if (embedded) return embedded;
    const r = isObject(ref) ? ref : {index: ref};
    return {
      index: r.index, process: r.process, f: r.f, value: r.value,
      output: 'output' in r ? r.output : null, type: r.type, node: r.node, error: r.error,
      key: r.key, line: r.line, complete_index: r.complete_index,
      start: typeof r.time === 'number' ? r.time / 1e6 : null,
      end: typeof r.complete_time === 'number' ? r.complete_time / 1e6 : null,
      notEmbedded: true
    };
  }

  function opRow(op, extraClass) {
    const tr = h('tr', {className: ('anomaly-op ' + (extraClass || '')).trim(), 'data-index': op.index});
    const link = h('a', {href: '#timeline-section'}, String(op.index));
    link.addEventListener('click', function (e) {
      e.preventDefault();
      if (timeline && !op.notEmbedded) timeline.focus(op);
    });
    tr.appendChild(h('td', {className: 'num'}, link));
    tr.appendChild(cell(op.process === undefined ? '' : String(op.process), 'num'));
    tr.appendChild(cell(op.f === undefined ? '' : String(op.f)));
    tr.appendChild(cell(shortJson(op.value, 300), 'value'));
    tr.appendChild(cell(op.output === null || op.output === undefined ? '' : shortJson(op.output, 300), 'value'));
    tr.appendChild(cell(op.type === 'open' ? 'never completed' : op.type === undefined ? '' : String(op.type)));
    tr.appendChild(cell(op.start === null || op.start === undefined ? '' : fmtMs(op.start), 'num'));
    tr.appendChild(cell(op.end === null || op.end === undefined ? '' : fmtMs(op.end), 'num'));
    tr.appendChild(cell(op.node === null || op.node === undefined ? '' : shortJson(op.node)));
    tr.appendChild(cell(op.line ? String(op.line) : '', 'num'));
    return tr;
  }

  const OP_COLUMNS = [{title: 'op', num: true}, {title: 'process', num: true}, {title: 'f'}, {title: 'value'},
                      {title: 'returned'}, {title: 'outcome'}, {title: 'invoked', num: true},
                      {title: 'completed', num: true}, {title: 'node'}, {title: 'line', num: true}];

  function opTable(container, list, failingIndex) {
    pagedTable(container, OP_COLUMNS, list, function (op) {
      return opRow(op, op.index === failingIndex ? 'failing' : '');
    }, 25);
  }

  /* The ops of a failing window on a timeline of their own: one lane per process,
     the failing op outlined, a dashed line where the window is cut. */
  function miniTimeline(container, list, failingIndex, cutAt) {
    const timed = list.every(function (op) { return typeof op.start === 'number'; });
    const start = function (op) { return timed ? op.start : op.index; };
    const end = function (op) {
      if (timed) return op.end === null || op.end === undefined ? null : op.end;
      return typeof op.complete_index === 'number' ? op.complete_index : null;
    };
    let lo = Infinity, hi = -Infinity;
    for (const op of list) {
      lo = Math.min(lo, start(op));
      hi = Math.max(hi, end(op) === null ? start(op) : end(op));
    }
    if (typeof cutAt === 'number' && timed) hi = Math.max(hi, cutAt);
    if (!isFinite(lo)) return;
    if (hi - lo <= 0) hi = lo + 1;
    const pad = (hi - lo) * 0.03;
    lo -= pad;
    hi += pad;
    const processes = Array.from(new Set(list.map(function (op) { return op.process; }))).sort(function (x, y) { return x - y; });
    const laneH = 22, left = 60, width = Math.max(500, (container.clientWidth || 1000) - 60);
    const height = processes.length * laneH + 30;
    const root = svg('svg', {width: width, height: height});
    const x = function (t) { return left + (t - lo) / (hi - lo) * (width - left - 10); };
    processes.forEach(function (p, i) {
      if (i % 2) root.appendChild(svg('rect', {x: 0, y: i * laneH, width: width, height: laneH, className: 'lane-alt'}));
      root.appendChild(svg('text', {x: 4, y: i * laneH + 15}, 'p' + p));
    });
    for (const op of list) {
      const lane = processes.indexOf(op.process);
      const e = end(op) === null ? hi : end(op);
      const failing = op.index === failingIndex;
      const x0 = x(start(op)), x1 = Math.max(x(e), x0 + 2);
      const bar = svg('rect', {x: x0, y: lane * laneH + 3, width: x1 - x0, height: laneH - 6,
                               className: 'op-mini anomaly-op ' + outcomeClass(op.type) + (failing ? ' failing' : ''),
                               'data-index': op.index});
      bar.style.fill = OUTCOME_COLOURS[outcomeClass(op.type)];
      bar.style.fillOpacity = failing ? '1' : '0.75';
      root.appendChild(bar);
      const label = svg('text', {x: x0 + 3, y: lane * laneH + 15});
      label.textContent = op.index + ' ' + op.f + ' ' + shortJson(op.value, 24) +
        (op.output !== null && op.output !== undefined ? ' \u2192 ' + shortJson(op.output, 24) : '');
      label.style.pointerEvents = 'none';
      root.appendChild(label);
      bar.addEventListener('mouseover', function (ev) { showTooltip(opLines(op), ev); });
      bar.addEventListener('mousemove', moveTooltip);
      bar.addEventListener('mouseout', hideTooltip);
    }
    if (typeof cutAt === 'number' && timed) {
      root.appendChild(svg('line', {x1: x(cutAt), x2: x(cutAt), y1: 0, y2: height - 26, className: 'cut-line'}));
    }
    const axis = svg('g', {transform: 'translate(' + left + ',' + (height - 26) + ')'});
    if (timed) drawTimeAxis(axis, lo, hi, width - left - 10, 0, false, 0);
    else axis.appendChild(svg('text', {x: 0, y: 15}, 'no times recorded: laid out by history index'));
    root.appendChild(axis);
    container.appendChild(h('div', {className: 'mini'}, root));
  }

  /* ---------- why each op in flight cannot come next ---------- */

  /* The checker decides (results.json "candidates": per state, each op's effect and
     why, from the model's own step); the page only shows it. */
  const EFFECT_CLASS = {cannot: 'cannot', could: 'could', 'took-effect': 'could'};

  function renderStates(box, model, r, failing) {
    const states = Array.isArray(r.candidates) ? r.candidates : [];
    box.appendChild(h('h4', null, 'States the model could be in just before op ' + failing.index + ' (' + states.length + ')'));
    box.appendChild(h('p', {className: 'hint'}, 'Each state is one the ops before the failing op can leave the ' + model +
      ' model in, in some order that respects real time. For each state: whether each op still in flight could take effect next.'));
    states.slice(0, 20).forEach(function (entry, i) {
      if (!isObject(entry) || !Array.isArray(entry.ops)) return;
      const div = h('div', {className: 'state'});
      div.appendChild(h('div', null, [h('b', null, 'State ' + (i + 1) + ': '), h('code', null, shortJson(entry.state, 200))]));
      const table = h('table');
      table.appendChild(h('tr', null, [h('th', null, 'op'), h('th', null, 'f'), h('th', null, 'value'),
                                       h('th', null, 'returned'), h('th', null, 'outcome'), h('th', null, 'in this state')]));
      for (const verdict of entry.ops) {
        const op = namedOp(verdict.index);
        const tr = h('tr', {className: ('anomaly-op' + (op.index === failing.index ? ' failing' : '')), 'data-index': op.index});
        tr.appendChild(cell(String(op.index), 'num'));
        tr.appendChild(cell(String(op.f)));
        tr.appendChild(cell(shortJson(op.value, 120), 'value'));
        tr.appendChild(cell(op.output === null || op.output === undefined ? '' : shortJson(op.output, 120), 'value'));
        tr.appendChild(cell(op.type === 'open' ? 'never completed' : String(op.type)));
        tr.appendChild(h('td', null, h('span', {className: EFFECT_CLASS[verdict.effect] || ''}, String(verdict.why))));
        table.appendChild(tr);
      }
      div.appendChild(table);
      box.appendChild(div);
    });
    if (states.length > 20) box.appendChild(h('p', {className: 'note'}, (states.length - 20) + ' more states not shown.'));
  }

  function renderLinearizableKey(parent, model, key, r) {
    const box = h('div', {className: 'anomaly'});
    parent.appendChild(box);
    box.appendChild(h('h4', null, 'Key ' + key + ': not linearizable'));
    let explanation = typeof r.explanation === 'string' ? r.explanation : 'no linearization exists';
    if (isObject(r.anomaly) && typeof r.anomaly.sentence === 'string') {
      /* The named anomaly first; the explanation opens with it, so it is not said twice. */
      box.appendChild(h('p', {className: 'anomaly-shape', 'data-shape': String(r.anomaly.shape)}, r.anomaly.sentence));
      if (explanation.startsWith(r.anomaly.sentence + '. ')) explanation = explanation.slice(r.anomaly.sentence.length + 2);
    }
    box.appendChild(h('p', {className: 'explanation'}, explanation));
    if (!isObject(r.failing_op)) return;
    const failing = namedOp(r.failing_op);
    const windowOps = (r.window && Array.isArray(r.window.ops) ? r.window.ops : []).map(namedOp);
    if (r.window) {
      box.appendChild(h('p', null, 'The failing window: ' + windowOps.length + ' ops, the history of this key cut at the ' +
        'completion of op ' + failing.index + ' (event ' + r.window.cut_index + ')' +
        (r.window.minimized ? ', with every read not needed to keep it unlinearizable removed' : '') +
        '. These ops alone admit no linearization, so the whole key has none.'));
      miniTimeline(box, windowOps, failing.index, failing.end);
    }
    box.appendChild(h('h4', null, 'The op that cannot take effect'));
    opTable(box, [failing], failing.index);
    renderStates(box, model, r, failing);
    if (Array.isArray(r.linearized_prefix)) {
      const total = r.linearized_prefix_length || r.linearized_prefix.length;
      box.appendChild(h('h4', null, 'Linearized prefix: ' + fmtCount(total) + ' ops took effect, in this order, before the search got stuck' +
        (total > r.linearized_prefix.length ? ' (the last ' + r.linearized_prefix.length + ' shown)' : '')));
      opTable(box, r.linearized_prefix.map(namedOp), failing.index);
    }
    if (windowOps.length) {
      box.appendChild(h('h4', null, 'Every op of the window'));
      opTable(box, windowOps, failing.index);
    }
    if (r.certificate_problem) box.appendChild(h('p', {className: 'cannot'}, 'Certificate problem: ' + r.certificate_problem));
  }

  function renderLinearizable(parent, r) {
    const keys = Object.keys(r.keys);
    const invalid = keys.filter(function (k) { return r.keys[k].valid === false; });
    const unknown = keys.filter(function (k) { return r.keys[k].valid !== false && r.keys[k].valid !== true; });
    for (const k of invalid.slice(0, 20)) renderLinearizableKey(parent, String(r.model), k, r.keys[k]);
    if (invalid.length > 20) parent.appendChild(h('p', {className: 'note'}, (invalid.length - 20) + ' more invalid keys: see the checker details.'));
    if (unknown.length) {
      const box = h('div', {className: 'anomaly unknown'});
      box.appendChild(h('h4', null, unknown.length + ' key' + (unknown.length === 1 ? '' : 's') + ' undecided'));
      pagedTable(box, [{title: 'key'}, {title: 'reason'}], unknown, function (k) {
        return h('tr', null, [cell(k), cell(String(r.keys[k].reason || r.keys[k].explanation || 'unknown'))]);
      }, 10);
      parent.appendChild(box);
    }
  }

  /* An op reference in a checker's result: an object with an integer index and a
     field that says it is an op (the same rule reports/html/sample.c uses). */
  function isOpRef(o) {
    return isObject(o) && Number.isInteger(o.index) &&
           ('process' in o || 'f' in o || 'node' in o || 'complete_index' in o || 'type' in o);
  }

  function opsOf(node) {
    const found = [];
    for (const k of Object.keys(node)) {
      const v = node[k];
      if (isOpRef(v)) found.push(v);
      else if (Array.isArray(v)) {
        for (const x of v) {
          if (isOpRef(x)) found.push(x);
          else if (k === 'ops' && Number.isInteger(x)) found.push({index: x});
        }
      }
    }
    return found;
  }

  /* An op object that also lists findings about itself: a non-empty list of plain
     values (a set checker's final read with its "lost" elements). */
  function carriesFindings(op) {
    return Object.keys(op).some(function (k) {
      const v = op[k];
      return Array.isArray(v) && v.length > 0 && !v.some(isOpRef);
    });
  }

  /* Violations in a checker's result: objects that carry an "explanation" or name ops,
     and ops that list findings; valid sub-results are skipped. In document order. */
  function collectViolations(result) {
    const out = [];
    const stack = [{node: result, path: ''}];
    while (stack.length && out.length < 1000) {
      const item = stack.pop();
      const node = item.node;
      if (Array.isArray(node)) {
        for (let i = node.length - 1; i >= 0; i--) stack.push({node: node[i], path: item.path + '[' + i + ']'});
        continue;
      }
      if (isOpRef(node) && carriesFindings(node)) { /* e.g. a final read with lost elements */
        out.push({path: item.path, node: node, ops: [node]});
        continue;
      }
      if (!isObject(node) || isOpRef(node)) continue;
      if (node !== result && node.valid === true) continue;
      const found = opsOf(node);
      if (node !== result && (typeof node.explanation === 'string' || found.length)) {
        out.push({path: item.path, node: node, ops: found});
        continue;
      }
      const keys = Object.keys(node);
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push({node: node[keys[i]], path: item.path ? item.path + '.' + keys[i] : keys[i]});
      }
    }
    return out;
  }

  function scalarFields(node, skip) {
    const dl = h('dl', {className: 'kv'});
    for (const k of Object.keys(node)) {
      if (skip.indexOf(k) >= 0) continue;
      const v = node[k];
      if (isOpRef(v) || (Array.isArray(v) && v.some(isOpRef))) continue;
      dl.appendChild(h('dt', null, k));
      dl.appendChild(h('dd', {className: 'mono'}, shortJson(v, 600)));
    }
    return dl;
  }

  /* ---------- the txn checker's cycles ---------- */

  const REL_COLOURS = {ww: '#1f77b4', wr: '#2ca02c', rw: '#d62728', process: '#9467bd', realtime: '#7f7f7f'};
  const CYCLE_DRAWN_MAX = 16;
  let cycleCount = 0;

  /* The transactions of a cycle on a circle, each step an arrow from one to the next
     labelled with its relation and key (rw red: the anti-dependencies that make it). */
  function cycleGraph(steps) {
    const n = steps.length, size = 300, radius = 110, node = 20, c = size / 2;
    const id = 'cyc' + (cycleCount++);
    const root = svg('svg', {width: size, height: size, viewBox: '0 0 ' + size + ' ' + size,
                             'class': 'txn-cycle', role: 'img'});
    const defs = svg('defs');
    Object.keys(REL_COLOURS).forEach(function (rel) {
      defs.appendChild(svg('marker', {id: id + '-' + rel, viewBox: '0 0 10 10', refX: 10, refY: 5,
                                      markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'},
                           [svg('path', {d: 'M0,0 L10,5 L0,10 z', fill: REL_COLOURS[rel]})]));
    });
    root.appendChild(defs);
    const at = steps.map(function (s, i) {
      const a = -Math.PI / 2 + 2 * Math.PI * i / n;
      return {x: c + radius * Math.cos(a), y: c + radius * Math.sin(a)};
    });
    steps.forEach(function (s, i) {
      const p = at[i], q = at[(i + 1) % n];
      const dx = q.x - p.x, dy = q.y - p.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
      const ux = dx / len, uy = dy / len;
      const rel = typeof s.rel === 'string' && REL_COLOURS[s.rel] ? s.rel : 'realtime';
      root.appendChild(svg('line', {x1: p.x + ux * node, y1: p.y + uy * node, x2: q.x - ux * node, y2: q.y - uy * node,
                                    stroke: REL_COLOURS[rel], 'stroke-width': 2,
                                    'marker-end': 'url(#' + id + '-' + rel + ')', 'class': 'cycle-edge'}));
      /* the label beside the edge's middle, pushed away from the circle's centre */
      const mx = (p.x + q.x) / 2, my = (p.y + q.y) / 2;
      const ox = mx - c, oy = my - c, ol = Math.sqrt(ox * ox + oy * oy) || 1;
      /* the key as the checker gave it: its JSON value (1, "x", ":x") */
      const label = rel + (s.key === undefined || s.key === null ? '' :
                           ' ' + (typeof s.key === 'string' ? s.key : JSON.stringify(s.key)));
      root.appendChild(svg('text', {x: mx + ox / ol * 14, y: my + oy / ol * 14 + 4, 'text-anchor': 'middle',
                                    fill: REL_COLOURS[rel], 'class': 'cycle-label'}, label));
    });
    steps.forEach(function (s, i) {
      const p = at[i];
      root.appendChild(svg('circle', {cx: p.x, cy: p.y, r: node, 'class': 'cycle-node'}));
      root.appendChild(svg('text', {x: p.x, y: p.y + 4, 'text-anchor': 'middle', 'class': 'cycle-name'},
                           typeof s.name === 'string' ? s.name : '?'));
    });
    return root;
  }

  function renderTxnCycle(box, n, path) {
    const type = typeof n.type === 'string' ? n.type : 'cycle';
    box.appendChild(h('h4', null, type + ' \u2014 ' + path));
    const steps = n.steps;
    const row = h('div', {className: 'cycle-row'});
    if (steps.length <= CYCLE_DRAWN_MAX) row.appendChild(cycleGraph(steps));
    const words = h('div', {className: 'cycle-words'});
    if (steps.length > CYCLE_DRAWN_MAX)
      words.appendChild(h('p', {className: 'note'}, 'A cycle of ' + fmtCount(steps.length) +
                          ' transactions: too long to draw; its steps are listed.'));
    const list = h('ol', {className: 'cycle-steps'});
    steps.slice(0, 200).forEach(function (s) {
      list.appendChild(h('li', null, [h('span', {className: 'rel-' + s.rel}, String(s.rel)), ' ',
                                      typeof s.why === 'string' ? s.why : '']));
    });
    words.appendChild(list);
    if (steps.length > 200) words.appendChild(h('p', {className: 'note'}, (steps.length - 200) + ' more steps.'));
    if (typeof n.explanation === 'string') {
      const tail = n.explanation.lastIndexOf(': a cycle of');
      words.appendChild(h('p', {className: 'explanation'}, tail >= 0 ? 'A' + n.explanation.slice(tail + 3) : n.explanation));
    }
    if (n.shortest === false) words.appendChild(h('p', {className: 'note'}, 'A shorter cycle of this type may exist: the search budget ended before every candidate was tried.'));
    row.appendChild(words);
    box.appendChild(row);
    const ops = steps.map(function (s) { return s.op; }).filter(isOpRef);
    if (ops.length) opTable(box, ops.slice(0, 200).map(namedOp), null);
  }

  function renderViolation(parent, v) {
    const n = v.node;
    const box = h('div', {className: 'anomaly'});
    if (Array.isArray(n.steps) && n.steps.length && n.steps.every(isObject)) {
      renderTxnCycle(box, n, v.path);
      parent.appendChild(box);
      return;
    }
    const rule = ['rule', 'anomaly', 'kind', 'type', 'name'].map(function (k) { return n[k]; })
      .filter(function (x) { return typeof x === 'string'; })[0];
    box.appendChild(h('h4', null, (rule ? rule + ' \u2014 ' : '') + v.path));
    if (typeof n.explanation === 'string') box.appendChild(h('p', {className: 'explanation'}, n.explanation));
    box.appendChild(scalarFields(n, ['explanation']));
    if (primaries.length && isOpRef(n.add)) box.appendChild(primariesNote(namedOp(n.add), n.element));
    if (v.ops.length) opTable(box, v.ops.map(namedOp), null);
    parent.appendChild(box);
  }

  /* Beside a lost (or otherwise named) element: who was primary when its add was
     invoked and when it completed, and which node answered it. */
  function primariesNote(op, element) {
    const a = primaryAt(op.start);
    const done = typeof op.end === 'number';
    const b = done ? primaryAt(op.end) : null;
    const node = op.node === null || op.node === undefined ? null : String(op.node);
    const p = h('p', {className: 'lost-primaries', 'data-index': op.index, 'data-invoked': primaryWords(a),
                      'data-completed': done ? primaryWords(b) : '', 'data-node': node === null ? '' : node});
    const what = 'The add of ' + shortJson(element, 60) + ' (op ' + op.index + ')';
    const parts = [what + ' was invoked at ' + fmtMs(op.start) + ' while the primary was ',
                   h('b', null, primaryWords(a))];
    if (done) {
      parts.push(' and completed at ' + fmtMs(op.end) + ' while it was ', h('b', null, primaryWords(b)));
      if (a !== b) parts.push(' \u2014 the primary changed while it ran');
    } else {
      parts.push(' and never completed');
    }
    parts.push('. ');
    if (node !== null) {
      const primaryThen = b && b.nodes ? b.nodes : a && a.nodes ? a.nodes : null;
      parts.push('Answered by ', h('b', null, node));
      if (primaryThen && primaryThen.indexOf(node) < 0) parts.push(', not a primary then');
      parts.push('.');
    } else {
      parts.push('No node is recorded as answering it.');
    }
    appendChildren(p, parts);
    return p;
  }

  function renderAnomalies() {
    const box = byId('anomalies');
    if (!results) {
      box.appendChild(h('p', {className: 'note'}, 'No results.json: nothing was checked.'));
      return;
    }
    let any = false;
    checkerNames.forEach(function (name, i) {
      const r = results.checkers[name];
      const v = verdictWord(isObject(r) ? r.valid : undefined);
      if (v === 'valid') return;
      any = true;
      const section = h('div', {id: 'anomaly-' + i});
      section.appendChild(h('h3', null, [name + ' \u2014 ', h('span', {className: 'verdict ' + v}, v)]));
      box.appendChild(section);
      if (!isObject(r)) return;
      if (typeof r.reason === 'string') section.appendChild(h('p', null, 'Reason: ' + r.reason));
      if (typeof r.error === 'string') section.appendChild(h('p', {className: 'cannot'}, 'Error: ' + r.error));
      if (isLinearizable(r)) {
        renderLinearizable(section, r);
        return;
      }
      const violations = collectViolations(r);
      for (const violation of violations.slice(0, 200)) renderViolation(section, violation);
      if (violations.length > 200) section.appendChild(h('p', {className: 'note'}, 'More violations: see the checker details.'));
      if (!violations.length && v === 'anomaly') {
        section.appendChild(h('p', {className: 'note'}, 'The checker names no ops; its fields:'));
        section.appendChild(scalarFields(r, []));
      }
    });
    if (!any) box.appendChild(h('p', null, 'No anomalies: every checker passed.'));
  }

  /* ---------- faults, details, logs ---------- */

  function renderPrimaries(box) {
    if (!primaries.length) return;
    box.appendChild(h('h3', null, 'Primaries'));
    box.appendChild(h('p', {className: 'hint'}, 'Who the target named as primary, asked about once a second while the ' +
      'workload ran (' + fmtCount(primaryData.changes) + ' change' + (primaryData.changes === 1 ? '' : 's') +
      (primaryData.split_brains ? ', ' + fmtCount(primaryData.split_brains) + ' split brain' +
       (primaryData.split_brains === 1 ? '' : 's') : '') + '). A change is seen within a second of when it happened.'));
    pagedTable(box, [{title: 'primary'}, {title: 'from', num: true}, {title: 'until', num: true}, {title: 'lasted', num: true}],
      primaries, function (p) {
        const split = p.nodes !== null && p.nodes.length > 1;
        return h('tr', {className: 'primary-row' + (split ? ' split-brain-row' : '')},
          [cell(primaryWords(p) + (typeof p.error === 'string' ? ' (' + p.error + ')' : '')),
           cell(fmtMs(p.start), 'num'), cell(fmtMs(p.stop), 'num'), cell(fmtMs(p.stop - p.start), 'num')]);
      }, 25);
  }

  function renderFaults() {
    const box = byId('faults');
    renderFaultWindows(box);
    renderPrimaries(box);
  }

  function renderFaultWindows(box) {
    if (!windows.length) {
      box.appendChild(h('p', {className: 'note'}, 'No fault windows in the history.'));
      return;
    }
    const cols = [{title: '#', num: true}, {title: 'fault'}, {title: 'what'}, {title: 'from', num: true},
                  {title: 'until', num: true}, {title: 'lasted', num: true}];
    pagedTable(box, cols, windows, function (w, i) {
      const swatch = h('span', {className: 'swatch ' + kindClass(w.kind)});
      return h('tr', null, [cell(String(i + 1), 'num'), h('td', null, [swatch, ' ' + faultName(w)]),
        cell(faultParts(w).join('; ')), cell(fmtMs(w.start), 'num'),
        cell(w.open ? 'never stopped' : fmtMs(w.stop) + ' (' + w.stopF + ')', 'num'),
        cell(fmtMs(w.stop - w.start), 'num')]);
    }, 25);
    if (faultData.event_count > windows.length * 2) {
      box.appendChild(h('p', {className: 'hint'}, fmtCount(faultData.event_count) + ' nemesis events in all (starts, stops, heals and others).'));
    }
  }

  function renderDetails() {
    const box = byId('checker-details');
    if (!results) return;
    checkerNames.forEach(function (name, i) {
      const r = results.checkers[name];
      const v = verdictWord(isObject(r) ? r.valid : undefined);
      const section = h('div', {id: 'checker-' + i});
      section.appendChild(h('h3', null, [name + ' \u2014 ', h('span', {className: 'verdict ' + v}, v)]));
      if (isObject(r)) {
        section.appendChild(scalarFields(r, ['keys']));
        if (isLinearizable(r)) {
          const keys = Object.keys(r.keys);
          pagedTable(section, [{title: 'key'}, {title: 'verdict'}, {title: 'ops', num: true},
                               {title: 'seconds', num: true}, {title: 'why'}], keys, function (k) {
            const kr = r.keys[k];
            const kv = verdictWord(kr.valid);
            return h('tr', null, [cell(k), cell(kv, 'v-' + kv), cell(fmtCount(kr.ops), 'num'),
              cell(typeof kr.seconds === 'number' ? kr.seconds.toFixed(3) : '', 'num'),
              cell(String(kr.explanation || kr.reason || ''))]);
          }, 20);
        }
      }
      const raw = JSON.stringify(r, null, 1) || 'null';
      const details = h('details', null, [h('summary', null, 'raw result (JSON)'),
        h('pre', {className: 'raw'}, raw.length > 200000 ? raw.slice(0, 200000) + '\n\u2026 (cut)' : raw)]);
      section.appendChild(details);
      box.appendChild(section);
    });
  }

  function relativeLink(parts) {
    return parts.map(function (p) { return encodeURIComponent(String(p)); }).join('/');
  }

  function renderLogs() {
    const list = byId('logs');
    const files = [['history.jsonl', 'history (JSON Lines)'], ['results.json', 'checker results'], ['test.json', 'resolved test settings']];
    if (meta.faultline_log) files.push(['faultline.log', 'controller log']);
    for (const f of files) list.appendChild(h('li', null, [h('a', {href: relativeLink([f[0]])}, f[0]), ' \u2014 ' + f[1]]));
    for (const log of Array.isArray(meta.logs) ? meta.logs : []) {
      list.appendChild(h('li', null, [h('a', {href: relativeLink(['nodes', log.node, log.file])}, log.node + '/' + log.file),
        ' (' + fmtCount(log.bytes) + ' bytes)']));
    }
  }

  /* ---------- start ---------- */

  function main() {
    renderSummary();
    renderCheckers();
    renderLegend();
    timeline = Timeline(byId('timeline'));
    renderLatencyLegend(function () { drawLatency(view.a, view.b); });
    renderQuantiles();
    renderAnomalies();
    renderRetryStorm();
    renderFaults();
    renderDetails();
    renderLogs();
    /* Redraw once per frame however many wheel or drag events arrive; the timer is
       there for when no frames come (a hidden tab, a headless browser). */
    let pending = false;
    function redraw() {
      if (!pending) return;
      pending = false;
      timeline.draw(view.a, view.b);
      drawLatency(view.a, view.b);
      drawThroughput(view.a, view.b);
      drawRetryStorm(view.a, view.b);
    }
    rangeListeners.push(function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(redraw);
      setTimeout(redraw, 50);
    });
    timeline.draw(view.a, view.b);
    drawLatency(view.a, view.b);
    drawThroughput(view.a, view.b);
    drawRetryStorm(view.a, view.b);
    window.addEventListener('resize', function () {
      timeline.resize();
      drawLatency(view.a, view.b);
      drawThroughput(view.a, view.b);
      drawRetryStorm(view.a, view.b);
    });
    readyMarker.setAttribute('data-status', 'ready');
    readyMarker.setAttribute('data-ms', String(Math.round(performance.now())));
  }

  try {
    main();
  } catch (e) {
    recordError(e && e.stack ? e.stack : e);
    readyMarker.setAttribute('data-status', 'error');
  }
})();
