# Shared by the report's browser tests: find Chromium, load a page headless and dump
# its DOM after the scripts ran, take screenshots, and count ok/FAIL lines.
# Sourced, not run.

failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
    local what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}

# Sets CHROMIUM, or returns 1 when there is none (the caller skips with 77).
find_chromium() {
    local c
    for c in "${CHROMIUM:-}" chromium chromium-browser google-chrome; do
        [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && { CHROMIUM=$(command -v "$c"); return 0; }
    done
    return 1
}

# Headless Chromium with a fresh profile in $scratch (the caller removes $scratch).
chromium_run() {
    local profile
    profile=$(mktemp -d "$scratch/profile.XXXXXX")
    timeout 180 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --no-first-run --user-data-dir="$profile" "$@"
}

# dump_dom PAGE DOM_OUT CONSOLE_OUT: the DOM after rendering; console messages (and
# uncaught errors) are in CONSOLE_OUT as Chromium logs them ("CONSOLE", "Uncaught").
dump_dom() {
    chromium_run --enable-logging=stderr --v=0 --virtual-time-budget=5000 \
        --dump-dom "file://$1" >"$2" 2>"$3"
}

# screenshot PAGE PNG [WIDTH,HEIGHT]
screenshot() {
    chromium_run --virtual-time-budget=5000 --window-size="${3:-1400,2400}" \
        --screenshot="$2" "file://$1" >/dev/null 2>&1
}

# The JSON of one of the page's data elements (they are one line each).
page_data() { # page_data PAGE ID
    sed -n "s|^<script type=\"application/json\" id=\"$2\">\(.*\)</script>\$|\1|p" "$1"
}

# Sorted unique data-index values of the elements of class CLASS in a dumped DOM.
dom_indices() { # dom_indices DOM CLASS
    grep -oE "<[^>]*class=\"([^\"]* )?$2( [^\"]*)?\"[^>]*>" "$1" |
        grep -oE 'data-index="-?[0-9]+"' | grep -oE -- '-?[0-9]+' | sort -n -u
}

# Common checks on a dumped report: ready, no recorded errors, no console messages.
check_page_health() { # check_page_health DOM CONSOLE
    check "the page finished drawing (#report-ready ready)" \
        grep -q '<div id="report-ready" data-status="ready"' "$1"
    check "#errors is empty" grep -q '<div id="errors" hidden=""></div>' "$1"
    if grep -E 'CONSOLE|Uncaught' "$2" >/dev/null; then
        fail "console messages:"
        grep -E 'CONSOLE|Uncaught' "$2" | head -20 | sed 's/^/     /'
    else
        ok "no console messages or uncaught errors"
    fi
}
