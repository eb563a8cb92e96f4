/* fuzz_http_parse.c — libFuzzer target for the HTTP request parser (workloads/http_parse.c).
 *
 * Build and run: make fuzz-server FUZZ_SECONDS=N (clang, -fsanitize=fuzzer,address,undefined).
 * Besides memory errors it checks the parser's own promises and aborts when one is broken:
 * the same result whichever way the input is split into reads, fields inside the head, the head
 * within HTTP_HEAD_MAX, errors with a known status, and pipelined requests parsed one after
 * another. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/http_parse.h"

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "fuzz_http_parse: broken promise: %s (line %d)\n", #cond, \
                    __LINE__);                                                     \
            abort();                                                               \
        }                                                                          \
    } while (0)

/* Parse buf[0..len) fed in reads whose sizes come from `seed`. */
static int parse_split(struct http_parser *p, const char *buf, size_t len, uint32_t seed)
{
    size_t have = 0;
    int r = HTTP_PARSE_MORE;
    http_parse_init(p);
    while (r == HTTP_PARSE_MORE && have < len) {
        seed = seed * 1103515245u + 12345u;
        size_t step = 1 + (seed >> 16) % 64;
        have = have + step < len ? have + step : len;
        r = http_parse(p, buf, have);
    }
    return r;
}

static void check_same(const struct http_parser *a, int ra, const struct http_parser *b, int rb)
{
    CHECK(ra == rb);
    if (ra == HTTP_PARSE_ERROR)
        CHECK(a->error_status == b->error_status);
    if (ra != HTTP_PARSE_DONE)
        return;
    CHECK(a->head_len == b->head_len);
    CHECK(a->method == b->method && a->method_off == b->method_off);
    CHECK(a->path_off == b->path_off && a->path_len == b->path_len);
    CHECK(a->query_off == b->query_off && a->query_len == b->query_len);
    CHECK(a->keep_alive == b->keep_alive && a->version_minor == b->version_minor);
    CHECK(a->content_length == b->content_length);
}

static void check_request(const struct http_parser *p, int r, const char *buf, size_t len)
{
    if (r == HTTP_PARSE_ERROR) {
        int s = p->error_status;
        CHECK(s == 400 || s == 431 || s == 501 || s == 505);
        CHECK(p->error_reason != NULL);
        return;
    }
    if (r == HTTP_PARSE_MORE) {
        CHECK(len < HTTP_HEAD_MAX);
        return;
    }
    CHECK(r == HTTP_PARSE_DONE);
    CHECK(p->head_len > 0 && p->head_len <= len && p->head_len <= HTTP_HEAD_MAX);
    CHECK(buf[p->head_len - 1] == '\n');
    CHECK(p->method_len > 0 && p->method_off + p->method_len < p->head_len);
    CHECK(p->path_off + p->path_len < p->head_len);
    CHECK(p->query_off + p->query_len < p->head_len);
    CHECK(p->version_minor == 0 || p->version_minor == 1);
    for (size_t k = 0; k < p->path_len; k++) {
        unsigned char c = (unsigned char)buf[p->path_off + k];
        CHECK(c > 0x20 && c < 0x7f && c != '?');
    }
    /* The query helpers stay inside the query. */
    const char *q = buf + p->query_off, *v;
    size_t vn;
    uint64_t x;
    if (http_query_get(q, p->query_len, "sleep", &v, &vn))
        CHECK(v >= q && v + vn <= q + p->query_len);
    int qr = http_query_uint(q, p->query_len, "after", 1u << 30, &x);
    CHECK(qr >= -1 && qr <= 1);
    if (qr == 1)
        CHECK(x <= 1u << 30);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct http_parser whole, split, bytewise;
    uint32_t seed = 0;
    for (size_t k = 0; k < size && k < 16; k++)
        seed = seed * 31 + data[k];

    int rw = (http_parse_init(&whole), http_parse(&whole, buf, size));
    check_request(&whole, rw, buf, size);
    /* Once finished, the answer does not change. */
    if (rw != HTTP_PARSE_MORE)
        CHECK(http_parse(&whole, buf, size) == rw);

    int rs = parse_split(&split, buf, size, seed);
    check_same(&whole, rw, &split, rs);

    if (size <= 2048) {
        int rb = HTTP_PARSE_MORE;
        http_parse_init(&bytewise);
        for (size_t k = 1; k <= size && rb == HTTP_PARSE_MORE; k++)
            rb = http_parse(&bytewise, buf, k);
        check_same(&whole, rw, &bytewise, rb);
    }

    /* Pipelined: the requests after the first, as a server would take them. */
    size_t at = rw == HTTP_PARSE_DONE ? whole.head_len : size;
    for (int n = 0; n < 64 && at < size; n++) {
        struct http_parser p;
        http_parse_init(&p);
        int r = http_parse(&p, buf + at, size - at);
        check_request(&p, r, buf + at, size - at);
        if (r != HTTP_PARSE_DONE)
            break;
        at += p.head_len;
    }
    return 0;
}
