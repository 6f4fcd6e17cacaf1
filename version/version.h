/* What produced a run (DESIGN.md "Run store"): faultline's version and the git commit
 * the binary was built from, for `faultline --version`, test.json, results.json,
 * junit.xml and the report. libc only: any folder may include it. */
#ifndef FL_VERSION_H
#define FL_VERSION_H

/* The project's version, CMakeLists.txt's project(faultline VERSION …): "0.2.0". */
const char *fl_version(void);
/* `git describe --always --dirty` of the source tree when it was built ("718bf1c",
 * "718bf1c-dirty", or a tag's "v0.2.0-3-g718bf1c"); "unknown" when the source was not
 * a git checkout (a tarball) or git was missing. */
const char *fl_version_commit(void);
/* "faultline 0.2.0 (commit 718bf1c)": what `faultline --version` prints. */
const char *fl_version_line(void);

#endif
