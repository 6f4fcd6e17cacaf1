/* A target described as data (`faultline test --target-file F`, issue 21): how to install,
 * start, check, stop and observe a system on the nodes, which ops it serves and which
 * faults fit it, and the program that is its client (client_process.h). DESIGN.md
 * "Target files" has the format; this file reads and checks it into the same fl_target
 * every built-in adapter fills, so nothing above the target interface knows the
 * difference. One target file per process: loading registers it with the registry
 * (fl_target_find finds it by its name). */
#ifndef FL_TARGET_FILE_H
#define FL_TARGET_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "target.h"

#define FL_TF_LIST_MAX 16

typedef struct fl_tf_upload {
    char *from;  /* on the controller ({file_dir}, {libexec} expanded at load) */
    char *to;    /* on the node: a template */
} fl_tf_upload;

typedef struct fl_target_file {
    char *path;          /* as given */
    char *file_dir;      /* its folder, absolute: {file_dir} */
    char *name, *summary;
    int port;
    fl_tf_upload uploads[FL_TF_LIST_MAX];
    size_t upload_count;
    char *install;       /* a command run once per node at setup, or NULL */
    char *start;         /* the start command line (a template) */
    bool writes_pidfile; /* the start command writes {pidfile} itself */
    char *ready_command; /* exactly one of the three ready checks */
    int ready_tcp;
    bool ready_client;   /* the client program answers a "ping" op */
    int ready_timeout_ms;
    char *logs[FL_TF_LIST_MAX];
    size_t log_count;
    char *primaries;     /* a command: exit 0 on the node(s) that are primary, or NULL */
    bool clock_shim;
    const char *ops[FL_TF_LIST_MAX + 1];
    const char *workloads[FL_TF_LIST_MAX + 1]; /* the workloads it fits ({NULL}: any) */
    char *client_argv[FL_TF_LIST_MAX + 1];     /* {file_dir} and {libexec} expanded */
    fl_target_bug bugs[FL_TF_LIST_MAX + 1];
    char *bug_flags[FL_TF_LIST_MAX];           /* {bug_flags} for each bug */
    fl_target_defaults defaults;
    bool has_defaults;
    char *pidfile_template; /* "{workdir}/<name>/<name>.pid" for the agent's signals */
    fl_target target;       /* what the run uses */
    struct fl_target_file *next; /* the one loaded before it */
} fl_target_file;

/* Read and check path; on success *out is its target, which lives as long as the process
 * (a suite loads one file per test that names one, and runs them all later) and is found
 * by fl_target_find(name) from then on (the latest loaded of that name). 0; 65 when it
 * does not parse or a field is wrong (err: "FILE:LINE: field F: what is wrong, and what
 * to write"); 3 when it cannot be read. */
int fl_target_file_load(const char *path, const fl_target **out, char *err, size_t bytes);
/* The same from text already read (path names it in errors; relative upload sources and
 * {file_dir} are its folder's). */
int fl_target_file_parse(const char *path, const char *text, const fl_target **out, char *err,
                         size_t bytes);
/* The latest loaded, or NULL. */
const fl_target_file *fl_target_file_current(void);
/* The loaded file whose target t is, or NULL (t is a built-in target). */
const fl_target_file *fl_target_file_of(const fl_target *t);
/* The latest loaded file whose target is named name, or NULL. */
const fl_target_file *fl_target_file_named(const char *name);
/* Free every loaded file (the fuzzer, between inputs; nothing may use their targets). */
void fl_target_file_unload_all(void);
/* What it would do, for `faultline targets --file F`. */
void fl_target_file_describe(const fl_target_file *tf, FILE *out);

/* Expand a template's placeholders ({name}: lower-case letters, digits and _) from
 * names/values (NULL-terminated names); any other brace is text (the shell's ${VAR} and
 * { list; }), `{{` and `}}` are single braces. malloc'd, or NULL with err naming an
 * unknown placeholder. */
char *fl_tf_expand(const char *template, const char *const *names, const char *const *values,
                   char *err, size_t bytes);

#endif
