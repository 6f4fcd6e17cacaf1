/* Parsing and checking fl-fencestore's flags (see options.h). */
#include "options.h"

#include <stdio.h>
#include <string.h>

const char fs_usage[] =
    "usage: fl-fencestore --id ID --listen HOST:PORT --peers ID=HOST:PORT,... --data-dir DIR\n"
    "                     [--pidfile FILE] [--bug write-before-fence|no-fence]\n"
    "A fenced register store (lockd's guarded resource): an access carrying a token lower\n"
    "than the highest one a resource has accepted is rejected. --peers must include this\n"
    "node; the store never talks to the others.\n";

static int one_flag(void *arg, int c, const char *value, char *err, size_t err_bytes) {
    fs_options *o = arg;
    if (c != 'b') return -1;
    fs_mode mode;
    if (fs_mode_parse(value, &mode) != 0) {
        snprintf(err, err_bytes, "--bug '%s': known bugs are write-before-fence, no-fence",
                 value);
        return -1;
    }
    if (o->mode != FS_CORRECT && o->mode != mode) {
        snprintf(err, err_bytes, "--bug '%s': only one bug at a time (already %s)", value,
                 fs_mode_name(o->mode));
        return -1;
    }
    o->mode = mode;
    return 0;
}

/* The common flags, then --bug and --help. */
static const struct option flags[] = {
    FL_NODE_FLAG_OPTIONS, {"bug", required_argument, NULL, 'b'},
    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
};

fs_options_status fs_options_parse(int argc, char **argv, fs_options *o, char *err,
                                   size_t err_bytes) {
    *o = (fs_options){.mode = FS_CORRECT};
    fl_node_flags f = FL_NODE_FLAGS_OF(o);
    switch (fl_node_flags_parse(argc, argv, flags, 'h', &f, one_flag, o, err, err_bytes)) {
    case FL_FLAGS_HELP: return FS_OPTIONS_HELP;
    case FL_FLAGS_BAD: return FS_OPTIONS_BAD;
    case FL_FLAGS_OK: break;
    }
    return FS_OPTIONS_OK;
}
