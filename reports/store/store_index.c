/* The store's index page (see store_index.h): data as embedded JSON, drawn by inline
 * JavaScript with textContent only; no network, opens from file:// as well. */
#include "store_index.h"
#include "zoo.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char page_head[] =
    FL_STORE_PAGE_START("faultline runs")
    "h1{font-size:1.4em;margin:0 0 .5em}\n"
    "#filters{display:flex;flex-wrap:wrap;gap:1em;align-items:center;margin:.5em 0 1em}\n"
    "#filters label{cursor:pointer}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #d0d7de;vertical-align:top}\n"
    "th{background:#f6f8fa;position:sticky;top:0}\n"
    ".verdict{display:inline-block;padding:0 .5em;border-radius:.8em;color:#fff;font-weight:600}\n"
    ".verdict-valid{background:#1a7f37}.verdict-anomaly{background:#cf222e}\n"
    ".verdict-unknown{background:#9a6700}.verdict-none{background:#6e7781}\n"
    ".verdict-unreadable{background:#8250df}\n"
    ".checkers{font-size:.85em;color:#57606a}.checker-anomaly{color:#cf222e;font-weight:600}\n"
    ".links a{margin-right:.6em;white-space:nowrap}.muted{color:#57606a}\n"
    ".started,.seed,.duration{white-space:nowrap}\n"
    "#zoo-pages h2{font-size:1.1em;margin:.5em 0 .3em}#zoo-pages li{margin:.15em 0}\n"
    "</style>\n</head>\n<body>\n<h1>faultline runs</h1>\n"
    "<section id=\"zoo-pages\" hidden><h2>Zoo nights</h2><ul id=\"zoos\"></ul></section>\n"
    "<noscript><p>This page draws its table with JavaScript; the list of runs is in the "
    "runs-data element of the page source.</p></noscript>\n"
    "<div id=\"filters\"><span id=\"verdict-filters\"></span>\n"
    "<label>name <input id=\"name-filter\" type=\"search\" placeholder=\"part of a test name\"></label>\n"
    "<span id=\"shown\" class=\"muted\"></span></div>\n"
    "<table><thead><tr><th>test</th><th>started</th><th>verdict</th><th>what ran</th>"
    "<th>seed</th><th>duration (limit)</th><th>files</th></tr></thead>\n"
    "<tbody id=\"runs\"></tbody></table>\n<p id=\"footer\" class=\"muted\"></p>\n";

