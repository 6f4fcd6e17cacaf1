/* What etcd's JSON gateway answers mean (DESIGN.md "Targets", etcd): an error, a range's
 * value, a status's member and leader ids; and the base64 keys and values travel in
 * (OpenSSL's codec, not ours). Outside input: fuzz/fuzz_target_replies.c feeds it any
 * JSON. */
#ifndef FL_ETCD_REPLY_H
#define FL_ETCD_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The gateway's error, when reply is one ("etcdserver: request timed out"), else NULL. */
const char *fl_etcd_error(const json_t *reply);

/* base64 of text, as a JSON string (new reference; NULL when out of memory). */
json_t *fl_etcd_b64(const char *text);
/* The text a base64 JSON string holds, into out (NUL-terminated); false when it is not
 * base64, holds a NUL, or does not fit. */
bool fl_etcd_unb64(const json_t *b64, char *out, size_t bytes);

/* A range answer's value: the first kv's, which must be a decimal integer (the only
 * values the harness writes), into *value (new reference); null when the key has no kv.
 * 0, or -1 with err saying what was wrong. */
int fl_etcd_range_value(const json_t *reply, json_t **value, char *err, size_t bytes);

/* A status answer's member id and the leader it knows, as decimal strings ("0" when
 * absent: the gateway leaves out fields at their default, and writes uint64s as strings). */
void fl_etcd_status_ids(const json_t *reply, char *member, char *leader, size_t bytes);

#endif
