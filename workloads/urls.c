/* urls.c — the --urls list reader: a bounded line reader over a FILE, no allocation. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "workloads/urls.h"

/* Reads one line (without its '\n') into line[URLS_MAX_LEN + 1]. Returns its length, -1 at end
 * of input with nothing read, -E2BIG when longer than URLS_MAX_LEN (the rest of the line is
 * not read), -EILSEQ on a NUL byte, -EIO on a read error. */
static long urls_getline(FILE *f, char *line)
{
    size_t n = 0;
    int ch;

    while ((ch = getc(f)) != EOF) {
        if (ch == '\n')
            return (long)n;
        if (ch == '\0')
            return -EILSEQ;
        if (n == URLS_MAX_LEN)
            return -E2BIG;
        line[n++] = (char)ch;
    }
    if (ferror(f))
        return -EIO;
    return n ? (long)n : -1;
}

int urls_read(FILE *f, const char *name, urls_add_fn add, void *arg, char *err, size_t errlen)
{
    char line[URLS_MAX_LEN + 1];
    unsigned lineno = 0;
    int count = 0;
    long len;

    while ((len = urls_getline(f, line)) != -1) {
        lineno++;
        if (len < 0) {
            if (len == -E2BIG)
                snprintf(err, errlen, "%s:%u: line longer than %d characters", name, lineno,
                         URLS_MAX_LEN);
            else if (len == -EILSEQ)
                snprintf(err, errlen, "%s:%u: NUL byte in the line", name, lineno);
            else
                snprintf(err, errlen, "%s:%u: read error", name, lineno);
            return -EINVAL;
        }
        const char *s = line, *e = line + len;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (s == e || *s == '#')
            continue;
        if (count == URLS_MAX_COUNT) {
            snprintf(err, errlen, "%s:%u: too many URLs (at most %d)", name, lineno,
                     URLS_MAX_COUNT);
            return -EINVAL;
        }
        int r = add(arg, s, (size_t)(e - s));
        if (r < 0) {
            snprintf(err, errlen, "%s:%u: %s", name, lineno,
                     r == -E2BIG ? "too many URLs" : strerror(-r));
            return r == -E2BIG ? -EINVAL : r;
        }
        count++;
    }
    return count;
}
