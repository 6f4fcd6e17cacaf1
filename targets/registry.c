/* Every target faultline knows, and lookups over them (see harness/target.h). */
#include <string.h>

#include "target.h"
#include "target_file.h"

extern const fl_target fl_target_quorumkv;
extern const fl_target fl_target_raftkv;
extern const fl_target fl_target_lockd;
extern const fl_target fl_target_payments;
extern const fl_target fl_target_postgres;
extern const fl_target fl_target_etcd;
extern const fl_target fl_target_redis;

const fl_target *const fl_targets[] = {&fl_target_quorumkv, &fl_target_raftkv, &fl_target_lockd,
                                     &fl_target_payments, &fl_target_postgres, &fl_target_etcd,
                                     &fl_target_redis, NULL};

const fl_target *fl_target_find(const char *name) {
    for (size_t i = 0; fl_targets[i]; i++)
        if (!strcmp(fl_targets[i]->name, name)) return fl_targets[i];
    /* A target file this process loaded (--target-file), by its own name. */
    const fl_target_file *tf = fl_target_file_named(name);
    return tf ? &tf->target : NULL;
}

bool fl_target_has_op(const fl_target *t, const char *f) {
    for (size_t i = 0; t->ops[i]; i++)
        if (!strcmp(t->ops[i], f)) return true;
    return false;
}

bool fl_target_has_bug(const fl_target *t, const char *bug) {
    for (size_t i = 0; t->bugs[i].name; i++)
        if (!strcmp(t->bugs[i].name, bug)) return true;
    return false;
}

const char *fl_target_option_get(const fl_target_ctx *t, const char *name) {
    const char *v = json_string_value(json_object_get(t->options, name));
    return v ? v : "";
}
