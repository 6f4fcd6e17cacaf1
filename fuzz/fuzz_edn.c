/* libFuzzer target: any bytes through the EDN reader (independent tuples detected,
 * truncation allowed and not), pairing, and both writers, checking that what the
 * writers write reads back as the same ops. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_common.h"
#include "history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char fuzz_target_name[] = "fuzz_edn";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    fl_format format;
    (void)fl_format_detect(NULL, text, size, &format);
    for (int allow = 0; allow <= 1; allow++) {
        fl_history *h = fl_history_new("fuzz.edn");
        if (!h) abort();
        fl_error err;
        const fl_read_options opt = {.allow_truncated = allow, .independent = -1};
        if (fl_edn_read(text, size, "fuzz.edn", h, &opt, &err) == FL_READ_OK) {
            (void)fl_history_pair(h, &err);
            check_reads_back(h, FL_FORMAT_EDN);
            check_reads_back(h, FL_FORMAT_JSONL);
        }
        fl_history_free(h);
    }
    return 0;
}
