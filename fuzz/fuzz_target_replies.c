/* libFuzzer target: what real systems answer the real-system targets, which the harness
 * must read without crashing and without making up an op's value. The first byte picks
 * the reader: even, etcd's gateway (the rest as JSON: error, range value, status ids);
 * odd, a postgres list column (the rest as text). A list that parses must be exactly the
 * integers of the text; a range value must be null or an integer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list_text.h"
#include "reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The list as the target writes it: integers joined by commas. */
static void check_list(const char *text) {
    json_t *list = NULL;
    char err[200];
    if (fl_pg_list_parse(text, &list, err, sizeof err) != 0) {
        if (list || !err[0]) abort();
        return;
    }
    size_t cap = strlen(text) + 32, at = 0;
    char *again = malloc(cap);
    again[0] = '\0';
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (!json_is_integer(v)) abort();
        at += (size_t)snprintf(again + at, cap - at, "%s%" JSON_INTEGER_FORMAT, i ? "," : "",
                               json_integer_value(v));
        if (at >= cap) abort(); /* longer than the text it came from: made up */
    }
    /* Written back it is the same numbers: only leading zeros or "-0" may differ. */
    json_t *back = NULL;
    if (fl_pg_list_parse(again, &back, err, sizeof err) != 0 || !json_equal(back, list)) abort();
    json_decref(back);
    json_decref(list);
    free(again);
}

static void check_etcd(const char *text, size_t size) {
    json_t *reply = json_loadb(text, size, 0, NULL);
    if (!reply) return;
    (void)fl_etcd_error(reply);
    json_t *value = NULL;
    char err[200];
    if (fl_etcd_range_value(reply, &value, err, sizeof err) == 0) {
        if (!json_is_null(value) && !json_is_integer(value)) abort();
    } else if (value) {
        abort();
    }
    json_decref(value);
    char member[32], leader[32];
    fl_etcd_status_ids(reply, member, leader, sizeof member);
    if (strlen(member) >= sizeof member || strlen(leader) >= sizeof leader) abort();
    /* Every key and value the harness writes comes back as written. */
    const json_t *kv = json_array_get(json_object_get(reply, "kvs"), 0);
    char out[64];
    if (kv && fl_etcd_unb64(json_object_get(kv, "key"), out, sizeof out)) {
        json_t *again = fl_etcd_b64(out);
        char back[64];
        if (!again || !fl_etcd_unb64(again, back, sizeof back) || strcmp(back, out)) abort();
        json_decref(again);
    }
    json_decref(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (data[0] % 2) check_list(text);
    else check_etcd(text, size - 1);
    free(text);
    return 0;
}
