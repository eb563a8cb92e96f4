/* text.c — bounded strings, whole-file reads, durations and counts for people. */
#include "harness/text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* strlcpy: src (NULL = "") into dst[len], truncated, always terminated. */
void str_copy(char *dst, size_t len, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (len == 0)
        return;
    if (n >= len)
        n = len - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

void str_append(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

int text_slurp(const char *path, size_t max, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    if (!max)
        max = (size_t)1 << 30;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n + 1 < cap)
            break;
        if (n > max) {
            free(buf);
            fclose(f);
            return -EFBIG;
        }
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
    }
    int rc = ferror(f) ? -EIO : 0;
    fclose(f);
    if (!buf)
        return -ENOMEM;
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    if (len)
        *len = n;
    return 0;
}

/* "1.23 s", "45 ms", "3.4 ms", "120 µs" — a duration a reader takes in at a glance. */
const char *fmt_time(double s, char *buf, size_t len)
{
    if (s < 0 && len > 1) {
        buf[0] = '-';
        fmt_time(-s, buf + 1, len - 1);
        return buf;
    }
    if (!isfinite(s))
        snprintf(buf, len, "?");
    else if (s >= 100)
        snprintf(buf, len, "%.0f s", s);
    else if (s >= 1)
        snprintf(buf, len, "%.2f s", s);
    else if (s >= 0.01)
        snprintf(buf, len, "%.0f ms", s * 1e3);
    else if (s >= 0.001)
        snprintf(buf, len, "%.1f ms", s * 1e3);
    else if (s >= 1e-5)
        snprintf(buf, len, "%.0f µs", s * 1e6);
    else
        snprintf(buf, len, "%.2f µs", s * 1e6);
    return buf;
}

/* 10000 -> "10,000". */
const char *fmt_count(unsigned long long n, char *buf, size_t len)
{
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%llu", n);
    size_t o = 0;
    for (int i = 0; i < nd && o + 2 < len; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}