/* Everything below reads the data and writes text nodes: never innerHTML. */
static const char page_script[] =
    "<script>\n\"use strict\";\n(function () {\n"
    "const data = JSON.parse(document.getElementById(\"runs-data\").textContent);\n"
    "const labels = {anomaly: \"anomaly\", unknown: \"unknown\", none: \"no results\",\n"
    "  unreadable: \"unreadable results\", valid: \"valid\"};\n"
    "const shown = {};\n"
    "function el(tag, cls, text) {\n"
    "  const e = document.createElement(tag);\n"
    "  if (cls) e.className = cls;\n"
    "  if (text !== undefined && text !== null) e.textContent = String(text);\n"
    "  return e;\n}\n"
    "function duration(s) {\n"
    "  if (typeof s !== \"number\") return \"?\";\n"
    "  if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + \" s\";\n"
    "  if (s < 3600) return Math.floor(s / 60) + \" min \" + Math.round(s % 60) + \" s\";\n"
    "  return Math.floor(s / 3600) + \" h \" + Math.round((s % 3600) / 60) + \" min\";\n}\n"
    "/* only relative, percent-encoded paths written by faultline */\n"
    "function safeHref(h) { return typeof h === \"string\" && /^[A-Za-z0-9%._~\\/-]+$/.test(h); }\n"
    "function row(r) {\n"
    "  const tr = el(\"tr\", \"run verdict-row-\" + r.verdict);\n"
    "  tr.appendChild(el(\"td\", \"test\", r.test));\n"
    "  tr.appendChild(el(\"td\", \"started\", r.started));\n"
    "  const v = el(\"td\");\n"
    "  v.appendChild(el(\"span\", \"verdict verdict-\" + r.verdict, labels[r.verdict] || r.verdict));\n"
    "  const names = Object.keys(r.checkers || {});\n"
    "  if (names.length) {\n"
    "    const list = el(\"div\", \"checkers\");\n"
    "    names.forEach(function (n, i) {\n"
    "      if (i) list.appendChild(document.createTextNode(\", \"));\n"
    "      list.appendChild(el(\"span\", \"checker-\" + r.checkers[n], n + \": \" + r.checkers[n]));\n"
    "    });\n"
    "    v.appendChild(list);\n  }\n"
    "  tr.appendChild(v);\n"
    "  const what = [r.target, r.workload].filter(Boolean).join(\" / \") +\n"
    "    (r.bug ? \" (bug \" + r.bug + \")\" : \"\") + (r.nemesis ? \", nemesis \" + r.nemesis : \"\");\n"
    "  tr.appendChild(el(\"td\", \"what\", what || \"?\"));\n"
    "  tr.appendChild(el(\"td\", \"seed\", r.seed || \"?\"));\n"
    "  tr.appendChild(el(\"td\", \"duration\", duration(r.duration_s) +\n"
    "    (typeof r.time_limit_s === \"number\" ? \" (\" + duration(r.time_limit_s) + \")\" : \"\")));\n"
    "  const links = el(\"td\", \"links\");\n"
    "  [[\"report\", \"report\"], [\"history\", \"history\"], [\"results\", \"results\"],\n"
    "   [\"log\", \"log\"], [\"nodes\", \"node logs\"], [\"junit\", \"junit\"], [\"test\", \"config\"]]\n"
    "    .forEach(function (k) {\n"
    "      const h = (r.links || {})[k[0]];\n"
    "      if (!safeHref(h)) return;\n"
    "      const a = el(\"a\", null, k[1]);\n"
    "      a.setAttribute(\"href\", h);\n"
    "      links.appendChild(a);\n    });\n"
    "  tr.appendChild(links);\n  return tr;\n}\n"
    "function render() {\n"
    "  const q = document.getElementById(\"name-filter\").value.toLowerCase();\n"
    "  const body = document.getElementById(\"runs\");\n"
    "  while (body.firstChild) body.removeChild(body.firstChild);\n"
    "  let count = 0;\n"
    "  data.runs.forEach(function (r) {\n"
    "    if (!shown[r.verdict] || (q && String(r.test).toLowerCase().indexOf(q) < 0)) return;\n"
    "    body.appendChild(row(r));\n    count++;\n  });\n"
    "  document.getElementById(\"shown\").textContent = count + \" of \" + data.runs.length + \" runs shown\";\n}\n"
    "/* the filters live in the URL's fragment (#verdict=anomaly,unknown&name=raft), so a\n"
    "   filtered view can be linked to */\n"
    "const wanted = {};\n"
    "location.hash.replace(/^#/, \"\").split(\"&\").forEach(function (kv) {\n"
    "  const i = kv.indexOf(\"=\");\n"
    "  if (i > 0) wanted[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1));\n});\n"
    "const only = wanted.verdict ? wanted.verdict.split(\",\") : null;\n"
    "document.getElementById(\"name-filter\").value = wanted.name || \"\";\n"
    "function remember() {\n"
    "  const on = Object.keys(shown).filter(function (k) { return shown[k]; });\n"
    "  const parts = [];\n"
    "  if (on.length < Object.keys(shown).length) parts.push(\"verdict=\" + on.join(\",\"));\n"
    "  const q = document.getElementById(\"name-filter\").value;\n"
    "  if (q) parts.push(\"name=\" + encodeURIComponent(q));\n"
    "  history.replaceState(null, \"\", parts.length ? \"#\" + parts.join(\"&\") : location.pathname);\n}\n"
    "const counts = {};\n"
    "data.runs.forEach(function (r) { counts[r.verdict] = (counts[r.verdict] || 0) + 1; });\n"
    "const boxes = document.getElementById(\"verdict-filters\");\n"
    "Object.keys(labels).concat(Object.keys(counts).filter(function (k) { return !(k in labels); }))\n"
    "  .forEach(function (k) {\n"
    "    shown[k] = !only || only.indexOf(k) >= 0;\n"
    "    if (!counts[k]) return; /* no box for a verdict no run has */\n"
    "    const label = el(\"label\");\n"
    "    const box = el(\"input\");\n"
    "    box.type = \"checkbox\";\n    box.checked = shown[k];\n"
    "    box.addEventListener(\"change\", function () { shown[k] = box.checked; remember(); render(); });\n"
    "    label.appendChild(box);\n"
    "    label.appendChild(el(\"span\", \"verdict verdict-\" + k, (labels[k] || k) + \" \" + (counts[k] || 0)));\n"
    "    boxes.appendChild(label);\n"
    "    boxes.appendChild(document.createTextNode(\" \"));\n  });\n"
    "document.getElementById(\"name-filter\").addEventListener(\"input\", function () { remember(); render(); });\n"
    "document.getElementById(\"footer\").textContent = \"generated \" + data.generated +\n"
    "  (data.not_listed ? \"; \" + data.not_listed + \" older runs not listed\" : \"\");\n"
    "render();\n"
    "/* the zoo's pages (faultline zoo): one line each, newest first */\n"
    "const zoos = data.zoos || [];\n"
    "zoos.forEach(function (z) {\n"
    "  if (!safeHref(z.href)) return;\n"
    "  const li = el(\"li\", \"zoo\");\n"
    "  const a = el(\"a\", null, \"zoo of \" + z.started);\n"
    "  a.setAttribute(\"href\", z.href);\n"
    "  li.appendChild(a);\n"
    "  let bugs = 0, caught = 0, runs = 0, alarms = 0, errors = 0;\n"
    "  (z.rows || []).forEach(function (r) {\n"
    "    errors += r.errors;\n"
    "    if (r.correct) { alarms += r.detected; return; }\n"
    "    bugs++; caught += r.detected; runs += r.runs;\n  });\n"
    "  li.appendChild(el(\"span\", \"muted\", \": \" + bugs + \" bugs, \" + caught + \"/\" + runs +\n"
    "    \" bug runs detected, \" + alarms + \" false alarms, \" + errors + \" errors\"));\n"
    "  document.getElementById(\"zoos\").appendChild(li);\n});\n"
    "document.getElementById(\"zoo-pages\").hidden = zoos.length === 0;\n"
    "})();\n</script>\n</body>\n</html>\n";

