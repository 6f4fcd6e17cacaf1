/* The nodes file and the namespace guard: bad files get errors naming file, line, node
 * and field; the controller never dials a cluster address from outside the cluster's
 * network namespace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cluster_registry.h"
#include "exit_codes.h"
#include "netns.h"
#include "nodes.h"

static char path[] = "/tmp/fl-test-nodes-XXXXXX";

static int read_text(const char *text, fl_nodes *n, char *err) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return fl_nodes_read(path, n, err);
}

static const char good[] =
    "{\"netns\": \"fl-test-nowhere\", \"subnet\": \"10.213.0.0/24\", \"known_hosts\": \"/k\",\n"
    " \"nodes\": [{\"name\": \"n1\", \"host\": \"10.213.0.11\", \"user\": \"root\",\n"
    "             \"key\": \"/id\", \"workdir\": \"/w/n1\"},\n"
    "            {\"name\": \"vm\", \"host\": \"192.168.7.3\", \"port\": 2222, \"user\": \"u\",\n"
    "             \"key\": \"/id\", \"workdir\": \"/w\", \"clock\": \"system\", \"sudo\": true}]}\n";

static void reads_a_good_file(void **state) {
    (void)state;
    fl_nodes n;
    char err[FL_NODES_ERR_BYTES];
    assert_int_equal(read_text(good, &n, err), 0);
    assert_int_equal(n.count, 2);
    assert_int_equal(n.nodes[0].port, 22);
    assert_int_equal(n.nodes[0].clock, FL_CLOCK_FAKETIME);
    assert_int_equal(n.nodes[1].port, 2222);
    assert_true(n.nodes[1].sudo);
    assert_int_equal(n.nodes[1].clock, FL_CLOCK_SYSTEM);
    /* Written and read back, it is the same. */
    char again_path[64];
    snprintf(again_path, sizeof again_path, "%s.out", path);
    assert_int_equal(fl_nodes_write(&n, again_path, err), 0);
    fl_nodes m;
    assert_int_equal(fl_nodes_read(again_path, &m, err), 0);
    assert_string_equal(m.nodes[1].host, "192.168.7.3");
    assert_string_equal(m.netns, "fl-test-nowhere");
    unlink(again_path);
    fl_nodes_free(&m);
    fl_nodes_free(&n);
}

static void expect_bad(const char *text, int code, const char *needle) {
    fl_nodes n;
    char err[FL_NODES_ERR_BYTES] = "";
    assert_int_equal(read_text(text, &n, err), code);
    if (!strstr(err, needle)) fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
    assert_non_null(strstr(err, path));
    fl_nodes_free(&n);
}

static void bad_files_are_named(void **state) {
    (void)state;
    expect_bad("{\"known_hosts\": \"/k\",\n \"nodes\": [\n", FL_EXIT_DATAERR, ":3:");
    expect_bad("[1, 2]", FL_EXIT_DATAERR, "JSON object");
    expect_bad("{\"nodes\": []}", FL_EXIT_DATAERR, "known_hosts");
    expect_bad("{\"known_hosts\": \"/k\", \"nodes\": []}", FL_EXIT_DATAERR, "non-empty");
    expect_bad("{\"known_hosts\": \"/k\", \"nodes\": [{\"name\": \"n1\", \"host\": \"h\", "
               "\"user\": \"u\", \"workdir\": \"/w\"}]}", FL_EXIT_DATAERR, "node 1 (n1): \"key\"");
    expect_bad("{\"known_hosts\": \"/k\", \"nodes\": [{\"name\": \"n1\", \"host\": \"h\", "
               "\"user\": \"u\", \"key\": \"/k\", \"workdir\": \"/w\", \"port\": 70000}]}",
               FL_EXIT_DATAERR, "port");
    expect_bad("{\"known_hosts\": \"/k\", \"nodes\": [{\"name\": \"n1\", \"host\": \"h\", "
               "\"user\": \"u\", \"key\": \"/k\", \"workdir\": \"/w\", \"clock\": \"wall\"}]}",
               FL_EXIT_DATAERR, "clock");
    expect_bad("{\"known_hosts\": \"/k\", \"nodes\": [{\"name\": \"a\", \"host\": \"h\", "
               "\"user\": \"u\", \"key\": \"/k\", \"workdir\": \"/w\"}, {\"name\": \"a\", "
               "\"host\": \"h\", \"user\": \"u\", \"key\": \"/k\", \"workdir\": \"/w\"}]}",
               FL_EXIT_DATAERR, "used twice");
    fl_nodes n;
    char err[FL_NODES_ERR_BYTES];
    assert_int_equal(fl_nodes_read("/nonexistent/nodes.json", &n, err), FL_EXIT_HARNESS);
    assert_non_null(strstr(err, "cluster up"));
    fl_nodes_free(&n);
}

