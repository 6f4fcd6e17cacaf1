/* Writing a small cpio archive in the "newc" format the kernel unpacks as an initramfs:
 * how `cluster up --vm` gives each VM its own files (name, address, host key) on top of
 * the one cached boot image, with no cpio program needed. */
#ifndef FL_CPIO_NEWC_H
#define FL_CPIO_NEWC_H

#include <stddef.h>
#include <stdio.h>

/* One member: a directory (data NULL, mode with S_IFDIR) or a regular file. Owner root.
 * Names are relative ("fl-node/hosts"). 0, or -1 on a write error. */
int fl_cpio_add(FILE *out, const char *name, unsigned mode, const void *data, size_t len);
/* The trailer that ends an archive. */
int fl_cpio_end(FILE *out);

#endif
