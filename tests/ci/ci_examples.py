"""Checks the CI examples ci/github-actions.yml and ci/gitlab-ci.yml (run by
test_ci_examples.sh with Debian's python3 and python3-yaml).

Structure: the schedule trigger (and a way to start it by hand), the shard matrix, JUnit
publishing and the artifact upload that run even when the suite failed, and that they
point at the files scripts/nightly.sh writes. Commands: every command a job runs is one
the tests also run (scripts/nightly.sh, whose invocations are printed for the shell to
run with --list, the build, scripts/install-deps.sh) or one of a short list of set-up
commands below; anything else fails, so a new command comes with a test.

usage: python3 ci_examples.py REPO BUILD_DIR OUT
  OUT gets one line per nightly.sh invocation and shard: FILE<TAB>SHARD<TAB>argv as JSON.
exit: 0 when every check passed, 1 otherwise (each check printed as ok/FAIL).
"""
import json
import os
import re
import shlex
import sys

import yaml

REPO, BUILD, OUT = sys.argv[1:4]
SUITE = "ci/nightly-suite.json"
passed = failed = 0


def check(what, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   - {what}")
    else:
        failed += 1
        print(f"FAIL - {what}" + (f": {detail}" if detail else ""))
    return cond


def load(name):
    with open(os.path.join(REPO, name)) as f:
        return yaml.safe_load(f)


def cache_vars():
    names = set()
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        for line in f:
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*):", line)
            if m:
                names.add(m.group(1))
    return names


CACHE = cache_vars()
# Set-up commands a job may run that no test runs: fetching git so that the checkout has
# history (the build stamps the commit) and letting root's git read the checkout.
SETUP = [
    ["apt-get", "update", "-q"],
    ["apt-get", "install", "-y", "-q", "--no-install-recommends", "git", "ca-certificates"],
    ["git", "config", "--global", "--add", "safe.directory", "$GITHUB_WORKSPACE"],
]


def commands(text, subst):
    """The commands of a run:/script: entry: one per line and per `&&`, words split as
    the shell would after `subst` (the CI's own expansion of matrix values/variables)."""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for part in line.split("&&"):
            yield shlex.split(subst(part.strip()))


def classify(where, argv, store_junit, out, shard):
    """Checks one command; nightly.sh invocations go to OUT for the shell to run."""
    if argv[:1] == ["scripts/nightly.sh"]:
        ok = check(f"{where}: nightly.sh runs {SUITE}, the last argument",
                   argv[-1] == SUITE and os.path.isfile(os.path.join(REPO, SUITE)), " ".join(argv))
        if ok:
            out.write(f"{where}\t{shard}\t{json.dumps(argv)}\n")
        flags = dict(zip(argv[1:-1:2], argv[2:-1:2]))
        store_junit.append((flags.get("--store"), flags.get("--junit"), flags.get("--shard")))
        return
    if argv[:1] == ["scripts/install-deps.sh"]:
        check(f"{where}: scripts/install-deps.sh is the repository's install step",
              len(argv) == 1 and os.access(os.path.join(REPO, argv[0]), os.X_OK), " ".join(argv))
        return
    if argv[:1] == ["cmake"] and "--build" not in argv:
        bad = [a for a in argv[1:] if a.startswith("-D") and a[2:].split("=")[0].split(":")[0] not in CACHE]
        check(f"{where}: cmake configures . into build/ (where nightly.sh looks for faultline) "
              "with options this build knows",
              argv[1:5] == ["-S", ".", "-B", "build"] and not bad
              and all(a.startswith("-D") for a in argv[5:]), f"{' '.join(argv)}; unknown: {bad}")
        return
    if argv[:3] == ["cmake", "--build", "build"]:
        check(f"{where}: cmake --build build", argv[3:] in ([], ["-j2"], ["-j", "$(nproc)"], ["-j", "2"]),
              " ".join(argv))
        return
    check(f"{where}: a set-up command of the short list", argv in SETUP, " ".join(argv))