static void subnets(void **state) {
    (void)state;
    assert_int_equal(fl_addr_in_subnet("10.213.0.12", "10.213.0.0/24"), 1);
    assert_int_equal(fl_addr_in_subnet("10.213.1.12", "10.213.0.0/24"), 0);
    assert_int_equal(fl_addr_in_subnet("10.213.1.12", "10.213.0.0/16"), 1);
    assert_int_equal(fl_addr_in_subnet("127.0.0.1", "10.213.0.0/24"), 0);
    assert_int_equal(fl_addr_in_subnet("node.example", "10.213.0.0/24"), 0);
    assert_int_equal(fl_addr_in_subnet("10.213.0.12", "10.213.0.0"), -1);
    assert_int_equal(fl_addr_in_subnet("10.213.0.12", "10.213.0.0/33"), -1);
    assert_int_equal(fl_addr_in_subnet("10.213.0.12", "10.213.0.0/"), -1);
    assert_int_equal(fl_subnets_overlap("10.213.0.0/24", "10.213.0.128/25"), 1);
    assert_int_equal(fl_subnets_overlap("10.213.0.0/16", "10.213.77.0/24"), 1);
    assert_int_equal(fl_subnets_overlap("10.213.77.0/24", "10.213.0.0/16"), 1);
    assert_int_equal(fl_subnets_overlap("10.213.0.0/24", "10.213.1.0/24"), 0);
    assert_int_equal(fl_subnets_overlap("10.213.0.0/25", "10.213.0.128/25"), 0);
    assert_int_equal(fl_subnets_overlap("10.213.0.0/24", "nonsense"), -1);
}

/* Cluster names: letters and digits, so NAME-nI never names another cluster's
 * namespace; a folder keeps its name; the default folder is "fl". */
static void cluster_names(void **state) {
    (void)state;
    assert_true(fl_cluster_name_valid("fl"));
    assert_true(fl_cluster_name_valid("ci2"));
    assert_false(fl_cluster_name_valid(""));
    assert_false(fl_cluster_name_valid("fl-n1"));
    assert_false(fl_cluster_name_valid("2fl"));
    assert_false(fl_cluster_name_valid("Fl"));
    assert_false(fl_cluster_name_valid("abcdefghijklmnopq")); /* 17 */
    char a[FL_CLUSTER_NAME_MAX + 1], b[FL_CLUSTER_NAME_MAX + 1], c[FL_CLUSTER_NAME_MAX + 1];
    fl_cluster_name_for_dir("/var/lib/faultline/cluster", a);
    assert_string_equal(a, "fl");
    fl_cluster_name_for_dir("/tmp/x/cluster", a);
    fl_cluster_name_for_dir("/tmp/x/cluster", b);
    fl_cluster_name_for_dir("/tmp/y/cluster", c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_true(fl_cluster_name_valid(a) && strlen(a) == 8);
}

/* This test runs in the host's namespace, not in fl-test-nowhere: a cluster address
 * must be refused, an address outside the subnet allowed. */
static void guard_refuses_cluster_addresses_from_outside(void **state) {
    (void)state;
    fl_nodes n;
    char err[FL_NODES_ERR_BYTES];
    assert_int_equal(read_text(good, &n, err), 0);
    assert_false(fl_netns_is_current("fl-test-nowhere"));
    assert_int_not_equal(fl_netns_guard(&n, "10.213.0.11", err, sizeof err), 0);
    assert_non_null(strstr(err, "refusing to connect to 10.213.0.11"));
    assert_non_null(strstr(err, "fl-test-nowhere"));
    assert_int_equal(fl_netns_guard(&n, "192.168.7.3", err, sizeof err), 0);
    /* fl_netns_prepare enters the namespace first: it does not exist, so it refuses. */
    assert_int_not_equal(fl_netns_prepare(&n, err, sizeof err), 0);
    free(n.subnet);
    n.subnet = NULL; /* real machines: no subnet, nothing to guard but the local clusters'
                        subnets (none holds TEST-NET-1) */
    assert_int_equal(fl_netns_guard(&n, "192.0.2.11", err, sizeof err), 0);
    fl_nodes_free(&n);
}

static int setup(void **state) {
    (void)state;
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    close(fd);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(path);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_a_good_file),
        cmocka_unit_test(bad_files_are_named),
        cmocka_unit_test(subnets),
        cmocka_unit_test(cluster_names),
        cmocka_unit_test(guard_refuses_cluster_addresses_from_outside),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
