/* The empty-history rule every checker applies (see empty_history.h). */
#include "empty_history.h"

bool fl_history_has_client_ops(const fl_history *h) {
    for (size_t i = 0; h && i < h->count; i++)
        if (h->ops[i].process != FL_PROCESS_NEMESIS) return true;
    return false;
}

json_t *fl_empty_history_valid(const fl_history *h, json_t *result) {
    if (!result || fl_history_has_client_ops(h)) return result;
    json_object_set_new(result, "valid", json_true());
    json_object_del(result, "reason");
    json_object_set_new(result, "note", json_string(FL_NOTE_NO_CLIENT_OPS));
    return result;
}
