/* Parsing fl-orders' request lines (see request.h). */
#include "request.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    or_f f;
} names[] = {{"order", OR_F_ORDER}, {"cancel", OR_F_CANCEL}, {"read-order", OR_F_READ},
             {"settle", OR_F_SETTLE}, {"ping", OR_F_PING},   {"status", OR_F_STATUS}};

static void malformed(or_request *r, const char *why) {
    r->f = OR_F_MALFORMED;
    snprintf(r->detail, sizeof r->detail, "%s", why);
}

static void parse_terms(or_request *r, const json_t *value) {
    const json_t *account = json_object_get(value, "account"),
                 *amount = json_object_get(value, "amount");
    const char *a = json_string_value(account);
    if (!a || !a[0] || json_string_length(account) >= OR_ACCOUNT_BYTES ||
        strlen(a) != json_string_length(account) || !json_is_integer(amount) ||
        json_integer_value(amount) < 1 || json_integer_value(amount) > OR_AMOUNT_MAX) {
        malformed(r, "value must be {\"account\": a non-empty string under 64 bytes, "
                     "\"amount\": an integer in 1..10^9}");
        return;
    }
    snprintf(r->account, sizeof r->account, "%s", a);
    r->amount = json_integer_value(amount);
}

void or_request_parse(const char *line, size_t len, or_request *r) {
    *r = (or_request){.f = OR_F_UNKNOWN};
    r->doc = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(r->doc)) return malformed(r, "not a JSON object");
    r->id = json_object_get(r->doc, "id");
    const char *f = json_string_value(json_object_get(r->doc, "f"));
    if (!f) return malformed(r, "no string f");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(f, names[i].name)) r->f = names[i].f;
    const json_t *value = json_object_get(r->doc, "value");
    if (r->f == OR_F_ORDER || r->f == OR_F_CANCEL || r->f == OR_F_READ) {
        char err[128];
        if (fl_key_text(json_object_get(r->doc, "key"), r->ckey, err, sizeof err) != 0)
            return malformed(r, err);
        if (r->f == OR_F_ORDER) parse_terms(r, value);
    } else if (r->f == OR_F_SETTLE) {
        const json_t *wait = json_object_get(value, "wait_ms");
        if (!json_is_integer(wait) || json_integer_value(wait) < 0 ||
            json_integer_value(wait) > OR_SETTLE_MS_MAX)
            return malformed(r, "value must be {\"wait_ms\": an integer in 0..60000}");
        r->wait_ms = json_integer_value(wait);
    }
}

void or_request_free(or_request *r) {
    json_decref(r->doc);
    r->doc = NULL;
    r->id = NULL;
}
