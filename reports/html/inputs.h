/* The run directory's other inputs: JSON files read leniently (bytes that are not
 * UTF-8 become U+FFFD, as in the history) and the node logs fetched into nodes/. */
#ifndef FL_REPORT_INPUTS_H
#define FL_REPORT_INPUTS_H

#include <stddef.h>

#include <jansson.h>

/* *out = the parsed file, or NULL when it does not exist. 0; -1 when it does not
 * parse (err: "path:line:column: what"); -2 on another I/O error. */
int rp_read_json_file(const char *path, json_t **out, char *err, size_t bytes);

/* [{"node", "file", "bytes"}] for the regular files in run_dir/nodes/<node>/ (at most
 * 1000), sorted by node then file; an empty array when there is no nodes/. */
json_t *rp_node_logs(const char *run_dir);

/* The verdict word of results.json's "valid": "valid", "anomaly" or "unknown". */
const char *rp_verdict_word(const json_t *results);

/* Drop what the page never shows and that can be as long as the history: each valid
 * key's "linearization" and "info_took_effect" (replaced by their lengths). */
void rp_trim_results(json_t *results);

#endif
