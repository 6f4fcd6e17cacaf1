/* The registry of local clusters on this machine (see cluster_registry.h). */
#include "cluster_registry.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cluster.h"
#include "netns.h"

#define ENTRY_PATH_BYTES (sizeof FL_REGISTRY_DIR + FL_CLUSTER_NAME_MAX + 16)

static int make_registry_dir(void) {
    if (mkdir("/run/faultline", 0755) != 0 && errno != EEXIST) return -1;
    return mkdir(FL_REGISTRY_DIR, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int fl_registry_lock(char *err, size_t err_bytes) {
    int fd = -1;
    if (make_registry_dir() == 0) fd = open(FL_REGISTRY_DIR "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        snprintf(err, err_bytes, "cannot lock %s/.lock: %s (the local cluster needs root)",
                 FL_REGISTRY_DIR, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

void fl_registry_unlock(int fd) {
    if (fd >= 0) close(fd); /* closing the only descriptor releases the flock */
}

static void entry_path(const char *name, char out[ENTRY_PATH_BYTES]) {
    snprintf(out, ENTRY_PATH_BYTES, "%s/%s.json", FL_REGISTRY_DIR, name);
}

static bool netns_exists(const char *name) {
    char path[64];
    snprintf(path, sizeof path, "/run/netns/%s-net", name);
    return access(path, F_OK) == 0;
}

static bool copy_string(char *to, size_t bytes, const json_t *v) {
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= bytes) return false;
    memcpy(to, s, strlen(s) + 1);
    return true;
}

/* One entry file; false when it is not one of ours or is damaged. */
static bool entry_read(const char *path, fl_cluster_entry *e) {
    json_t *root = json_load_file(path, 0, NULL);
    bool ok = root && copy_string(e->name, sizeof e->name, json_object_get(root, "name")) &&
              copy_string(e->dir, sizeof e->dir, json_object_get(root, "dir")) &&
              copy_string(e->subnet, sizeof e->subnet, json_object_get(root, "subnet")) &&
              json_is_integer(json_object_get(root, "nodes")) && fl_cluster_name_valid(e->name);
    if (ok) e->nodes = (size_t)json_integer_value(json_object_get(root, "nodes"));
    json_decref(root);
    return ok;
}

size_t fl_registry_list(fl_cluster_entry *out, size_t max, bool prune) {
    DIR *d = opendir(FL_REGISTRY_DIR);
    if (!d) return 0;
    size_t count = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json")) continue;
        char path[sizeof FL_REGISTRY_DIR + 256 + 2];
        snprintf(path, sizeof path, "%s/%s", FL_REGISTRY_DIR, de->d_name);
        fl_cluster_entry e;
        if (!entry_read(path, &e)) continue;
        if (!netns_exists(e.name)) {
            if (prune) unlink(path); /* its namespaces are gone: so is the cluster */
            continue;
        }
        if (count < max) out[count++] = e;
    }
    closedir(d);
    return count;
}

bool fl_registry_find_dir(const char *dir, fl_cluster_entry *out) {
    fl_cluster_entry all[64];
    size_t n = fl_registry_list(all, 64, false);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(all[i].dir, dir)) return *out = all[i], true;
    return false;
}

bool fl_registry_find_name(const char *name, fl_cluster_entry *out) {
    char path[ENTRY_PATH_BYTES];
    entry_path(name, path);
    return fl_cluster_name_valid(name) && entry_read(path, out) && !strcmp(out->name, name);
}

int fl_registry_put(const fl_cluster_entry *e, char *err, size_t err_bytes) {
    assert(fl_cluster_name_valid(e->name) && e->dir[0] == '/' && e->nodes >= 1);
    char path[ENTRY_PATH_BYTES], tmp[ENTRY_PATH_BYTES + 4];
    entry_path(e->name, path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    json_t *root = json_pack("{s:s,s:s,s:s,s:I}", "name", e->name, "dir", e->dir, "subnet",
                             e->subnet, "nodes", (json_int_t)e->nodes);
    int rc = root && make_registry_dir() == 0 && json_dump_file(root, tmp, JSON_INDENT(2)) == 0 &&
                     rename(tmp, path) == 0
                 ? 0
                 : -1;
    if (rc) snprintf(err, err_bytes, "cannot write %s: %s", path, strerror(errno));
    json_decref(root);
    return rc;
}

void fl_registry_remove(const char *name) {
    char path[ENTRY_PATH_BYTES];
    entry_path(name, path);
    unlink(path);
}

bool fl_cluster_name_valid(const char *name) {
    size_t len = strlen(name);
    if (len < 1 || len > FL_CLUSTER_NAME_MAX || name[0] < 'a' || name[0] > 'z') return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) return false;
    return true;
}

/* FNV-1a: a stable hash of the folder's path, so a folder keeps its name and subnet
 * from one `up` to the next. */
static uint32_t path_hash(const char *dir) {
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)dir; *p; p++) h = (h ^ *p) * 16777619u;
    return h;
}

void fl_cluster_name_for_dir(const char *dir, char out[FL_CLUSTER_NAME_MAX + 1]) {
    if (!strcmp(dir, FL_CLUSTER_DIR)) snprintf(out, FL_CLUSTER_NAME_MAX + 1, "%s", FL_CLUSTER_DEFAULT_NAME);
    else snprintf(out, FL_CLUSTER_NAME_MAX + 1, "fl%06x", (unsigned)(path_hash(dir) & 0xffffffu));
    assert(fl_cluster_name_valid(out));
}

/* The live cluster of another folder whose subnet overlaps subnet, or NULL. */
static const fl_cluster_entry *subnet_holder(const char *subnet, const fl_cluster_entry *live,
                                             size_t count, const char *dir) {
    for (size_t i = 0; i < count; i++)
        if (strcmp(live[i].dir, dir) && fl_subnets_overlap(subnet, live[i].subnet) == 1)
            return &live[i];
    return NULL;
}

bool fl_registry_subnet_holder(const char *subnet, const char *dir, fl_cluster_entry *out) {
    fl_cluster_entry live[64];
    size_t count = fl_registry_list(live, 64, false);
    const fl_cluster_entry *holder = subnet_holder(subnet, live, count, dir);
    if (holder) *out = *holder;
    return holder != NULL;
}

int fl_cluster_subnet_for_dir(const char *dir, char out[32], char *err, size_t err_bytes) {
    fl_cluster_entry live[64];
    size_t count = fl_registry_list(live, 64, false);
    if (!strcmp(dir, FL_CLUSTER_DIR) && !subnet_holder(FL_CLUSTER_SUBNET, live, count, dir)) {
        snprintf(out, 32, "%s", FL_CLUSTER_SUBNET);
        return 0;
    }
    /* 10.213.0.0/24 stays the default folder's; the others share 10.213.1-254.0/24. */
    uint32_t start = path_hash(dir) % 254;
    for (uint32_t i = 0; i < 254; i++) {
        snprintf(out, 32, "10.213.%u.0/24", (unsigned)(1 + (start + i) % 254));
        if (!subnet_holder(out, live, count, dir)) return 0;
    }
    snprintf(err, err_bytes, "every /24 of 10.213.0.0/16 is held by a local cluster "
             "(`faultline cluster list`); take one down or give --subnet");
    return -1;
}
