/* fuzz_urls.c — libFuzzer target for the --urls list reader (workloads/urls.c).
 *
 * Build and run: make fuzz-urls FUZZ_SECONDS=N (clang, -fsanitize=fuzzer,address,undefined).
 * Besides memory errors it checks the reader's promises and aborts when one is broken: every URL
 * handed over is 1..URLS_MAX_LEN bytes inside the input, without NUL, newline, surrounding blanks
 * or a leading '#'; the count returned is the count handed over; an error comes with a message
 * naming the list and a line; a stop asked by the callback is obeyed at once. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/urls.h"

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "fuzz_urls: broken promise: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                     \
        }                                                                                \
    } while (0)

struct fuzz_urls_state {
    const uint8_t *data;
    size_t size;
    int seen;
    int stop_at;        /* the callback fails on this URL (-1: never) */
    int stop_err;
    int calls_after_stop;
};

static int fuzz_urls_add(void *arg, const char *url, size_t len)
{
    struct fuzz_urls_state *s = arg;
    if (s->stop_at >= 0 && s->seen > s->stop_at)
        s->calls_after_stop++;
    CHECK(len >= 1 && len <= URLS_MAX_LEN);
    CHECK(memchr(url, '\0', len) == NULL);
    CHECK(memchr(url, '\n', len) == NULL);
    CHECK(!isspace((unsigned char)url[0]) && !isspace((unsigned char)url[len - 1]));
    CHECK(url[0] != '#');
    /* The URL's bytes appear in the input (a line of it, trimmed). */
    CHECK(memmem(s->data, s->size, url, len) != NULL);
    if (s->seen++ == s->stop_at)
        return s->stop_err;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char empty[1];
    char err[512];
    /* A first byte below 8 picks a stop for the callback and is not part of the list. */
    int stop_at = -1, stop_err = 0;
    if (size > 0 && data[0] < 8) {
        stop_at = data[0];
        stop_err = data[0] & 1 ? -E2BIG : -ENOMEM;
        data++;
        size--;
    }
    struct fuzz_urls_state s = { data, size, 0, stop_at, stop_err, 0 };
    /* fmemopen wants a size > 0: an empty list is a one-byte buffer whose byte is consumed. */
    FILE *f = size ? fmemopen((void *)data, size, "r") : fmemopen(empty, 1, "r");
    if (!f)
        return 0;
    if (size == 0)
        fgetc(f);
    err[0] = '\0';
    int r = urls_read(f, "fuzz.txt", fuzz_urls_add, &s, err, sizeof err);
    fclose(f);
    CHECK(s.calls_after_stop == 0);
    if (r >= 0) {
        CHECK(r == s.seen);
        CHECK(r <= URLS_MAX_COUNT);
    } else {
        CHECK(strncmp(err, "fuzz.txt:", 9) == 0);
        CHECK(r == -EINVAL || r == stop_err);
    }
    return 0;
}
