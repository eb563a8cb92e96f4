/* profile_file.c — where a profile is (profiles/ beside the binary, or a path) and reading it. */
#include "harness/profile.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/text.h"

/* The folder of the running binary. */
static bool exe_dir(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash)
        *slash = '\0';
    return true;
}

static bool regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* "default, quick, test" from the files of a folder (sorted, the README left out). */
static void list_dir(const char *dir, char *out, size_t len)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    for (int k = 0; k < n; k++) {
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, ents[k]->d_name);
        if (ents[k]->d_name[0] != '.' && strcmp(ents[k]->d_name, "README") != 0 &&
            regular_file(path))
            str_append(out, len, "%s, ", ents[k]->d_name);
        free(ents[k]);
    }
    if (n > 0)
        free(ents);
}

int profile_find(const char *name, char *buf, size_t len, char *err, size_t errlen)
{
    if (strchr(name, '/') || regular_file(name)) {
        str_copy(buf, len, name);
        return 0;
    }
    char dir[PATH_MAX], found[PATH_MAX] = "";
    static const char *const subs[] = { "profiles", "share/concbench/profiles" };
    if (exe_dir(dir, sizeof dir))
        for (int up = 0; up < 5 && !found[0]; up++) {
            for (int k = 0; k < 2 && !found[0]; k++) {
                char cand[PATH_MAX + 64];
                struct stat st;
                snprintf(cand, sizeof cand, "%s/%s", dir, subs[k]);
                if (stat(cand, &st) == 0 && S_ISDIR(st.st_mode))
                    str_copy(found, sizeof found, cand);
            }
            char *slash = strrchr(dir, '/');
            if (!slash || slash == dir)
                break;
            *slash = '\0';
        }
    if (found[0] && name[0] != '.') {
        snprintf(buf, len, "%s/%s", found, name);
        if (regular_file(buf))
            return 0;
    }
    /* Unknown: name the ones there are. */
    char names[1024] = "";
    if (found[0])
        list_dir(found, names, sizeof names);
    names[strlen(names) > 1 ? strlen(names) - 2 : 0] = '\0';
    snprintf(err, errlen, "unknown profile '%s'; profiles%s%s: %s (or give a file's path)",
             name, found[0] ? " in " : "", found, names[0] ? names : "none found");
    return -ENOENT;
}

int profile_load(const char *name, unsigned cores, struct profile *p, char *err, size_t errlen)
{
    char path[PATH_MAX], *text = NULL;
    memset(p, 0, sizeof *p);
    if (profile_find(name, path, sizeof path, err, errlen) < 0)
        return -EINVAL;
    int e = text_slurp(path, 1 << 20, &text, NULL);
    if (e < 0) {
        snprintf(err, errlen, "cannot read profile %s: %s", path, strerror(-e));
        return -EINVAL;
    }
    e = profile_parse(text, path, cores, p, err, errlen);
    free(text);
    return e;
}

