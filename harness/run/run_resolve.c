/* Resolving a `faultline test` run's settings (see run_resolve.h). */
#include "run_resolve.h"

#include <stdio.h>

json_t *fl_test_target_options(const fl_test_config *c, const fl_target *t, char *err,
                               size_t bytes) {
    json_t *options = json_object();
    for (size_t i = 0; t->options[i].name; i++) {
        const char *value = t->options[i].default_value;
        json_object_set_new(options, t->options[i].name, json_string(value ? value : ""));
    }
    for (size_t i = 0; i < c->opt_count; i++) {
        if (!json_object_get(options, c->opt_names[i])) {
            snprintf(err, bytes, "%s has no option \"%s\" (see `faultline targets`)", t->name,
                     c->opt_names[i]);
            json_decref(options);
            return NULL;
        }
        json_object_set_new(options, c->opt_names[i], json_string(c->opt_values[i]));
    }
    return options;
}

json_t *fl_test_resolved_config(const fl_test_config *c, uint64_t seed,
                                const json_t *target_options) {
    json_t *config = fl_test_config_json(c);
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)seed);
    json_object_set_new(config, "seed", json_string(text));
    json_object_set(config, "target-opt", (json_t *)target_options);
    return config;
}

fl_workload_options fl_test_workload_options(const fl_test_config *c, uint64_t seed,
                                             const fl_target *t, const json_t *target_options) {
    return (fl_workload_options){
        .target_options = target_options,
        .seed = seed,
        .ops_per_key = c->ops_per_key,
        .concurrency = c->concurrency,
        .threads_per_key = c->threads_per_key,
        .target_ops = t->ops,
        .check_time_limit_s = c->check_time_limit_s,
        /* A run's report must tell one broken key from many: every key is checked
         * (within --check-time-limit), not only up to the first invalid one. */
        .all_keys = true,
    };
}