/* JSON text made safe inside <script>: no '<' (so no "</script>"), '>' or '&'. These
 * can only occur inside JSON strings, where \uXXXX means the same character. */
void fl_store_put_json(FILE *out, const json_t *v) {
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
    for (const char *c = text ? text : "null"; *c; c++) {
        if (*c == '<') fputs("\\u003c", out);
        else if (*c == '>') fputs("\\u003e", out);
        else if (*c == '&') fputs("\\u0026", out);
        else fputc(*c, out);
    }
    free(text);
}

int fl_store_index_render(FILE *out, const char *store_dir, char *err, size_t bytes) {
    assert(out && store_dir);
    size_t not_listed = 0;
    json_t *runs = fl_store_scan(store_dir, &not_listed, err, bytes);
    if (!runs) return -1;
    char generated[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(generated, sizeof generated, "%Y-%m-%d %H:%M:%S", &tm);
    fputs(page_head, out);
    /* one run per line: readable, and easy for a script to grep */
    fprintf(out, "<script type=\"application/json\" id=\"runs-data\">\n"
                 "{\"generated\":\"%s\",\"not_listed\":%zu,\"zoos\":", generated, not_listed);
    json_t *zoos = fl_store_scan_zoos(store_dir);
    fl_store_put_json(out, zoos);
    json_decref(zoos);
    fputs(",\"runs\":[\n", out);
    for (size_t i = 0; i < json_array_size(runs); i++) {
        fl_store_put_json(out, json_array_get(runs, i));
        fputs(i + 1 < json_array_size(runs) ? ",\n" : "\n", out);
    }
    fputs("]}\n</script>\n", out);
    fputs(page_script, out);
    json_decref(runs);
    if (ferror(out)) return snprintf(err, bytes, "writing the index: %s", strerror(errno)), -1;
    return 0;
}

int fl_store_write_file(const char *path, fl_store_render_fn render, const void *arg, char *err,
                        size_t bytes) {
    assert(path && render);
    char tmp[4200];
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path) : 1;
    if (snprintf(tmp, sizeof tmp, "%.*s/.%s.XXXXXX", dir_len, slash ? path : ".",
                 slash ? slash + 1 : path) >= (int)sizeof tmp)
        return snprintf(err, bytes, "%s: path too long", path), -1;
    int fd = mkstemp(tmp);
    if (fd < 0) return snprintf(err, bytes, "mkstemp %s: %s", tmp, strerror(errno)), -1;
    FILE *out = fdopen(fd, "w");
    if (!out) {
        snprintf(err, bytes, "fdopen %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    fchmod(fd, 0644); /* mkstemp makes it private; the pages are for anyone who reads the store */
    int rc = render(out, arg, err, bytes);
    if (fclose(out) != 0 && rc == 0) rc = -1, snprintf(err, bytes, "writing %s: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(err, bytes, "rename %s to %s: %s", tmp, path, strerror(errno));
        rc = -1;
    }
    if (rc != 0) unlink(tmp);
    return rc;
}

static int render_index(FILE *out, const void *store_dir, char *err, size_t bytes) {
    return fl_store_index_render(out, store_dir, err, bytes);
}

int fl_store_index_write(const char *store_dir, char *err, size_t bytes) {
    assert(store_dir);
    char path[4200];
    if (snprintf(path, sizeof path, "%s/index.html", store_dir) >= (int)sizeof path)
        return snprintf(err, bytes, "%s: path too long", store_dir), -1;
    return fl_store_write_file(path, render_index, store_dir, err, bytes);
}
