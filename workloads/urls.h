/* urls.h — the --urls list reader of the http workload: one URL a line, every read bounded. */
#ifndef CONCBENCH_URLS_H
#define CONCBENCH_URLS_H

#include <stddef.h>
#include <stdio.h>

#define URLS_MAX_COUNT 100000   /* URLs in one list */
#define URLS_MAX_LEN 4096       /* characters in one line, newline excluded */

/* Called once per URL, in file order, with the trimmed URL (not NUL-terminated, 1..URLS_MAX_LEN
 * bytes, no NUL, no newline, no surrounding blanks, not starting with '#'). Returns 0, or a
 * negative errno that stops the read (-E2BIG reads as "too many URLs"). */
typedef int (*urls_add_fn)(void *arg, const char *url, size_t len);

/* Reads a URL list from `f` (its name `name` is used in messages): one URL a line, blank lines
 * and lines starting with '#' skipped, blanks around each URL trimmed, "\r\n" accepted. Every
 * line is bounded by URLS_MAX_LEN and the count by URLS_MAX_COUNT; a NUL byte is an error.
 * Returns the number of URLs passed to `add` (0 is not an error here), or -EINVAL with a message
 * "name:line: ..." in err (a line too long, a NUL byte, too many URLs, a read error), or the
 * negative errno `add` returned (message in err). Blocks only on reading `f`; any thread. */
int urls_read(FILE *f, const char *name, urls_add_fn add, void *arg, char *err, size_t errlen);

#endif
