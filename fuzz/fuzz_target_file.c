/* libFuzzer target: what users write and run as a target (targets/file): the first byte
 * picks the reader. Even: the rest is a target file's text (target_file.c): it must load
 * (0) or be refused as malformed (65) with a message naming the file, never crash; a
 * file that loads has a name, a start line, ops and a client. Odd: the rest is one line
 * a client program printed (client_process.c): a reply it accepts has a type, and one it
 * refuses is info with the reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client_process.h"
#include "target_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (data[0] % 2 == 0) {
        const fl_target *t = NULL;
        char err[1024] = "";
        int rc = fl_target_file_parse("fuzz.json", text, &t, err, sizeof err);
        if (rc != 0 && rc != 65) abort();
        if (rc == 65 && (t || strncmp(err, "fuzz.json", 9))) abort();
        if (rc == 0) {
            const fl_target_file *tf = fl_target_file_of(t);
            if (!t || !tf || tf != fl_target_file_current() || !tf->start || !tf->ops[0] ||
                !tf->client_argv[0] || fl_target_file_named(tf->name) != tf)
                abort();
            fl_target_file_unload_all();
        }
    } else {
        fl_reply r;
        memset(&r, 0, sizeof r);
        int rc = fl_client_process_parse_reply(text, &r);
        if (rc != 0 && (r.type != FL_REPLY_INFO || !r.error[0] || r.value)) abort();
        if (rc == 0 && r.type != FL_REPLY_OK && r.type != FL_REPLY_FAIL && r.type != FL_REPLY_INFO)
            abort();
        json_decref(r.value);
    }
    free(text);
    return 0;
}
