/* zoo.html (see zoo.h): the detection matrix of one `faultline zoo`, drawn from the
 * page's own copy of zoo.json by inline JavaScript with textContent only (no name or
 * error text is ever parsed as HTML); no network, opens from file:// as well. Testable
 * DOM: tr.zoo-row[data-name], a.run[data-verdict], #zoo-ready[data-status=ready]. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_index.h"
#include "zoo.h"

static const char page_head[] =
    FL_STORE_PAGE_START("faultline zoo")
    "h1{font-size:1.4em;margin:0 0 .3em}.muted{color:#57606a}\n"
    "table{border-collapse:collapse;width:100%;margin-top:1em}\n"
    "th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #d0d7de;vertical-align:top}\n"
    "th{background:#f6f8fa;position:sticky;top:0}\n"
    "td.num{text-align:right;white-space:nowrap}\n"
    ".rate{font-weight:600}.alarm{color:#cf222e;font-weight:600}.missed{color:#9a6700}\n"
    "a.run{display:inline-block;min-width:1.6em;margin:0 .15em .15em 0;padding:0 .3em;"
    "border-radius:.3em;color:#fff;text-decoration:none;text-align:center;font-size:.85em}\n"
    ".verdict-valid{background:#1a7f37}.verdict-INVALID{background:#cf222e}\n"
    ".verdict-unknown{background:#9a6700}.verdict-ERROR{background:#8250df}\n"
    ".needs{color:#8250df}\n"
    ".known{color:#57606a}\n"
    "</style>\n</head>\n<body>\n<h1 id=\"title\">faultline zoo</h1>\n"
    "<noscript><p>This page draws its table with JavaScript; the matrix is in the zoo-data "
    "element of the page source (and in zoo.json beside it).</p></noscript>\n"
    "<p id=\"zoo-meta\" class=\"muted\"></p>\n<p id=\"zoo-previous\" class=\"muted\"></p>\n"
    "<table><thead><tr><th>target</th><th>mode</th><th>detected / runs</th><th>unknown</th>"
    "<th>errors</th><th>median first anomaly</th><th>caught by</th><th>previous night</th>"
    "<th>simulator</th><th>notes</th><th>runs (seed)</th></tr></thead>\n"
    "<tbody id=\"matrix\"></tbody></table>\n"
    "<div id=\"errors\" hidden></div>\n";

/* Everything below reads the data and writes text nodes: never innerHTML. */
static const char page_script[] =
    "<script>\n\"use strict\";\n(function () {\n"
    "const errors = document.getElementById(\"errors\");\n"
    "window.addEventListener(\"error\", function (e) {\n"
    "  errors.hidden = false;\n  errors.textContent += String(e.message) + \"\\n\";\n});\n"
    "const zoo = JSON.parse(document.getElementById(\"zoo-data\").textContent);\n"
    "function el(tag, cls, text) {\n"
    "  const e = document.createElement(tag);\n"
    "  if (cls) e.className = cls;\n"
    "  if (text !== undefined && text !== null) e.textContent = String(text);\n"
    "  return e;\n}\n"
    "/* only relative paths written by faultline */\n"
    "function safeHref(h) { return typeof h === \"string\" && /^[A-Za-z0-9%._~\\/-]+$/.test(h)\n"
    "  && h.split(\"/\").every(function (p) { return p !== \"\" && (p === \"..\" || p[0] !== \".\"); }); }\n"
    "function seconds(s) { return typeof s === \"number\" ? s.toFixed(1) + \" s\" : \"-\"; }\n"
    "const s = zoo.settings || {};\n"
    "const f = zoo.faultline || {};\n"
    "document.getElementById(\"title\").textContent = \"faultline zoo of \" + zoo.started;\n"
    "document.getElementById(\"zoo-meta\").textContent = \"faultline \" + f.version +\n"
    "  \" (commit \" + f.commit + \"); \" + s.runs + (s.runs === 1 ? \" run\" : \" runs\") +\n"
    "  \" per bug or known finding, \" + s.correct_runs +\n"
    "  \" per correct mode, \" + s.time_limit_s + \" s each, seed \" + s.seed + \", simulator seeds \" +\n"
    "  s.sim_seeds + \"; finished \" + (zoo.finished || \"(not yet)\") + \"; exit \" + zoo.exit;\n"
    "const prev = document.getElementById(\"zoo-previous\");\n"
    "if (zoo.previous && safeHref(zoo.previous.href)) {\n"
    "  prev.appendChild(document.createTextNode(\"previous night: \"));\n"
    "  const a = el(\"a\", null, \"the zoo of \" + zoo.previous.started);\n"
    "  a.setAttribute(\"href\", zoo.previous.href);\n"
    "  prev.appendChild(a);\n"
    "} else {\n  prev.textContent = \"no earlier zoo in this store\";\n}\n"
    "function cell(tr, cls, text) { const td = el(\"td\", cls, text); tr.appendChild(td); return td; }\n"
    "function runLink(r) {\n"
    "  const href = \"../../\" + r.dir + \"/report.html\";\n"
    "  const a = el(r.dir && safeHref(href) ? \"a\" : \"span\", \"run verdict-\" + r.verdict, r.seed);\n"
    "  if (a.tagName === \"A\") a.setAttribute(\"href\", href);\n"
    "  a.setAttribute(\"data-verdict\", r.verdict);\n"
    "  a.setAttribute(\"title\", \"seed \" + r.seed + \": \" + r.verdict +\n"
    "    (typeof r.first_anomaly_s === \"number\" ? \", first anomaly at \" + seconds(r.first_anomaly_s) : \"\") +\n"
    "    ((r.checkers || []).length ? \", caught by \" + r.checkers.join(\", \") : \"\") +\n"
    "    (r.error ? \", \" + r.error : \"\"));\n"
    "  return a;\n}\n"
    "(zoo.rows || []).forEach(function (row) {\n"
    "  const tr = el(\"tr\", \"zoo-row\");\n"
    "  tr.setAttribute(\"data-name\", row.name);\n"
    "  cell(tr, null, row.target);\n"
    "  cell(tr, null, row.mode);\n"
    "  const n = (row.runs || []).length;\n"
    "  cell(tr, \"num rate\" + (row.correct && row.detected ? \" alarm\" : !row.correct && n && row.detected < n ? \" missed\" : \"\"),\n"
    "    row.detected + \"/\" + n + (row.correct ? \" false alarms\" : \"\"));\n"
    "  cell(tr, \"num\", row.unknown);\n"
    "  cell(tr, \"num\", row.errors);\n"
    "  cell(tr, \"num\", seconds(row.median_first_anomaly_s));\n"
    "  cell(tr, null, Object.keys(row.caught_by || {}).map(function (k) {\n"
    "    return k + \" \" + row.caught_by[k]; }).join(\", \") || \"-\");\n"
    "  cell(tr, \"num\", row.previous ? row.previous.detected + \"/\" + row.previous.runs : \"-\");\n"
    "  const sim = row.simulator;\n"
    "  cell(tr, null, !sim ? \"-\" : sim.error ? \"sim: \" + sim.error :\n"
    "    \"sim: \" + sim.violations + \"/\" + sim.seeds + \" seeds\");\n"
    "  const notes = cell(tr, null, \"\");\n"
    "  if (row.needs) notes.appendChild(el(\"span\", \"needs\", \"needs: \" + row.needs));\n"
    "  if (row.finding) notes.appendChild(el(\"div\", \"known\", \"known finding (\" +\n"
    "    row.finding.expect + \"): \" + row.finding.documented));\n"
    "  if (row.not_run) notes.appendChild(el(\"div\", \"alarm\", \"not run: \" + row.not_run));\n"
    "  const runs = cell(tr, null);\n"
    "  (row.runs || []).forEach(function (r) { runs.appendChild(runLink(r)); });\n"
    "  document.getElementById(\"matrix\").appendChild(tr);\n});\n"
    "const ready = el(\"div\");\nready.id = \"zoo-ready\";\nready.hidden = true;\n"
    "ready.setAttribute(\"data-status\", \"ready\");\ndocument.body.appendChild(ready);\n"
    "})();\n</script>\n</body>\n</html>\n";

static int render_page(FILE *out, const void *zoo, char *err, size_t bytes) {
    fputs(page_head, out);
    fputs("<script type=\"application/json\" id=\"zoo-data\">\n", out);
    fl_store_put_json(out, zoo);
    fputs("\n</script>\n", out);
    fputs(page_script, out);
    if (ferror(out)) return snprintf(err, bytes, "writing zoo.html: %s", strerror(errno)), -1;
    return 0;
}

int fl_zoo_page_write(const char *dir, const json_t *zoo, char *err, size_t bytes) {
    assert(dir && zoo);
    char path[4200];
    if (snprintf(path, sizeof path, "%s/zoo.html", dir) >= (int)sizeof path)
        return snprintf(err, bytes, "%s: path too long", dir), -1;
    return fl_store_write_file(path, render_page, zoo, err, bytes);
}
