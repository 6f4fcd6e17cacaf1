/* cpio_newc.c: the archive a VM node's own files ride in. Checked field by field against
 * the newc layout, and read back by GNU cpio (a real reader, as the kernel's is). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cpio_newc.h"

static unsigned hex_field(const char *header, int index) {
    char field[9];
    memcpy(field, header + 6 + 8 * index, 8);
    field[8] = '\0';
    return (unsigned)strtoul(field, NULL, 16);
}

static void test_layout(void **state) {
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    assert_int_equal(fl_cpio_add(out, "d", S_IFDIR | 0755, NULL, 0), 0);
    assert_int_equal(fl_cpio_add(out, "d/f", S_IFREG | 0600, "hello", 5), 0);
    assert_int_equal(fl_cpio_end(out), 0);
    fclose(out);
    assert_int_equal(len % 4, 0);
    /* first member: the directory, name "d\0" padded so its data starts at 4n */
    assert_memory_equal(buf, "070701", 6);
    assert_int_equal(hex_field(buf, 1), S_IFDIR | 0755);     /* mode */
    assert_int_equal(hex_field(buf, 6), 0);                  /* size */
    assert_int_equal(hex_field(buf, 11), 2);                 /* namesize with its NUL */
    assert_string_equal(buf + 110, "d");
    size_t second = 112; /* 110 + 2 is already a multiple of 4 */
    assert_memory_equal(buf + second, "070701", 6);
    assert_int_equal(hex_field(buf + second, 1), S_IFREG | 0600);
    assert_int_equal(hex_field(buf + second, 6), 5);
    assert_string_equal(buf + second + 110, "d/f");
    /* header and "d/f\0" end at 226: the data starts at the next multiple of 4 */
    size_t data = (second + 110 + 4 + 3) & ~(size_t)3;
    assert_int_equal(data, 228);
    assert_memory_equal(buf + data, "hello", 5);
    assert_non_null(memmem(buf, len, "TRAILER!!!", 11));
    free(buf);
}

/* GNU cpio lists and extracts what was written. */
static void test_read_back_by_cpio(void **state) {
    (void)state;
    if (access("/usr/bin/cpio", X_OK) != 0) skip();
    char path[] = "/tmp/fl-test-cpio.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *out = fdopen(fd, "wb");
    assert_int_equal(fl_cpio_add(out, "fl-node", S_IFDIR | 0755, NULL, 0), 0);
    assert_int_equal(fl_cpio_add(out, "fl-node/node.env", S_IFREG | 0644, "FL_NODE=n2\n", 11), 0);
    assert_int_equal(fl_cpio_add(out, "fl-node/key", S_IFREG | 0600, "abc", 3), 0);
    assert_int_equal(fl_cpio_end(out), 0);
    fclose(out);
    char command[256], listing[256] = "";
    snprintf(command, sizeof command, "cpio -it --quiet < %s 2>&1 | tr '\\n' ' '", path);
    FILE *p = popen(command, "r");
    assert_non_null(fgets(listing, sizeof listing, p));
    pclose(p);
    assert_string_equal(listing, "fl-node fl-node/node.env fl-node/key ");
    snprintf(command, sizeof command,
             "cpio -i --quiet --to-stdout fl-node/node.env < %s 2>&1", path);
    char content[64] = "";
    p = popen(command, "r");
    assert_non_null(fgets(content, sizeof content, p));
    pclose(p);
    assert_string_equal(content, "FL_NODE=n2\n");
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_read_back_by_cpio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
