/* `faultline convert IN OUT`: a history between JSON Lines and Jepsen EDN; the output
 * format follows OUT's extension (.jsonl or .edn; "-" writes JSON Lines to stdout). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit_codes.h"
#include "history.h"

static const char usage_text[] =
    "usage: faultline convert [--to jsonl|edn] [--allow-truncated] IN OUT\n"
    "  Reads IN (JSON Lines or Jepsen history.edn, detected) and writes OUT in the format\n"
    "  its extension names (.jsonl, .edn), or the one --to names. IN or OUT may be '-'.\n";

static int output_format(const char *path, const char *to, fl_format *out) {
    if (to) {
        if (!strcmp(to, "jsonl")) *out = FL_FORMAT_JSONL;
        else if (!strcmp(to, "edn")) *out = FL_FORMAT_EDN;
        else return -1;
        return 0;
    }
    size_t n = strlen(path);
    if (n >= 4 && !strcmp(path + n - 4, ".edn")) *out = FL_FORMAT_EDN;
    else *out = FL_FORMAT_JSONL;
    return 0;
}

int fl_cmd_convert(int argc, char **argv) {
    static const struct option options[] = {
        {"to", required_argument, NULL, 't'},
        {"allow-truncated", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *to = NULL;
    fl_read_options read_options = {.allow_truncated = false, .independent = -1};
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 't') to = optarg;
        else if (c == 'a') read_options.allow_truncated = true;
        else if (c == 'h') return printf("%s", usage_text) < 0;
        else return fputs(usage_text, stderr), FL_EXIT_USAGE;
    }
    fl_format format;
    if (argc - optind != 2 || output_format(argv[optind + 1], to, &format) != 0) {
        fputs(usage_text, stderr);
        return FL_EXIT_USAGE;
    }
    fl_history *h;
    fl_error err;
    int rc = fl_history_read_file(argv[optind], &read_options, &h, &err);
    if (rc != FL_READ_OK) {
        char msg[1024];
        fl_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "faultline convert: %s\n", msg);
        return rc == FL_READ_MALFORMED ? FL_EXIT_DATAERR : FL_EXIT_HARNESS;
    }
    if (h->warning[0]) fprintf(stderr, "faultline convert: warning: %s\n", h->warning);
    const char *out_path = argv[optind + 1];
    FILE *out = strcmp(out_path, "-") ? fopen(out_path, "w") : stdout;
    int status = FL_EXIT_VALID;
    if (!out || fl_history_write(out, h, format) != 0 || (out != stdout && fclose(out) != 0)) {
        fprintf(stderr, "faultline convert: cannot write %s: %s\n", out_path, strerror(errno));
        status = FL_EXIT_HARNESS;
    }
    fl_history_free(h);
    return status;
}
