/* Several target files loaded by one process, as a suite whose tests each name one: every
 * loaded target stays whole until the process ends (a suite resolves all its tests before
 * running the first), each is found by its own pointer, and a name finds the latest file
 * that has it. Under ASan a target freed by a later load is a use-after-free here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "target.h"
#include "target_file.h"

static char dir[] = "/tmp/fl-target-file-load.XXXXXX";

/* A small valid target file named name on port, written to dir/file; its path. */
static const char *write_file(const char *file, const char *name, int port) {
    static char path[3][256];
    static int next;
    char *p = path[next++ % 3];
    snprintf(p, sizeof path[0], "%s/%s", dir, file);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "{\"name\": \"%s\", \"port\": %d, \"start\": \"exec sleep 1000\",\n"
               " \"ready\": {\"tcp\": %d}, \"ops\": [\"read\", \"write\"],\n"
               " \"client\": {\"command\": [\"python3\", \"client.py\"]}}\n", name, port, port);
    fclose(f);
    return p;
}

static void test_every_loaded_file_stays(void **state) {
    (void)state;
    assert_non_null(mkdtemp(dir));
    const char *a = write_file("a.json", "alpha", 7001), *b = write_file("b.json", "beta", 7002),
               *c = write_file("c.json", "alpha", 7003);
    const fl_target *ta, *tb, *tc;
    char err[512];
    assert_int_equal(fl_target_file_load(a, &ta, err, sizeof err), 0);
    assert_int_equal(fl_target_file_load(b, &tb, err, sizeof err), 0);
    /* the first is whole after the second load, and found by its pointer */
    assert_string_equal(ta->name, "alpha");
    assert_int_equal(fl_target_file_of(ta)->port, 7001);
    assert_int_equal(fl_target_file_of(tb)->port, 7002);
    assert_ptr_equal(fl_target_find("beta"), tb);
    assert_ptr_equal(fl_target_find("alpha"), ta);
    assert_ptr_equal(fl_target_file_current(), fl_target_file_of(tb));
    /* a second file with the same name: the name finds the latest, the pointer its own */
    assert_int_equal(fl_target_file_load(c, &tc, err, sizeof err), 0);
    assert_ptr_equal(fl_target_find("alpha"), tc);
    assert_int_equal(fl_target_file_of(ta)->port, 7001);
    assert_int_equal(fl_target_file_of(tc)->port, 7003);
    assert_string_equal(fl_target_file_of(ta)->path, a);
    /* a built-in target is no file's */
    assert_null(fl_target_file_of(fl_target_find("raftkv")));
    /* a file that does not load leaves the loaded ones as they were */
    FILE *f = fopen(a, "w");
    assert_non_null(f);
    fputs("{\"name\": 5}\n", f);
    fclose(f);
    const fl_target *bad;
    assert_int_equal(fl_target_file_load(a, &bad, err, sizeof err), 65);
    assert_null(bad);
    assert_ptr_equal(fl_target_file_current(), fl_target_file_of(tc));
    fl_target_file_unload_all();
    assert_null(fl_target_file_current());
    assert_null(fl_target_find("beta"));
    unlink(a), unlink(b), unlink(c);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_loaded_file_stays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
