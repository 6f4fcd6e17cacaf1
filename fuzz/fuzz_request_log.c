/* libFuzzer target: the retry-storm checker's reader of fl-payments' request log
 * (checkers/retry_storm/log_read.c) on any bytes, written as a run directory's
 * nodes/n1/payments-requests.jsonl beside a valid test.json. Besides crashes, leaks and
 * undefined behaviour, it checks properties: the reader accepts or says why; every
 * arrival it accepts has an attempt ≥ 1, a known outcome and 0 ≤ arrived ≤ done; and
 * the checker runs on what it accepted against a small history. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_fixed.h"
#include "history.h"
#include "retry_storm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[128];

static void write_file(const char *rel, const void *bytes, size_t n) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, n, f) != n || fclose(f) != 0) abort();
}

/* An order and a pause, read as faultline reads a history file. */
static fl_history *small_history(void) {
    static const char text[] =
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"order\",\"key\":1,\"time\":1000000000}\n"
        "{\"process\":0,\"type\":\"ok\",\"f\":\"order\",\"key\":1,\"time\":1100000000}\n"
        "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"pause-start\",\"time\":2000000000}\n"
        "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"pause-stop\",\"time\":3000000000}\n";
    write_file("history.jsonl", text, sizeof text - 1);
    char path[256];
    snprintf(path, sizeof path, "%s/history.jsonl", dir);
    fl_read_options ro = {0};
    fl_history *h = NULL;
    fl_error e;
    if (fl_history_read_file(path, &ro, &h, &e) != FL_READ_OK) abort();
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fl_history *h;
    if (!dir[0]) { /* one scratch run directory for the whole campaign, removed at exit */
        char sub[160];
        if (fuzz_scratch_dir(dir, sizeof dir, "fl-fuzz-request-log") != 0) abort();
        snprintf(sub, sizeof sub, "%s/nodes", dir);
        if (mkdir(sub, 0700) != 0) abort();
        snprintf(sub, sizeof sub, "%s/nodes/n1", dir);
        if (mkdir(sub, 0700) != 0) abort();
        write_file("test.json", "{\"history_origin_mono_ns\": 0}", 29);
        h = small_history();
    }
    write_file("nodes/n1/payments-requests.jsonl", data, size);
    fl_rs_log log;
    char why[512] = "";
    int rc = fl_rs_log_read(dir, &log, why, sizeof why);
    if (rc == 1 && !why[0]) abort(); /* a refusal says why */
    if (rc == 0) {
        for (size_t i = 0; i < log.count; i++) {
            const fl_rs_arrival *a = &log.arrivals[i];
            if (a->attempt < 1 || a->outcome >= FL_RS_OUTCOMES || a->arrived_ns < 0 ||
                a->done_ns < a->arrived_ns)
                abort();
        }
        json_t *r = fl_check_retry_storm(h, log.arrivals, log.count, log.origin_ns);
        if (!r) abort();
        json_decref(r);
    }
    fl_rs_log_free(&log);
    return 0;
}
