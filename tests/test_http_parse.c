/* test_http_parse.c — the HTTP request parser: split reads at every byte boundary, pipelining,
 * malformed request lines, oversize heads, keep-alive rules, query parsing, and the replay of
 * every fuzzer regression input in tests/fuzz/http_parse_regress/. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"
#include "workloads/http_parse.h"

#define H11 "Host: x\r\n"

/* The parser run once over the whole input. */
static int parse_all(struct http_parser *p, const char *buf, size_t len)
{
    http_parse_init(p);
    return http_parse(p, buf, len);
}

/* Same outcome and same fields. */
static void assert_same(const struct http_parser *a, int ra, const struct http_parser *b, int rb,
                        const char *what, size_t at)
{
    if (ra != rb)
        fail_msg("%s split at %zu: result %d, whole %d", what, at, rb, ra);
    if (ra == HTTP_PARSE_ERROR && a->error_status != b->error_status)
        fail_msg("%s split at %zu: status %d, whole %d", what, at, b->error_status,
                 a->error_status);
    if (ra != HTTP_PARSE_DONE)
        return;
    if (a->head_len != b->head_len || a->method != b->method || a->path_off != b->path_off ||
        a->path_len != b->path_len || a->query_off != b->query_off ||
        a->query_len != b->query_len || a->keep_alive != b->keep_alive ||
        a->version_minor != b->version_minor || a->content_length != b->content_length)
        fail_msg("%s split at %zu: fields differ", what, at);
}

/* Feed the input in two pieces at every boundary and one byte at a time; every way must agree
 * with the parse of the whole. Returns the whole's result; *out gets its parser. */
static int parse_every_split(const char *buf, size_t len, struct http_parser *out)
{
    struct http_parser whole, p;
    int rw = parse_all(&whole, buf, len);

    for (size_t k = 0; k <= len; k++) {
        http_parse_init(&p);
        int r = http_parse(&p, buf, k);
        if (r == HTTP_PARSE_MORE)
            r = http_parse(&p, buf, len);
        else if (r == HTTP_PARSE_DONE && rw != HTTP_PARSE_DONE)
            fail_msg("'%.40s': done after %zu bytes, whole says %d", buf, k, rw);
        assert_same(&whole, rw, &p, r, "two pieces", k);
    }
    http_parse_init(&p);
    int r = HTTP_PARSE_MORE;
    for (size_t k = 1; k <= len && r == HTTP_PARSE_MORE; k++)
        r = http_parse(&p, buf, k);
    assert_same(&whole, rw, &p, r, "byte at a time", len);
    if (out)
        *out = whole;
    return rw;
}

static bool field_is(const char *buf, size_t off, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(buf + off, want, len) == 0;
}

static void test_simple_get(void **state)
{
    (void)state;
    const char *req = "GET /status/200?sleep=50 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "User-Agent: t\r\n\r\n";
    struct http_parser p;
    assert_int_equal(parse_every_split(req, strlen(req), &p), HTTP_PARSE_DONE);
    assert_int_equal(p.method, HTTP_METHOD_GET);
    assert_true(field_is(req, p.method_off, p.method_len, "GET"));
    assert_true(field_is(req, p.path_off, p.path_len, "/status/200"));
    assert_true(field_is(req, p.query_off, p.query_len, "sleep=50"));
    assert_int_equal(p.version_minor, 1);
    assert_true(p.keep_alive);
    assert_int_equal(p.head_len, strlen(req));
    assert_int_equal(p.content_length, 0);
}

