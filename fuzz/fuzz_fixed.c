/* Linked into every fuzzer: what keeps a run the same from one time to the next, so that
 * the ctest runs (a fixed -seed and -runs, fuzz/README.md) give the same result for the
 * same build. libFuzzer mutates with the values that code compares (its hooks see strcmp
 * and memcmp calls from any code, and the operands of instrumented comparisons), so
 * anything random that reaches a comparison takes the run elsewhere: run_fuzzer.sh turns
 * address randomisation off and fixes the environment; this file fixes the rest. */
#include "fuzz_fixed.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

/* jansson seeds its hash function from /dev/urandom when it makes its first object, and
 * which keys share a bucket decides which strcmp and memcmp calls it makes. */
__attribute__((constructor)) static void fixed_hash_seed(void) {
    json_object_seed(1);
}

/* The scratch directories made, removed (with what the run left in them) at exit. */
#define SCRATCH_DIRS_MAX 4
static char scratch[SCRATCH_DIRS_MAX][4096];
static int n_scratch;

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st, (void)type, (void)ftw;
    remove(path);
    return 0; /* best effort: go on with the rest */
}

static void remove_scratch(void) {
    for (int i = 0; i < n_scratch; i++) nftw(scratch[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int remember(const char *path) {
    if (n_scratch == SCRATCH_DIRS_MAX || strlen(path) >= sizeof scratch[0]) return 0;
    if (n_scratch == 0) atexit(remove_scratch);
    memcpy(scratch[n_scratch++], path, strlen(path) + 1);
    return 0;
}

int fuzz_scratch_dir(char *path, size_t bytes, const char *name) {
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    if ((size_t)snprintf(path, bytes, "%s/%s", tmp, name) >= bytes) return errno = ENAMETOOLONG, -1;
    if (mkdir(path, 0700) == 0) return remember(path);
    if (errno != EEXIST) return -1;
    if ((size_t)snprintf(path, bytes, "%s/%s.XXXXXX", tmp, name) >= bytes)
        return errno = ENAMETOOLONG, -1;
    if (!mkdtemp(path)) return -1;
    fprintf(stderr, "%s: %s/%s exists (a run beside this one, or one that crashed): scratch "
            "in %s instead, so this run may differ from others with the same -seed\n",
            name, tmp, name, path);
    return remember(path);
}
