/* Upload and download over SFTP on every node of a running cluster: content (sha256 on
 * the node, bytes back here) and mode survive both ways. Exit 0 when they do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "control.h"
#include "shell_quote.h"

#define SIZE_BYTES (1 << 20)
#define SHA256_HEX 64 /* a sha256sum in hex */

static int make_file(const char *path, unsigned char *data) {
    FILE *f = fopen(path, "wb");
    srand(42);
    for (size_t i = 0; i < SIZE_BYTES; i++) data[i] = (unsigned char)rand();
    if (!f || fwrite(data, 1, SIZE_BYTES, f) != SIZE_BYTES || fclose(f) != 0) return -1;
    return chmod(path, 0750);
}

static int same_as(const char *path, const unsigned char *data, mode_t mode) {
    struct stat st;
    unsigned char *back = malloc(SIZE_BYTES);
    FILE *f = fopen(path, "rb");
    int same = f && back && fread(back, 1, SIZE_BYTES, f) == SIZE_BYTES && fgetc(f) == EOF &&
               memcmp(back, data, SIZE_BYTES) == 0 && stat(path, &st) == 0 &&
               (st.st_mode & 0777) == mode;
    if (f) fclose(f);
    free(back);
    return same;
}

static int one_node(fl_remote *s, const fl_node *n, const char *dir, const unsigned char *data,
                    const char *local, const char *sum) {
    char remote[4096], back[4096], cmd[8192], err[FL_REMOTE_ERR_BYTES];
    snprintf(remote, sizeof remote, "%s/transfer.bin", n->workdir);
    snprintf(back, sizeof back, "%s/back-%s.bin", dir, n->name);
    if (fl_remote_upload(s, local, remote, err) != 0) return fprintf(stderr, "%s\n", err), 1;
    char *q = fl_shell_quote(remote);
    snprintf(cmd, sizeof cmd, "sha256sum %s | cut -d' ' -f1; stat -c %%a %s", q, q);
    free(q);
    fl_exec_result r;
    if (fl_remote_exec(s, cmd, 10000, &r, err) != 0) return fprintf(stderr, "%s\n", err), 1;
    char expect[SHA256_HEX + sizeof "\n750\n"];
    snprintf(expect, sizeof expect, "%s\n750\n", sum);
    int bad = strcmp(r.out, expect) != 0;
    if (bad) fprintf(stderr, "%s: sha256 and mode on the node: %s, expected %s", n->name, r.out, expect);
    fl_exec_result_free(&r);
    if (fl_remote_download(s, remote, back, err) != 0) return fprintf(stderr, "%s\n", err), 1;
    if (!same_as(back, data, 0750)) {
        fprintf(stderr, "%s: the downloaded copy differs (content or mode)\n", n->name);
        bad = 1;
    }
    return bad;
}

int main(int argc, char **argv) {
    if (argc != 3) return fprintf(stderr, "usage: test_transfer NODES_FILE TMPDIR\n"), 2;
    fl_nodes nodes;
    char err[1024], local[4096], cmd[4200], sum[SHA256_HEX + 1] = "";
    if (fl_nodes_read(argv[1], &nodes, err) != 0) return fprintf(stderr, "%s\n", err), 1;
    unsigned char *data = malloc(SIZE_BYTES);
    snprintf(local, sizeof local, "%s/transfer.bin", argv[2]);
    if (!data || make_file(local, data) != 0) return perror(local), 1;
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", local);
    FILE *p = popen(cmd, "r");
    if (!p || fscanf(p, "%64s", sum) != 1) return fprintf(stderr, "sha256sum failed\n"), 1;
    pclose(p);
    fl_control ctl;
    int bad = fl_control_open(&ctl, &nodes, false, 5000, err, sizeof err) != 0;
    if (bad) fprintf(stderr, "cannot reach every node: %s %s\n", err, ctl.errors[0]);
    for (size_t i = 0; !bad && i < nodes.count; i++)
        bad |= one_node(ctl.remotes[i], &nodes.nodes[i], argv[2], data, local, sum);
    fl_control_close(&ctl);
    fl_nodes_free(&nodes);
    free(data);
    return bad;
}