static void test_split_every_boundary(void **state)
{
    (void)state;
    const char *reqs[] = {
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /bytes/100?chunked=1&sleep=3 HTTP/1.1\nHost: a\nConnection: close\n\n",
        "\r\n\r\nHEAD /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\nhello world!",
        "GET http://example/stall?after=5 HTTP/1.1\r\n" H11 "X: \t spaced \t \r\n\r\n",
        "GET /a b HTTP/1.1\r\n\r\n",                            /* 400 */
        "GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",              /* 400 */
        "GET / HTTP/2.0\r\n\r\n",                               /* 505 */
        "GET / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n", /* 501 */
        "\x01GET / HTTP/1.1\r\n",                               /* 400 early */
        "GET / HTTP/1.1\r\nHost: a\r\n",                        /* incomplete */
    };
    int want[] = { 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, 0 };
    int status[] = { 0, 0, 0, 0, 0, 400, 400, 505, 501, 400, 0 };
    for (size_t k = 0; k < sizeof reqs / sizeof reqs[0]; k++) {
        struct http_parser p;
        int r = parse_every_split(reqs[k], strlen(reqs[k]), &p);
        if (r != want[k] || (r == HTTP_PARSE_ERROR && p.error_status != status[k]))
            fail_msg("request %zu: result %d status %d, want %d %d", k, r, p.error_status,
                     want[k], status[k]);
    }
}

static void test_pipelined(void **state)
{
    (void)state;
    const char *buf = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
                      "GET /two?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"
                      "HEAD /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                      "GET /fo";
    const char *paths[] = { "/one", "/two", "/three" };
    size_t len = strlen(buf), at = 0;
    for (int k = 0; k < 3; k++) {
        struct http_parser p;
        assert_int_equal(parse_all(&p, buf + at, len - at), HTTP_PARSE_DONE);
        assert_true(field_is(buf + at, p.path_off, p.path_len, paths[k]));
        assert_int_equal(p.keep_alive, k < 2);
        at += p.head_len;
    }
    struct http_parser p;
    assert_int_equal(parse_all(&p, buf + at, len - at), HTTP_PARSE_MORE);
    assert_string_equal(buf + at, "GET /fo");
}

static void test_malformed_request_lines(void **state)
{
    (void)state;
    const char *bad[] = {
        "GET\r\n\r\n", "GET /\r\n\r\n", " GET / HTTP/1.1\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n", "GET / http/1.1\r\n\r\n", "GET / HTTP/1\r\n\r\n",
        "GET / HTTP/1.10\r\n\r\n", "GET noslash HTTP/1.1\r\n\r\n", "G(T / HTTP/1.1\r\n\r\n",
        "GET /\x7f HTTP/1.1\r\n\r\n", "GET /a#frag HTTP/1.1\r\n\r\n", "GET http:// HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\rX\r\n\r\n", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        "GET / HTTP/1.1\r\n" H11 "Host: b\r\n\r\n", "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\n" H11 " folded\r\n\r\n", "GET / HTTP/1.1\r\n" H11 "NoColon\r\n\r\n",
        "GET / HTTP/1.1\r\n" H11 ": empty name\r\n\r\n",
        "GET / HTTP/1.1\r\n" H11 "X: a\x01b\r\n\r\n",
        "GET / HTTP/1.1\r\n" H11 "Content-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\n" H11 "Content-Length: 1, 1\r\n\r\n",
        "GET / HTTP/1.1\r\n" H11 "Content-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\n" H11 "Content-Length: 99999999999999999999999\r\n\r\n",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct http_parser p;
        int r = parse_every_split(bad[k], strlen(bad[k]), &p);
        if (r != HTTP_PARSE_ERROR || p.error_status != 400)
            fail_msg("bad request %zu ('%.30s') gave %d/%d, want a 400", k, bad[k], r,
                     p.error_status);
        assert_non_null(p.error_reason);
    }
    /* Garbage is refused before its line ends. */
    struct http_parser p;
    assert_int_equal(parse_all(&p, "\x16\x03\x01", 3), HTTP_PARSE_ERROR);
    assert_int_equal(parse_all(&p, "GET /\x01", 6), HTTP_PARSE_ERROR);
}

/* A request whose head is exactly `size` bytes long (size >= 64). */
static char *head_of_size(size_t size)
{
    const char *start = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ";
    char *b = malloc(size + 1);
    assert_non_null(b);
    size_t n = strlen(start);
    memcpy(b, start, n);
    memset(b + n, 'p', size - n - 4);
    memcpy(b + size - 4, "\r\n\r\n", 4);
    b[size] = '\0';
    return b;
}

