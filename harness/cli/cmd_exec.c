/* `faultline exec -- CMD…`: a command on every node at once, each node's output
 * prefixed by its name; exit 0 only when it succeeded everywhere. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "control.h"
#include "exit_codes.h"

static const char usage_text[] =
    "usage: faultline exec [--nodes-file F] [--trust-new-hosts] [--timeout S] -- CMD...\n"
    "  Runs CMD (a shell command line, its words joined as ssh does) on every node in\n"
    "  parallel and prints each line of output as `node: line` (stderr to stderr).\n"
    "  Exit 0 when it exited 0 on every node, else 3.\n";

/* Print text line by line, each prefixed by the node's name. */
static void print_prefixed(FILE *out, const char *name, const char *text, size_t len) {
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        fprintf(out, "%s: %.*s\n", name, (int)(end - start), text + start);
        start = end + 1;
    }
}

static char *join_words(int argc, char **argv) {
    size_t len = 1;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
    char *line = calloc(len, 1);
    for (int i = 0; line && i < argc; i++) {
        if (i) strcat(line, " ");
        strcat(line, argv[i]);
    }
    return line;
}

static int report(const fl_nodes *n, fl_node_result *results) {
    int status = FL_EXIT_VALID;
    for (size_t i = 0; i < n->count; i++) {
        fl_node_result *r = &results[i];
        const char *name = n->nodes[i].name;
        if (r->rc != 0) {
            fprintf(stderr, "%s: error: %s\n", name, r->error);
            status = FL_EXIT_HARNESS;
            continue;
        }
        print_prefixed(stdout, name, r->r.out, r->r.out_len);
        print_prefixed(stderr, name, r->r.err, r->r.err_len);
        if (r->r.exit_status != 0) {
            if (r->r.exit_signal[0])
                fprintf(stderr, "%s: killed by signal %s\n", name, r->r.exit_signal);
            else
                fprintf(stderr, "%s: exit status %d\n", name, r->r.exit_status);
            status = FL_EXIT_HARNESS;
        }
        fl_exec_result_free(&r->r);
    }
    return status;
}

int fl_cmd_exec(int argc, char **argv) {
    static const struct option options[] = {
        {"nodes-file", required_argument, NULL, 'f'}, {"trust-new-hosts", no_argument, NULL, 't'},
        {"timeout", required_argument, NULL, 'T'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *nodes_file = NULL;
    bool trust = false;
    double timeout_s = 60;
    int c;
    while ((c = getopt_long(argc, argv, "+", options, NULL)) != -1) {
        if (c == 'f') nodes_file = optarg;
        else if (c == 't') trust = true;
        else if (c == 'T') timeout_s = atof(optarg);
        else if (c == 'h') return printf("%s", usage_text) < 0;
        else return fputs(usage_text, stderr), FL_EXIT_USAGE;
    }
    if (optind >= argc) return fputs(usage_text, stderr), FL_EXIT_USAGE;
    const char *path = fl_nodes_default_path(nodes_file);
    if (!path) {
        fprintf(stderr, "faultline exec: no nodes file: run `faultline cluster up`, or name "
                        "one with --nodes-file\n");
        return FL_EXIT_USAGE;
    }
    fl_nodes nodes;
    char err[FL_NODES_ERR_BYTES];
    int rc = fl_nodes_read(path, &nodes, err);
    if (rc != 0) return fprintf(stderr, "faultline exec: %s\n", err), rc;
    char *command = join_words(argc - optind, argv + optind);
    fl_control ctl;
    fl_node_result results[FL_NODES_MAX];
    int status = FL_EXIT_HARNESS;
    if (fl_control_open(&ctl, &nodes, trust, FL_CONNECT_TIMEOUT_MS, err, sizeof err) < 0) {
        fprintf(stderr, "faultline exec: %s\n", err);
    } else {
        fl_control_exec_all(&ctl, command, (int)(timeout_s * 1000), results);
        status = report(&nodes, results);
    }
    fl_control_close(&ctl);
    free(command);
    fl_nodes_free(&nodes);
    return status;
}
