/* libFuzzer target: any bytes as the URL path of a `faultline serve` request, through
 * fl_percent_decode and fl_store_path_resolve (reports/store/store_paths.h) against a
 * scratch store made once:
 *
 *   BASE/store/t1/RUN/{results.json,history.jsonl}, BASE/store/t1/RUN/nodes/n1/raftkv.log
 *   BASE/store/t1/latest -> RUN                   inside: followed
 *   BASE/store/t1/escape -> ../../outside         a directory outside
 *   BASE/store/abs -> BASE/outside/secret.txt     a file outside, absolute link
 *   BASE/store/evil -> ../store-evil              outside, its name starting like the root
 *   BASE/store/up -> ..                           the parent
 *   BASE/store/loop -> loop                       ELOOP
 *   BASE/store/t 2/a%b.json, BASE/store/.hidden, BASE/store/fifo
 *
 * Besides crashes and undefined behaviour (ASan, UBSan; the decoder is given buffers of
 * exactly the size it needs, and one byte less, so any overrun shows), it checks:
 *   - fl_percent_decode agrees with a decoder written here, and refuses (-1) an output
 *     one byte too small;
 *   - a request not starting with '/', with a bad %XX or a decoded NUL is FL_PATH_BAD;
 *     one with an empty, ".", ".." or hidden segment (after decoding) FL_PATH_FORBIDDEN;
 *   - on FL_PATH_FILE / FL_PATH_DIR, real is the store root followed by '/' or its end,
 *     realpath(real) is real itself, it is of the kind said, and it is never a file of
 *     outside/ or store-evil/; it is realpath(root + decoded request);
 *   - a real buffer of exactly strlen(real) + 1 bytes gives the same answer, one byte
 *     less gives FL_PATH_FORBIDDEN; every refusal says why, even in a 1-byte why.
 * The scratch store (BASE: fuzz_scratch_dir, /dev/shm/fuzz_store_path) is removed at exit
 * or when a check fails; a sanitizer's report leaves it behind. */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_fixed.h"
#include "store_paths.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RUN "20240102T030405"
#define WHY_BYTES 256

static char base[PATH_MAX];      /* the scratch directory, as made */
static char root[PATH_MAX];      /* BASE/store, resolved: what serve passes */
static char outside[2][PATH_MAX]; /* BASE/outside and BASE/store-evil, resolved */

static void remove_base(void);

static _Noreturn void broken(const char *what, const char *request) {
    fprintf(stderr, "fuzz_store_path: %s: request \"%s\"\n", what, request);
    remove_base(); /* abort() skips atexit */
    abort();
}

static void expect(bool ok, const char *what, const char *request) {
    if (!ok) broken(what, request);
}

static void at_base(const char *rel, char *out) {
    snprintf(out, PATH_MAX, "%s/%s", base, rel);
}

static void make_dir(const char *rel) {
    char path[PATH_MAX];
    at_base(rel, path);
    if (mkdir(path, 0755) != 0) broken("mkdir failed", rel);
}

static void make_file(const char *rel) {
    char path[PATH_MAX];
    at_base(rel, path);
    FILE *f = fopen(path, "w");
    if (!f || fputs("x\n", f) < 0 || fclose(f) != 0) broken("cannot write", rel);
}

static void make_link(const char *target, const char *rel) {
    char path[PATH_MAX];
    at_base(rel, path);
    if (symlink(target, path) != 0) broken("symlink failed", rel);
}

static void remove_base(void) {
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base); /* fuzz_scratch_dir names need no quoting */
    if (system(cmd) != 0) fprintf(stderr, "fuzz_store_path: could not remove %s\n", base);
}

static void make_store(void) {
    static const char *const dirs[] = {"outside", "store-evil", "store", "store/t1",
                                       "store/t1/" RUN, "store/t1/" RUN "/nodes",
                                       "store/t1/" RUN "/nodes/n1", "store/t 2", NULL};
    static const char *const files[] = {"outside/secret.txt", "store-evil/secret.txt",
                                        "store/t1/" RUN "/results.json",
                                        "store/t1/" RUN "/history.jsonl",
                                        "store/t1/" RUN "/nodes/n1/raftkv.log",
                                        "store/t 2/a%b.json", "store/.hidden", NULL};
    for (size_t i = 0; dirs[i]; i++) make_dir(dirs[i]);
    for (size_t i = 0; files[i]; i++) make_file(files[i]);
    char path[PATH_MAX];
    make_link(RUN, "store/t1/latest");
    make_link("../../outside", "store/t1/escape");
    at_base("outside/secret.txt", path);
    make_link(path, "store/abs");
    make_link("../store-evil", "store/evil");
    make_link("..", "store/up");
    make_link("loop", "store/loop");
    at_base("store/fifo", path);
    if (mkfifo(path, 0644) != 0) broken("mkfifo failed", path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    if (fuzz_scratch_dir(base, sizeof base, "fuzz_store_path") != 0)
        broken("cannot make the scratch directory", base);
    atexit(remove_base);
    make_store();
    char path[PATH_MAX];
    at_base("store", path);
    if (!realpath(path, root)) broken("realpath failed", path);
    at_base("outside", path);
    if (!realpath(path, outside[0])) broken("realpath failed", path);
    at_base("store-evil", path);
    if (!realpath(path, outside[1])) broken("realpath failed", path);
    return 0;
}

/* ---- the decoder, again ---- */

static int hex(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20; /* 'A'..'F' -> 'a'..'f'; no other byte lands there */
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decoded length, or -1 for a bad escape; out holds at least len bytes. */
static long decode(const uint8_t *s, size_t len, char *out) {
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[w++] = (char)s[i];
            continue;
        }
        int high = i + 1 < len ? hex(s[i + 1]) : -1, low = i + 2 < len ? hex(s[i + 2]) : -1;
        if (high < 0 || low < 0) return -1;
        out[w++] = (char)(high << 4 | low);
        i += 2;
    }
    return (long)w;
}