static void test_oversize(void **state)
{
    (void)state;
    struct http_parser p;
    char *b = head_of_size(HTTP_HEAD_MAX);
    assert_int_equal(parse_all(&p, b, HTTP_HEAD_MAX), HTTP_PARSE_DONE);
    assert_int_equal(p.head_len, HTTP_HEAD_MAX);
    free(b);
    b = head_of_size(HTTP_HEAD_MAX + 1);
    assert_int_equal(parse_every_split(b, HTTP_HEAD_MAX + 1, &p), HTTP_PARSE_ERROR);
    assert_int_equal(p.error_status, 431);
    free(b);
    /* Many small headers add up. */
    size_t cap = 20000, len = 0;
    b = malloc(cap);
    len += (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int k = 0; len < 9000; k++)
        len += (size_t)sprintf(b + len, "H%d: v\r\n", k);
    len += (size_t)sprintf(b + len, "\r\n");
    assert_int_equal(parse_all(&p, b, len), HTTP_PARSE_ERROR);
    assert_int_equal(p.error_status, 431);
    /* A request line that never ends: 431 at the limit, not before. */
    memset(b, 'a', cap);
    memcpy(b, "GET /", 5);
    assert_int_equal(parse_all(&p, b, HTTP_HEAD_MAX - 1), HTTP_PARSE_MORE);
    assert_int_equal(http_parse(&p, b, HTTP_HEAD_MAX), HTTP_PARSE_ERROR);
    assert_int_equal(p.error_status, 431);
    free(b);
}

