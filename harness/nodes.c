/* Reading, validating and writing the nodes file (see nodes.h). */
#include "nodes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "exit_codes.h"

const char *fl_nodes_default_path(const char *given) {
    if (given) return given;
    return access(FL_DEFAULT_NODES_FILE, F_OK) == 0 ? FL_DEFAULT_NODES_FILE : NULL;
}

static char *dup_or_null(const json_t *v) {
    return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/* One node entry; NULL or what is wrong with it. A "local" node (a process on this
 * machine) needs only a name and a work directory. */
static const char *read_node(const json_t *j, fl_node *n, bool local, char *why,
                             size_t why_bytes) {
    static const char *const required[] = {"name", "workdir", "host", "user", "key"};
    for (size_t i = 0; i < (local ? 2 : sizeof required / sizeof *required); i++) {
        const json_t *v = json_object_get(j, required[i]);
        if (!json_is_string(v) || !json_string_length(v)) {
            snprintf(why, why_bytes, "\"%s\" must be a non-empty string", required[i]);
            return why;
        }
    }
    n->name = dup_or_null(json_object_get(j, "name"));
    n->host = dup_or_null(json_object_get(j, "host"));
    n->user = dup_or_null(json_object_get(j, "user"));
    n->key = dup_or_null(json_object_get(j, "key"));
    n->workdir = dup_or_null(json_object_get(j, "workdir"));
    n->netns = dup_or_null(json_object_get(j, "netns"));
    if (local && !n->host) n->host = strdup("localhost");
    if (local && !n->user) n->user = strdup("");
    if (local && !n->key) n->key = strdup("");
    if (!n->name || !n->host || !n->user || !n->key || !n->workdir) return "out of memory";
    if (!local && n->netns) return "\"netns\" of a node is for the \"local\" remote only";
    const json_t *port = json_object_get(j, "port");
    n->port = port ? (int)json_integer_value(port) : 22;
    if (port && (!json_is_integer(port) || n->port < 1 || n->port > 65535))
        return "\"port\" must be an integer from 1 to 65535";
    const json_t *clock = json_object_get(j, "clock");
    const char *mode = clock ? json_string_value(clock) : "faketime";
    if (!mode || (strcmp(mode, "faketime") && strcmp(mode, "system")))
        return "\"clock\" must be \"faketime\" or \"system\"";
    n->clock = strcmp(mode, "system") ? FL_CLOCK_FAKETIME : FL_CLOCK_SYSTEM;
    const json_t *sudo = json_object_get(j, "sudo");
    if (sudo && !json_is_boolean(sudo)) return "\"sudo\" must be true or false";
    n->sudo = json_is_true(sudo);
    if (strchr(n->name, '/') || n->workdir[0] != '/')
        return "\"name\" may not hold '/', and \"workdir\" must be an absolute path";
    return NULL;
}

static int read_nodes(const json_t *root, fl_nodes *out, char *err) {
    bool local = out->remote && strcmp(out->remote, "local") == 0;
    const json_t *nodes = json_object_get(root, "nodes");
    if (!json_is_array(nodes) || json_array_size(nodes) == 0) {
        snprintf(err, FL_NODES_ERR_BYTES, "%s: \"nodes\" must be a non-empty list of nodes",
                 out->path);
        return FL_EXIT_DATAERR;
    }
    if (json_array_size(nodes) > FL_NODES_MAX) {
        snprintf(err, FL_NODES_ERR_BYTES, "%s: more than %d nodes", out->path, FL_NODES_MAX);
        return FL_EXIT_DATAERR;
    }
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        char why[256];
        const char *problem = read_node(json_array_get(nodes, i), &out->nodes[i], local, why,
                                        sizeof why);
        out->count = i + 1;
        for (size_t k = 0; !problem && k < i; k++)
            if (!strcmp(out->nodes[k].name, out->nodes[i].name)) problem = "the name is used twice";
        if (problem) {
            const char *name = json_string_value(json_object_get(json_array_get(nodes, i), "name"));
            snprintf(err, FL_NODES_ERR_BYTES, "%s: node %zu (%s): %s", out->path, i + 1,
                     name ? name : "no name", problem);
            return FL_EXIT_DATAERR;
        }
    }
    return 0;
}

