/* atomic_file.h — files that appear whole or not at all: written under a temporary name in the
 * same folder, flushed, then renamed over the final name. A reader sees the previous complete
 * file or the new complete file, never half of one. */
#ifndef CONCBENCH_ATOMIC_FILE_H
#define CONCBENCH_ATOMIC_FILE_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

struct afile {
    FILE *f;                    /* write here between afile_open and afile_commit/abort */
    char path[PATH_MAX];        /* the final name */
    char tmp[PATH_MAX];         /* the temporary name: DIR/.BASE.tmp.XXXXXX */
};

/* Create a temporary file beside `path` (mode 0644) and open it for writing in a->f. Returns 0
 * or a negative errno (-ENAMETOOLONG, or whatever mkstemp/fdopen set). Any thread; a given
 * afile belongs to one thread. */
int afile_open(struct afile *a, const char *path);

/* Flush, fsync and close a->f, then rename the temporary file to the final name. Returns 0, or
 * a negative errno when any step failed (a write error earlier included); on failure the
 * temporary file is removed and the final name is left as it was. */
int afile_commit(struct afile *a);

/* Close a->f and remove the temporary file; the final name is left as it was. */
void afile_abort(struct afile *a);

/* Write len bytes to path atomically (afile_open + fwrite + afile_commit). 0 or -errno. */
int afile_write(const char *path, const void *data, size_t len);

/* Make linkpath a symbolic link to target, atomically: a link under a temporary name, renamed
 * over linkpath (which may be an existing link, never a folder). Returns 0 or -errno. */
int afile_symlink(const char *target, const char *linkpath);

#endif