static void test_keep_alive_rules(void **state)
{
    (void)state;
    struct {
        const char *req;
        bool keep;
    } cases[] = {
        { "GET / HTTP/1.1\r\nHost: a\r\n\r\n", true },
        { "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false },
        { "GET / HTTP/1.1\r\nHost: a\r\nconnection: Upgrade, CLOSE\r\n\r\n", false },
        { "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true },
        { "GET / HTTP/1.0\r\n\r\n", false },
        { "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true },
        { "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false },
        { "GET / HTTP/1.1\r\nHost: a\r\nX-Connection: close\r\n\r\n", true },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct http_parser p;
        assert_int_equal(parse_every_split(cases[k].req, strlen(cases[k].req), &p),
                         HTTP_PARSE_DONE);
        if (p.keep_alive != cases[k].keep)
            fail_msg("case %zu: keep_alive %d", k, p.keep_alive);
    }
}

static void test_targets_and_lengths(void **state)
{
    (void)state;
    struct http_parser p;
    const char *r = "GET HTTP://host:80/bytes/5?sleep=1 HTTP/1.1\r\nHost: host\r\n\r\n";
    assert_int_equal(parse_all(&p, r, strlen(r)), HTTP_PARSE_DONE);
    assert_true(field_is(r, p.path_off, p.path_len, "/bytes/5"));
    assert_true(field_is(r, p.query_off, p.query_len, "sleep=1"));
    r = "GET http://host?x=1 HTTP/1.1\r\nHost: host\r\n\r\n";
    assert_int_equal(parse_all(&p, r, strlen(r)), HTTP_PARSE_DONE);
    assert_int_equal(p.path_len, 0);
    assert_true(field_is(r, p.query_off, p.query_len, "x=1"));
    r = "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n";
    assert_int_equal(parse_all(&p, r, strlen(r)), HTTP_PARSE_DONE);
    assert_int_equal(p.method, HTTP_METHOD_OTHER);
    assert_true(field_is(r, p.method_off, p.method_len, "OPTIONS"));
    r = "GET /x? HTTP/1.1\r\nHost: h\r\nContent-Length: 0042\r\ncontent-length: 42\r\n\r\n";
    assert_int_equal(parse_all(&p, r, strlen(r)), HTTP_PARSE_DONE);
    assert_int_equal(p.query_len, 0);
    assert_int_equal(p.content_length, 42);
    assert_true(field_is(r, p.path_off, p.path_len, "/x"));
    /* Once finished, the parser keeps its answer. */
    assert_int_equal(http_parse(&p, r, strlen(r)), HTTP_PARSE_DONE);
    assert_int_equal(parse_all(&p, "GET / HTTP/3.0\r\n", 16), HTTP_PARSE_ERROR);
    assert_int_equal(http_parse(&p, "GET / HTTP/1.1\r\n", 16), HTTP_PARSE_ERROR);
}

static void test_query(void **state)
{
    (void)state;
    const char *q = "sleep=50&after=7&chunked=1&flag&sleep2=9&empty=&big=99999999999999999999";
    size_t n = strlen(q);
    uint64_t v = 123;
    const char *val;
    size_t vn;
    assert_int_equal(http_query_uint(q, n, "sleep", 1000, &v), 1);
    assert_int_equal(v, 50);
    assert_int_equal(http_query_uint(q, n, "after", 1000, &v), 1);
    assert_int_equal(v, 7);
    assert_int_equal(http_query_uint(q, n, "chunked", 1, &v), 1);
    assert_int_equal(v, 1);
    assert_int_equal(http_query_uint(q, n, "sleep", 49, &v), -1);
    assert_int_equal(http_query_uint(q, n, "missing", 10, &v), 0);
    assert_int_equal(http_query_uint(q, n, "slee", 10, &v), 0);
    assert_int_equal(http_query_uint(q, n, "flag", 10, &v), -1);
    assert_int_equal(http_query_uint(q, n, "empty", 10, &v), -1);
    assert_int_equal(http_query_uint(q, n, "big", UINT64_MAX, &v), -1);
    assert_true(http_query_get(q, n, "flag", &val, &vn));
    assert_int_equal(vn, 0);
    assert_true(http_query_get("a=1&a=2", 7, "a", &val, &vn));
    assert_int_equal(vn, 1);
    assert_int_equal(val[0], '2');
    assert_false(http_query_get("", 0, "a", &val, &vn));
    assert_true(http_query_get("&&a=3&", 6, "a", &val, &vn));
    assert_int_equal(val[0], '3');
    /* The value ends at qlen even when the bytes go on. */
    assert_int_equal(http_query_uint("after=12345", 8, "after", 1000000, &v), 1);
    assert_int_equal(v, 12);
    assert_true(http_parse_uint("18446744073709551615", 20, UINT64_MAX, &v));
    assert_false(http_parse_uint("18446744073709551616", 20, UINT64_MAX, &v));
    assert_false(http_parse_uint("5", 1, 4, &v));
    assert_true(http_parse_uint("0", 1, 0, &v));
}

/* Where the regression inputs live: tests/fuzz/http_parse_regress beside this file. */
static void regress_dir(char *out, size_t len)
{
    const char *env = getenv("HTTP_PARSE_REGRESS");
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return;
    }
    cb_fuzz_dir("http_parse_regress", out, len);
}

/* Every input the fuzzer ever crashed on (and every seed) parses the same whichever way it is
 * split, without crashing, and the fields it reports lie inside the input. */
static void test_regress_replay(void **state)
{
    (void)state;
    char dir[4096];
    regress_dir(dir, sizeof dir);
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("regression folder %s is missing", dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d))) {
        char path[8192];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static char buf[65536];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        struct http_parser p;
        int r = parse_every_split(buf, n, &p);
        if (r == HTTP_PARSE_DONE) {
            assert_true(p.head_len <= n && p.head_len <= HTTP_HEAD_MAX);
            assert_true(p.path_off + p.path_len <= p.head_len);
            assert_true(p.query_off + p.query_len <= p.head_len);
            assert_true(p.method_off + p.method_len <= p.head_len);
        } else if (r == HTTP_PARSE_ERROR) {
            assert_true(p.error_status >= 400 && p.error_status <= 505);
        }
        files++;
    }
    closedir(d);
    if (files < 5)
        fail_msg("only %d regression inputs in %s; the seeds belong there too", files, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_split_every_boundary),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_malformed_request_lines),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_keep_alive_rules),
        cmocka_unit_test(test_targets_and_lengths),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_regress_replay),
    };
    return cmocka_run_group_tests_name("http_parse", tests, NULL, NULL);
}