int fl_nodes_read(const char *path, fl_nodes *out, char err[FL_NODES_ERR_BYTES]) {
    memset(out, 0, sizeof *out);
    out->path = strdup(path);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        bool missing = access(path, R_OK) != 0;
        if (missing)
            snprintf(err, FL_NODES_ERR_BYTES, "%s: cannot read: %s (run `faultline cluster "
                     "up`, or name a nodes file with --nodes-file)", path, strerror(errno));
        else
            snprintf(err, FL_NODES_ERR_BYTES, "%s:%d:%d: not a valid nodes file: %s", path,
                     jerr.line, jerr.column, jerr.text);
        fl_nodes_free(out);
        return missing ? FL_EXIT_HARNESS : FL_EXIT_DATAERR;
    }
    int rc = FL_EXIT_DATAERR;
    if (!json_is_object(root)) {
        snprintf(err, FL_NODES_ERR_BYTES, "%s:1:1: a nodes file is a JSON object with \"nodes\"",
                 path);
        goto done;
    }
    out->cluster = dup_or_null(json_object_get(root, "cluster"));
    out->netns = dup_or_null(json_object_get(root, "netns"));
    out->subnet = dup_or_null(json_object_get(root, "subnet"));
    out->known_hosts = dup_or_null(json_object_get(root, "known_hosts"));
    out->remote = dup_or_null(json_object_get(root, "remote"));
    if (out->remote && strcmp(out->remote, "ssh") && strcmp(out->remote, "local")) {
        snprintf(err, FL_NODES_ERR_BYTES, "%s: \"remote\" must be \"ssh\" or \"local\"", path);
        goto done;
    }
    if (!out->known_hosts && !(out->remote && strcmp(out->remote, "local") == 0)) {
        snprintf(err, FL_NODES_ERR_BYTES, "%s: \"known_hosts\" (a file path) is missing", path);
        goto done;
    }
    rc = read_nodes(root, out, err);
done:
    json_decref(root);
    if (rc != 0) fl_nodes_free(out); /* nothing half read is handed back */
    return rc;
}

static json_t *node_json(const fl_node *n) {
    json_t *j = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:b}", "name", n->name, "host", n->host,
                          "port", n->port, "user", n->user, "key", n->key, "workdir",
                          n->workdir, "clock", n->clock == FL_CLOCK_SYSTEM ? "system" : "faketime",
                          "sudo", n->sudo);
    if (j && n->netns) json_object_set_new(j, "netns", json_string(n->netns));
    return j;
}

int fl_nodes_write(const fl_nodes *n, const char *path, char err[FL_NODES_ERR_BYTES]) {
    json_t *root = json_object(), *list = json_array();
    if (n->cluster) json_object_set_new(root, "cluster", json_string(n->cluster));
    if (n->netns) json_object_set_new(root, "netns", json_string(n->netns));
    if (n->subnet) json_object_set_new(root, "subnet", json_string(n->subnet));
    if (n->remote) json_object_set_new(root, "remote", json_string(n->remote));
    if (n->known_hosts) json_object_set_new(root, "known_hosts", json_string(n->known_hosts));
    for (size_t i = 0; i < n->count; i++) json_array_append_new(list, node_json(&n->nodes[i]));
    json_object_set_new(root, "nodes", list);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        snprintf(err, FL_NODES_ERR_BYTES, "cannot write %s: path too long", path);
        json_decref(root);
        return -1;
    }
    int rc = json_dump_file(root, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0 ? 0 : -1;
    if (rc) snprintf(err, FL_NODES_ERR_BYTES, "cannot write %s: %s", path, strerror(errno));
    json_decref(root);
    return rc;
}

void fl_nodes_free(fl_nodes *n) {
    for (size_t i = 0; i < n->count; i++) {
        fl_node *x = &n->nodes[i];
        free(x->name);
        free(x->host);
        free(x->user);
        free(x->key);
        free(x->workdir);
        free(x->netns);
    }
    free(n->path);
    free(n->cluster);
    free(n->netns);
    free(n->subnet);
    free(n->known_hosts);
    free(n->remote);
    memset(n, 0, sizeof *n);
}
