/* The --nemesis fault spec (nemesis/plan/spec.c), from flags, --config files and suite
 * entries: any bytes as a spec. Either it is refused with a message naming what is wrong,
 * or it parses into steps that cover its faults in order, each step a package of faults
 * of distinct kinds, with variants and node choices that exist (a node choice only on
 * clock and netem faults). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

static size_t count_of(const char *const *names) {
    size_t n = 0;
    while (names[n]) n++;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    fl_fault_spec spec;
    char err[512] = "";
    int rc = fl_fault_spec_parse(text, &spec, err, sizeof err);
    if (rc != 0 && rc != -1) abort();
    if (rc == -1 && strncmp(err, "--nemesis: ", 11) != 0) abort();
    if (rc == 0) {
        if (spec.count == 0 || spec.count > FL_SPEC_FAULTS_MAX) abort();
        if (spec.step_count == 0 || spec.step_count > spec.count) abort();
        size_t next = 0;
        for (size_t s = 0; s < spec.step_count; s++) {
            const fl_fault_step *step = &spec.steps[s];
            if (step->first != next || step->count == 0) abort();
            next += step->count;
            for (size_t i = step->first; i < step->first + step->count; i++) {
                const fl_fault_choice *f = &spec.faults[i];
                if (f->kind < 0 || f->kind >= FL_FAULT_KIND_COUNT) abort();
                if (f->variant < -1 || f->variant >= (int)count_of(fl_fault_variants(f->kind))) abort();
                if (f->targets < -1 || f->targets >= (int)count_of(fl_fault_targets())) abort();
                /* a node choice only where the parser allows one: clock and netem */
                if (f->targets >= 0 && f->kind != FL_FAULT_CLOCK && f->kind != FL_FAULT_NETEM)
                    abort();
                for (size_t j = step->first; j < i; j++)
                    if (spec.faults[j].kind == f->kind) abort();
            }
        }
        if (next != spec.count) abort();
        /* a spec that parses has no empty entry: the text holds no ",," "++" or edge */
        if (text[0] == ',' || text[0] == '+' || strstr(text, ",,") || strstr(text, "++")) abort();
    }
    free(text);
    return 0;
}
