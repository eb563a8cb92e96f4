/* text.h — small text helpers the harness and the gate share: bounded string copies, whole-file
 * reads, and numbers formatted for people. */
#ifndef CONCBENCH_TEXT_H
#define CONCBENCH_TEXT_H

#include <stddef.h>

/* strlcpy: src (NULL = "") into dst[len], truncated, always terminated. */
void str_copy(char *dst, size_t len, const char *src);
/* Append printf-style to the string in buf[len], truncated, always terminated. */
void str_append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Read a whole file into a malloc'ed NUL-terminated buffer (*len without the NUL; len may be
 * NULL). Refuses files over `max` bytes (0: 1 GiB) with -EFBIG. Returns 0 or -errno. */
int text_slurp(const char *path, size_t max, char **text, size_t *len);

/* "1.23 s", "45 ms", "3.4 ms", "120 µs" — a duration a reader takes in at a glance; "?" for
 * NaN. */
const char *fmt_time(double s, char *buf, size_t len);
/* 10000 -> "10,000". */
const char *fmt_count(unsigned long long n, char *buf, size_t len);

#endif
