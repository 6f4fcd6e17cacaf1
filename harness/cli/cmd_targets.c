/* `faultline targets`: every target with its ops, options and seeded bugs. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "target.h"
#include "target_file.h"

int fl_cmd_targets(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--file")) {
        /* A target file: checked as `test --target-file` checks it, then described. */
        const fl_target *t;
        char err[1024];
        int rc = fl_target_file_load(argv[2], &t, err, sizeof err);
        if (rc != 0) return fprintf(stderr, "faultline targets: %s\n", err), rc;
        fl_target_file_describe(fl_target_file_of(t), stdout);
        return 0;
    }
    if (argc > 1) {
        fputs("usage: faultline targets [--file TARGET_FILE]\n", stderr);
        return 64;
    }
    for (size_t i = 0; fl_targets[i]; i++) {
        const fl_target *t = fl_targets[i];
        printf("%s — %s\n  ops:", t->name, t->summary);
        for (size_t k = 0; t->ops[k]; k++) printf(" %s", t->ops[k]);
        /* One column per list, as wide as its longest name. */
        int width = 12;
        for (size_t k = 0; t->options[k].name; k++)
            if ((int)strlen(t->options[k].name) > width) width = (int)strlen(t->options[k].name);
        printf("\n  options (--target-opt NAME=VALUE):\n");
        for (size_t k = 0; t->options[k].name; k++)
            printf("    %-*s %s%s%s%s\n", width, t->options[k].name, t->options[k].help,
                   t->options[k].default_value ? " [" : "",
                   t->options[k].default_value ? t->options[k].default_value : "",
                   t->options[k].default_value ? "]" : "");
        width = 15;
        for (size_t k = 0; t->bugs[k].name; k++)
            if ((int)strlen(t->bugs[k].name) > width) width = (int)strlen(t->bugs[k].name);
        printf("  seeded bugs (--bug NAME):%s\n", t->bugs[0].name ? "" : " none (a real system)");
        for (size_t k = 0; t->bugs[k].name; k++) {
            printf("    %-*s %s\n", width, t->bugs[k].name, t->bugs[k].help);
            if (t->bugs[k].needs) printf("    %-*s needs: %s\n", width, "", t->bugs[k].needs);
            if (t->bugs[k].needs_nemesis)
                printf("    %-*s where it can be had, the zoo runs it with --nemesis %s", width,
                       "", t->bugs[k].needs_nemesis);
            if (t->bugs[k].needs_nemesis && t->bugs[k].needs_seconds > 0)
                printf(" for %.0f s at least", t->bugs[k].needs_seconds);
            if (t->bugs[k].needs_nemesis) putchar('\n');
        }
        if (t->findings && t->findings[0].name) {
            printf("  known findings (documented behaviour of the real system; the zoo runs each):\n");
            for (size_t k = 0; t->findings[k].name; k++)
                printf("    %s: with %s, %s\n      documented: %s\n", t->findings[k].name,
                       t->findings[k].options ? t->findings[k].options : "the defaults (no setting is safe)",
                       t->findings[k].expect, t->findings[k].documented);
        }
        if (t->clock_shim_blind)
            printf("  clock faults: only on nodes with \"clock\": \"system\" (%s)\n", t->clock_shim_blind);
        const fl_target_defaults *d = t->defaults;
        if (d) {
            /* the one mix for the correct mode and every bug; any flag given wins */
            printf("  defaults (the same for the correct mode and every bug; flags win):\n"
                   "    --workload %s --nemesis %s --nemesis-interval %g --nemesis-delay %g\n"
                   "    --at-once %d --concurrency %d --op-timeout %g\n    why: %s\n", d->workload,
                   d->nemesis, d->nemesis_interval_s, d->nemesis_delay_s, d->at_once, d->concurrency,
                   d->op_timeout_s, d->why);
        }
        if (fl_targets[i + 1]) putchar('\n');
    }
    return 0;
}