static void check_decoder(const uint8_t *data, size_t size) {
    char *mine = malloc(size + 1);
    if (!mine) abort();
    long want = decode(data, size, mine);
    size_t room = want < 0 ? size + 1 : (size_t)want + 1; /* exactly what it needs */
    char *out = malloc(room);
    if (!out) abort();
    long got = fl_percent_decode((const char *)data, size, out, room);
    expect(got == want, "fl_percent_decode disagrees on the length", "(bytes)");
    if (want >= 0) {
        expect(!memcmp(out, mine, (size_t)want) && out[want] == '\0', "decoded bytes", "(bytes)");
        if (room > 1) /* one byte short: refused, nothing written past the end */
            expect(fl_percent_decode((const char *)data, size, out, room - 1) == -1,
                   "decoded into too small a buffer", "(bytes)");
    }
    free(out);
    free(mine);
}

/* ---- the resolver ---- */

/* The refusals the header promises, from the decoded path: BAD, FORBIDDEN, or -1
 * when the file system decides. */
static int expected_refusal(const char *request, char *decoded) {
    size_t len = strlen(request);
    if (request[0] != '/') return FL_PATH_BAD;
    long n = decode((const uint8_t *)request, len, decoded);
    if (n < 0 || n >= PATH_MAX) return FL_PATH_BAD;
    if (memchr(decoded, '\0', (size_t)n)) return FL_PATH_BAD;
    decoded[n] = '\0';
    for (const char *seg = decoded + 1; seg <= decoded + n;) {
        const char *slash = strchr(seg, '/');
        size_t seg_len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (!slash && seg_len == 0) break; /* a trailing '/' */
        if (seg_len == 0 || seg[0] == '.') return FL_PATH_FORBIDDEN;
        seg += seg_len + 1;
    }
    return -1;
}

static bool under(const char *path, const char *dir) {
    size_t n = strlen(dir);
    return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static void check_served(const char *request, const char *decoded, fl_path_kind kind,
                         const char *real) {
    expect(under(real, root), "served from outside the store", request);
    expect(!under(real, outside[0]) && !under(real, outside[1]), "served an outside file", request);
    char again[PATH_MAX], joined[2 * PATH_MAX];
    expect(realpath(real, again) && !strcmp(again, real), "real is not resolved", request);
    snprintf(joined, sizeof joined, "%s%s", root, decoded);
    expect(realpath(joined, again) && !strcmp(again, real), "real is another file", request);
    struct stat st;
    bool is_dir = kind == FL_PATH_DIR;
    expect(lstat(real, &st) == 0 && (is_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)),
           "real is not of the kind said", request);
}

/* A real buffer of exactly the size needed gives the same answer; one byte less is
 * refused as too long; a 1-byte why holds its empty reason. */
static void check_sizes(const char *request, fl_path_kind kind, const char *real) {
    size_t need = strlen(real) + 1;
    char *exact = malloc(need), *why = malloc(1);
    if (!exact || !why) abort();
    expect(fl_store_path_resolve(root, request, exact, need, why, 1) == kind &&
           !strcmp(exact, real), "an exact buffer gives another answer", request);
    expect(fl_store_path_resolve(root, request, exact, need - 1, why, 1) == FL_PATH_FORBIDDEN &&
           why[0] == '\0', "a short buffer is not refused", request);
    free(exact);
    free(why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_decoder(data, size);
    char *request = malloc(size + 1), *decoded = malloc(size + 1);
    if (!request || !decoded) abort();
    memcpy(request, data, size);
    request[size] = '\0'; /* a request path is a C string: up to its first NUL */
    char real[PATH_MAX] = "", why[WHY_BYTES];
    fl_path_kind kind = fl_store_path_resolve(root, request, real, sizeof real, why, sizeof why);
    expect(kind >= FL_PATH_FILE && kind <= FL_PATH_BAD, "an unknown kind", request);
    int refusal = expected_refusal(request, decoded);
    if (refusal >= 0) expect((int)kind == refusal, "not the refusal promised", request);
    if (kind == FL_PATH_FILE || kind == FL_PATH_DIR) {
        check_served(request, decoded, kind, real);
        check_sizes(request, kind, real);
    } else {
        expect(why[0] != '\0', "a refusal that does not say why", request);
    }
    free(decoded);
    free(request);
    return 0;
}