def github(out):
    doc = load("ci/github-actions.yml")
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    crons = [s.get("cron", "") for s in (on or {}).get("schedule", [])]
    check("github: a schedule trigger with a 5-field cron",
          crons and all(len(c.split()) == 5 for c in crons), str(on))
    check("github: workflow_dispatch starts it by hand", "workflow_dispatch" in (on or {}), str(on))
    jobs = doc.get("jobs", {})
    check("github: one job", len(jobs) == 1, str(list(jobs)))
    job = next(iter(jobs.values()))
    shards = job.get("strategy", {}).get("matrix", {}).get("shard", [])
    n = len(shards)
    check("github: a matrix over shards 1..N (N > 1)", n > 1 and shards == list(range(1, n + 1)), str(shards))
    check("github: fail-fast off (one shard's anomaly must not cancel the others)",
          job.get("strategy", {}).get("fail-fast") is False)
    container = job.get("container", {})
    check("github: privileged for network namespaces (a --privileged container or a self-hosted runner)",
          "--privileged" in str(container.get("options", "")) or "self-hosted" in str(job.get("runs-on")),
          str(container))
    steps = job.get("steps", [])
    uses = [s.get("uses", "") for s in steps]
    check("github: checks out the repository", any(u.startswith("actions/checkout@") for u in uses), str(uses))
    nightly_at = junit_at = upload_at = None
    store_junit = []
    for i, s in enumerate(steps):
        if "run" in s:
            for value in shards:
                for argv in commands(s["run"], lambda t: t.replace("${{ matrix.shard }}", str(value))):
                    before = len(store_junit)
                    classify(f"github step {i} shard {value}", argv, store_junit, out, f"{value}/{n}")
                    if len(store_junit) > before:
                        nightly_at = i
        if "junit" in s.get("uses", ""):
            junit_at, junit_step = i, s
        if s.get("uses", "").startswith("actions/upload-artifact@"):
            upload_at, upload_step = i, s
    check("github: nightly.sh runs once in every shard's job", len(store_junit) == n, str(store_junit))
    check("github: each job runs its own shard ${{ matrix.shard }}/N",
          sorted(x[2] for x in store_junit) == [f"{v}/{n}" for v in shards], str(store_junit))
    store, junit = (store_junit or [(None, None, None)])[0][:2]
    check("github: nightly.sh gets --store and --junit", bool(store and junit), str(store_junit))
    if check("github: a JUnit report step after the suite", junit_at is not None and nightly_at is not None
             and junit_at > nightly_at):
        check("github: the JUnit report runs even when the suite failed (if: always())",
              junit_step.get("if") == "always()", str(junit_step.get("if")))
        check("github: it reads the file nightly.sh --junit writes",
              str(junit_step.get("with", {}).get("report_paths")) == junit, str(junit_step.get("with")))
    if check("github: an artifact upload after the suite", upload_at is not None and nightly_at is not None
             and upload_at > nightly_at):
        w = upload_step.get("with", {})
        paths = [p.strip() for p in str(w.get("path", "")).splitlines() if p.strip()]
        check("github: the upload runs even when the suite failed (if: always())",
              upload_step.get("if") == "always()", str(upload_step.get("if")))
        check("github: it uploads this shard's night folder under --store",
              any(p.startswith(f"{store}/nights/") and "${{ matrix.shard }}" in p for p in paths), str(paths))
        check("github: one artifact name per shard (upload-artifact v4 refuses a name twice)",
              "${{ matrix.shard }}" in str(w.get("name", "")), str(w.get("name")))


def gitlab(out):
    doc = load("ci/gitlab-ci.yml")
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and "script" in v}
    check("gitlab: one job", len(jobs) == 1, str(list(jobs)))
    job = next(iter(jobs.values()))
    rules = [r.get("if", "") for r in job.get("rules", [])]
    check("gitlab: runs in scheduled pipelines", any('$CI_PIPELINE_SOURCE == "schedule"' in r for r in rules), str(rules))
    par = job.get("parallel")
    n = par if isinstance(par, int) else 0
    check("gitlab: parallel: N jobs (N > 1), CI_NODE_INDEX of CI_NODE_TOTAL", n > 1, str(par))
    store_junit = []
    for value in range(1, n + 1):
        env = {"CI_NODE_INDEX": str(value), "CI_NODE_TOTAL": str(n)}

        def subst(t):
            return re.sub(r"\$\{?(CI_NODE_INDEX|CI_NODE_TOTAL)\}?", lambda m: env[m.group(1)], t)

        for key in ("before_script", "script"):
            for i, entry in enumerate(job.get(key, [])):
                for argv in commands(entry, subst):
                    classify(f"gitlab {key}[{i}] node {value}", argv, store_junit, out, f"{value}/{n}")
    check("gitlab: nightly.sh runs once in every parallel job", len(store_junit) == n, str(store_junit))
    check("gitlab: each job runs its own shard $CI_NODE_INDEX/$CI_NODE_TOTAL",
          sorted(x[2] for x in store_junit) == [f"{v}/{n}" for v in range(1, n + 1)], str(store_junit))
    store, junit = (store_junit or [(None, None, None)])[0][:2]
    check("gitlab: nightly.sh gets --store and --junit", bool(store and junit), str(store_junit))
    art = job.get("artifacts", {})
    check("gitlab: artifacts kept when the suite failed (when: always)", art.get("when") == "always", str(art))
    check("gitlab: the JUnit report is the file nightly.sh --junit writes",
          art.get("reports", {}).get("junit") == junit, str(art.get("reports")))
    check("gitlab: the night folders under --store are artifacts",
          any(p.rstrip("/") in (store, f"{store}/nights") for p in art.get("paths", [])), str(art.get("paths")))


with open(OUT, "w") as out:
    github(out)
    gitlab(out)
print(f"# ci_examples.py: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
