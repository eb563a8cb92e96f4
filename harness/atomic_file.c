/* atomic_file.c — write to a temporary name, then rename. */
#include "harness/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* dir of path ("." when none) and its last component. */
static int split_path(const char *path, char *dir, size_t dlen, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, dlen, ".");
        *base = path;
        return 0;
    }
    size_t n = (size_t)(slash - path);
    if (n == 0)
        n = 1;                          /* "/name": the root */
    if (n >= dlen)
        return -ENAMETOOLONG;
    memcpy(dir, path, n);
    dir[n] = '\0';
    *base = slash + 1;
    return 0;
}

static int temp_name(const char *path, char *tmp, size_t len)
{
    char dir[PATH_MAX];
    const char *base;
    int err = split_path(path, dir, sizeof dir, &base);
    if (err < 0)
        return err;
    if (!*base)
        return -EINVAL;
    int n = snprintf(tmp, len, "%s/.%s.tmp.XXXXXX", dir, base);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int afile_open(struct afile *a, const char *path)
{
    int err;
    memset(a, 0, sizeof *a);
    if (strlen(path) >= sizeof a->path)
        return -ENAMETOOLONG;
    snprintf(a->path, sizeof a->path, "%s", path);
    if ((err = temp_name(path, a->tmp, sizeof a->tmp)) < 0)
        return err;
    int fd = mkostemp(a->tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fchmod(fd, 0644) < 0 || !(a->f = fdopen(fd, "w"))) {
        err = -errno;
        close(fd);
        unlink(a->tmp);
        return err;
    }
    return 0;
}

int afile_commit(struct afile *a)
{
    int err = 0;
    if (!a->f)
        return -EBADF;
    if (fflush(a->f) != 0 || ferror(a->f))
        err = errno ? -errno : -EIO;
    while (!err && fsync(fileno(a->f)) < 0)
        if (errno != EINTR)
            err = -errno;
    if (fclose(a->f) != 0 && !err)
        err = -errno;
    a->f = NULL;
    if (!err && rename(a->tmp, a->path) < 0)
        err = -errno;
    if (err)
        unlink(a->tmp);
    return err;
}

void afile_abort(struct afile *a)
{
    if (a->f)
        fclose(a->f);
    a->f = NULL;
    if (a->tmp[0])
        unlink(a->tmp);
}

int afile_write(const char *path, const void *data, size_t len)
{
    struct afile a;
    int err = afile_open(&a, path);
    if (err < 0)
        return err;
    if (len && fwrite(data, 1, len, a.f) != len) {
        err = errno ? -errno : -EIO;
        afile_abort(&a);
        return err;
    }
    return afile_commit(&a);
}

int afile_symlink(const char *target, const char *linkpath)
{
    char tmp[PATH_MAX];
    int err = temp_name(linkpath, tmp, sizeof tmp);
    if (err < 0)
        return err;
    /* mkstemp-like unique name for a link: try a few suffixes. */
    size_t n = strlen(tmp);
    for (unsigned attempt = 0; attempt < 100; attempt++) {
        snprintf(tmp + n - 6, 7, "%06u", (unsigned)((getpid() * 131u + attempt) % 1000000u));
        if (symlink(target, tmp) == 0)
            break;
        if (errno != EEXIST)
            return -errno;
        if (attempt == 99)
            return -EEXIST;
    }
    struct stat st;
    if (lstat(linkpath, &st) == 0 && S_ISDIR(st.st_mode)) {
        unlink(tmp);
        return -EISDIR;
    }
    if (rename(tmp, linkpath) < 0) {
        err = -errno;
        unlink(tmp);
        return err;
    }
    return 0;
}
