/* test_server.c — the embedded HTTP server over real loopback sockets: `concbench serve` started
 * by the test (port 0), and server_spawn/server_stop. Routes, delays, deterministic bytes,
 * /stall and /close, keep-alive and pipelining, 400/431, idle timeout, binding rules, SIGTERM. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/clock.h"
#include "tests/helpers.h"
#include "workloads/server.h"

/* ---- the server under test ---- */

struct srv {
    pid_t pid;
    int port;
    int err_fd;             /* its stderr */
    char url[128];
};

/* When set, the descriptor limits the next srv_start gives the server. */
static const struct rlimit *srv_nofile;

/* Start `concbench serve ARGS...` and wait for its URL line. */
static void srv_start_v(struct srv *s, const char *const *args)
{
    int po[2], pe[2];
    char *argv[16];
    int n = 0;
    argv[n++] = (char *)cb_path();
    argv[n++] = "serve";
    while (*args && n < 15)
        argv[n++] = (char *)*args++;
    argv[n] = NULL;
    assert_int_equal(pipe2(po, O_CLOEXEC), 0);
    assert_int_equal(pipe2(pe, O_CLOEXEC), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        if (srv_nofile && setrlimit(RLIMIT_NOFILE, srv_nofile) != 0)
            _exit(126);
        execv(cb_path(), argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    s->err_fd = pe[0];
    size_t len = 0;
    double until = clock_now() + 10;
    while (len < sizeof s->url - 1 && !memchr(s->url, '\n', len)) {
        struct pollfd pf = { po[0], POLLIN, 0 };
        int left = (int)((until - clock_now()) * 1000);
        if (left <= 0 || poll(&pf, 1, left) <= 0)
            fail_msg("serve printed no URL within 10 s");
        ssize_t r = read(po[0], s->url + len, sizeof s->url - 1 - len);
        if (r <= 0)
            fail_msg("serve exited before printing its URL");
        len += (size_t)r;
        s->url[len] = '\0';
    }
    close(po[0]);
    char *colon = strrchr(s->url, ':');
    assert_non_null(colon);
    s->port = atoi(colon + 1);
    assert_true(s->port > 0 && s->port < 65536);
}
#define srv_start(s, ...) srv_start_v(s, (const char *const[]){ __VA_ARGS__, NULL })

/* Send sig and return the exit code (128 + signal when killed). */
static int srv_stop(struct srv *s, int sig)
{
    int st;
    kill(s->pid, sig);
    double until = clock_now() + 10;
    pid_t r;
    while ((r = waitpid(s->pid, &st, WNOHANG)) == 0 && clock_now() < until)
        usleep(2000);
    if (r == 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &st, 0);
        fail_msg("serve did not exit within 10 s of signal %d", sig);
    }
    close(s->err_fd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static struct srv the_srv;

static int setup_srv(void **state)
{
    (void)state;
    srv_start(&the_srv, "--port", "0", "--idle-timeout-ms", "10000");
    return 0;
}

static int teardown_srv(void **state)
{
    (void)state;
    int rc = srv_stop(&the_srv, SIGTERM);
    if (rc != 0)
        fail_msg("serve exited %d on SIGTERM", rc);
    return 0;
}

/* ---- a small blocking client ---- */

struct cli {
    int fd;
    char buf[1 << 16];
    size_t len;
};

static void cli_connect_addr(struct cli *c, int family, const char *addr, int port)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        assert_int_equal(inet_pton(AF_INET, addr, &a->sin_addr), 1);
        sl = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        assert_int_equal(inet_pton(AF_INET6, addr, &a->sin6_addr), 1);
        sl = sizeof *a;
    }
    c->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c->fd >= 0);
    struct timeval tv = { 10, 0 };      /* a hung server fails the test instead of hanging it */
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(c->fd, (struct sockaddr *)&ss, sl) != 0)
        fail_msg("connect to %s port %d: %s", addr, port, strerror(errno));
    c->len = 0;
}

static struct cli *cli_new(int port)
{
    struct cli *c = malloc(sizeof *c);
    assert_non_null(c);
    cli_connect_addr(c, AF_INET, "127.0.0.1", port);
    return c;
}

static void cli_free(struct cli *c)
{
    close(c->fd);
    free(c);
}

static void cli_send(struct cli *c, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, data, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            fail_msg("send: %s", strerror(errno));
        data += w;
        n -= (size_t)w;
    }
}

static void cli_sends(struct cli *c, const char *s)
{
    cli_send(c, s, strlen(s));
}

/* Read more into the buffer. Returns bytes read, 0 at EOF, -1 on error or timeout. */
static ssize_t cli_fill(struct cli *c)
{
    if (c->len == sizeof c->buf)
        fail_msg("response larger than the test buffer");
    ssize_t r;
    while ((r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0)) < 0 && errno == EINTR)
        ;
    if (r > 0)
        c->len += (size_t)r;
    return r;
}

static void cli_consume(struct cli *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

struct resp {
    int status;
    char head[4096];
    unsigned char *body;
    size_t body_len;
    bool chunked;
    long long content_length;   /* -1: none */
};

static bool has_header(const struct resp *r, const char *line)
{
    return strcasestr(r->head, line) != NULL;
}

/* Read exactly n body bytes (appending to r->body). */
static void cli_read_exact(struct cli *c, struct resp *r, size_t n)
{
    r->body = realloc(r->body, r->body_len + n + 1);
    assert_non_null(r->body);
    while (n > 0) {
        if (c->len == 0 && cli_fill(c) <= 0)
            fail_msg("connection ended %zu bytes short of the body", n);
        size_t k = c->len < n ? c->len : n;
        memcpy(r->body + r->body_len, c->buf, k);
        r->body_len += k;
        cli_consume(c, k);
        n -= k;
    }
}

/* Read the line ending in CRLF at the front of the buffer into line (without the CRLF). */
static void cli_read_line(struct cli *c, char *line, size_t max)
{
    char *e;
    while (!(e = memmem(c->buf, c->len, "\r\n", 2)))
        if (cli_fill(c) <= 0)
            fail_msg("connection ended inside a chunked body");
    size_t n = (size_t)(e - c->buf);
    assert_true(n < max);
    memcpy(line, c->buf, n);
    line[n] = '\0';
    cli_consume(c, n + 2);
}

/* Read one response (a HEAD response when head_only). Fails the test on EOF or a timeout. */
static void cli_response(struct cli *c, struct resp *r, bool head_only)
{
    char *end;
    memset(r, 0, sizeof *r);
    r->content_length = -1;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
        if (cli_fill(c) <= 0)
            fail_msg("connection ended (or timed out) before a response head");
    size_t hl = (size_t)(end - c->buf) + 4;
    assert_true(hl < sizeof r->head);
    memcpy(r->head, c->buf, hl);
    r->head[hl] = '\0';
    cli_consume(c, hl);
    if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1)
        fail_msg("bad status line: %.60s", r->head);
    char *cl = strcasestr(r->head, "\r\nContent-Length: ");
    if (cl)
        r->content_length = atoll(cl + 18);
    r->chunked = has_header(r, "\r\nTransfer-Encoding: chunked\r\n");
    r->body = malloc(1);
    if (head_only || r->status == 204 || r->status == 304)
        return;
    if (r->chunked) {
        char line[64];
        for (;;) {
            cli_read_line(c, line, sizeof line);
            size_t n = strtoul(line, NULL, 16);
            if (n == 0) {
                cli_read_line(c, line, sizeof line);
                assert_string_equal(line, "");
                return;
            }
            cli_read_exact(c, r, n);
            cli_read_line(c, line, sizeof line);
            assert_string_equal(line, "");
        }
    }
    assert_true(r->content_length >= 0);
    cli_read_exact(c, r, (size_t)r->content_length);
}

/* The peer closed: recv gives EOF (or a reset) with no data, within 10 s. */
static void cli_expect_eof(struct cli *c)
{
    ssize_t r = cli_fill(c);
    if (r > 0)
        fail_msg("expected the connection to close; got %zd more bytes: %.40s", r, c->buf);
    if (r < 0 && errno != ECONNRESET)
        fail_msg("expected the connection to close: %s", strerror(errno));
}

/* Nothing arrives and the connection stays open for `seconds`. */
static void cli_expect_silence(struct cli *c, double seconds)
{
    struct pollfd pf = { c->fd, POLLIN, 0 };
    int pr = poll(&pf, 1, (int)(seconds * 1000));
    if (pr != 0)
        fail_msg("expected silence, got revents %#x", pf.revents);
}

static void resp_free(struct resp *r)
{
    free(r->body);
    r->body = NULL;
}

/* GET path on a new connection; returns the status, fills r. */
static int get(const char *path, struct resp *r)
{
    struct cli *c = cli_new(the_srv.port);
    char req[1024];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
    cli_sends(c, req);
    cli_response(c, r, false);
    cli_free(c);
    return r->status;
}

/* ---- tests against one shared server ---- */

static void test_routes(void **state)
{
    (void)state;
    struct resp r;
    assert_int_equal(get("/status/200", &r), 200);
    assert_int_equal(r.content_length, 0);
    resp_free(&r);
    assert_int_equal(get("/status/503", &r), 503);
    assert_non_null(strstr(r.head, "503 Service Unavailable"));
    resp_free(&r);
    assert_int_equal(get("/status/599", &r), 599);
    resp_free(&r);
    assert_int_equal(get("/status/204", &r), 204);
    resp_free(&r);
    const char *not_found[] = { "/", "/nothing", "/status", "/status/", "/bytes", "/stall/x",
                                "/closed", "/STATUS/200", "/bytes/", "/%2e" };
    for (size_t k = 0; k < sizeof not_found / sizeof not_found[0]; k++) {
        if (get(not_found[k], &r) != 404)
            fail_msg("%s gave %d, want 404", not_found[k], r.status);
        resp_free(&r);
    }
    const char *bad[] = { "/status/abc", "/status/100", "/status/600", "/status/200?sleep=x",
                          "/status/200?sleep=3600001", "/bytes/1073741825", "/bytes/-1",
                          "/bytes/5?chunked=2", "/stall?after=z" };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        if (get(bad[k], &r) != 400)
            fail_msg("%s gave %d, want 400", bad[k], r.status);
        resp_free(&r);
    }
    /* Other methods: 405, and a request body is skipped, so the connection goes on. */
    struct cli *c = cli_new(the_srv.port);
    cli_sends(c, "POST /status/200 HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world"
                 "HEAD /bytes/123 HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET /status/200 HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_response(c, &r, false);
    assert_int_equal(r.status, 405);
    assert_true(has_header(&r, "Allow: GET, HEAD"));
    resp_free(&r);
    cli_response(c, &r, true);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.content_length, 123);
    resp_free(&r);
    cli_response(c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_free(c);
}

static void test_sleep_delay(void **state)
{
    (void)state;
    struct resp r;
    double t0 = clock_now();
    assert_int_equal(get("/status/202?sleep=200", &r), 202);
    double dt = clock_now() - t0;
    resp_free(&r);
    if (dt < 0.200 || dt > 5)
        fail_msg("sleep=200 answered after %.1f ms", dt * 1e3);
    t0 = clock_now();
    assert_int_equal(get("/bytes/10?sleep=150", &r), 200);
    dt = clock_now() - t0;
    assert_int_equal(r.body_len, 10);
    resp_free(&r);
    if (dt < 0.150 || dt > 5)
        fail_msg("bytes sleep=150 answered after %.1f ms", dt * 1e3);

    /* A sleeping request blocks no other: a quick one sent later is answered first. */
    struct cli *slow = cli_new(the_srv.port), *quick = cli_new(the_srv.port);
    cli_sends(slow, "GET /status/201?sleep=1500 HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(50000);
    cli_sends(quick, "GET /status/200 HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_response(quick, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    struct pollfd pf = { slow->fd, POLLIN, 0 };
    assert_int_equal(poll(&pf, 1, 0), 0);       /* still sleeping */
    cli_response(slow, &r, false);
    assert_int_equal(r.status, 201);
    resp_free(&r);
    cli_free(slow);
    cli_free(quick);

    /* Twenty sleeps of 300 ms at once overlap: together far less than 20 x 300 ms. */
    enum { K = 20 };
    struct cli *cs[K];
    t0 = clock_now();
    for (int k = 0; k < K; k++) {
        cs[k] = cli_new(the_srv.port);
        cli_sends(cs[k], "GET /status/200?sleep=300 HTTP/1.1\r\nHost: t\r\n\r\n");
    }
    for (int k = 0; k < K; k++) {
        cli_response(cs[k], &r, false);
        assert_int_equal(r.status, 200);
        resp_free(&r);
        cli_free(cs[k]);
    }
    dt = clock_now() - t0;
    if (dt < 0.300 || dt > 3.0)
        fail_msg("%d overlapping sleeps of 300 ms took %.0f ms", K, dt * 1e3);
}

static void check_bytes(const struct resp *r, size_t n)
{
    unsigned char *want = malloc(n + 1);
    assert_non_null(want);
    server_bytes_fill(0, want, n);
    if (r->body_len != n || memcmp(r->body, want, n) != 0)
        fail_msg("/bytes/%zu: %zu bytes, %s", n, r->body_len,
                 r->body_len == n ? "content differs" : "wrong length");
    uint64_t h = server_checksum_update(SERVER_CHECKSUM_INIT, r->body, r->body_len);
    assert_true(h == server_bytes_checksum(n));
    free(want);
}

static void test_bytes(void **state)
{
    (void)state;
    size_t sizes[] = { 0, 1, 7, 8, 9, 1000, 16384, 16385, 100000, 1 << 20 };
    struct resp r, r2;
    char path[64];
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        snprintf(path, sizeof path, "/bytes/%zu", sizes[k]);
        assert_int_equal(get(path, &r), 200);
        assert_false(r.chunked);
        assert_true(has_header(&r, "Content-Type: application/octet-stream"));
        check_bytes(&r, sizes[k]);
        /* The same N, the same bytes; chunked, the same bytes again. */
        assert_int_equal(get(path, &r2), 200);
        assert_true(r2.body_len == r.body_len && memcmp(r.body, r2.body, r.body_len) == 0);
        resp_free(&r2);
        snprintf(path, sizeof path, "/bytes/%zu?chunked=1", sizes[k]);
        assert_int_equal(get(path, &r2), 200);
        assert_true(r2.chunked);
        assert_int_equal(r2.content_length, -1);
        check_bytes(&r2, sizes[k]);
        resp_free(&r2);
        resp_free(&r);
    }
    /* Not all the same byte, and the fill agrees at any offset. */
    unsigned char a[64], b[64];
    server_bytes_fill(0, a, sizeof a);
    server_bytes_fill(13, b, sizeof b - 13);
    assert_memory_equal(a + 13, b, sizeof b - 13);
    int distinct = 0;
    for (int k = 1; k < 64; k++)
        distinct += a[k] != a[0];
    assert_true(distinct > 40);
    assert_true(server_bytes_checksum(1000) != server_bytes_checksum(999));
    /* HTTP/1.0 gets Content-Length even with chunked=1. */
    struct cli *c = cli_new(the_srv.port);
    cli_sends(c, "GET /bytes/50?chunked=1 HTTP/1.0\r\n\r\n");
    cli_response(c, &r, false);
    assert_false(r.chunked);
    check_bytes(&r, 50);
    resp_free(&r);
    cli_expect_eof(c);
    cli_free(c);
}

static void test_big_body_streams(void **state)
{
    (void)state;
    /* 64 MiB, read slowly at first: the server streams it (bounded buffers) and the content
     * checks out end to end. */
    const size_t n = 64u << 20;
    struct cli *c = cli_new(the_srv.port);
    cli_sends(c, "GET /bytes/67108864 HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(200000);
    char *end;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
        assert_true(cli_fill(c) > 0);
    cli_consume(c, (size_t)(end - c->buf) + 4);
    uint64_t h = SERVER_CHECKSUM_INIT;
    size_t got = 0;
    while (got < n) {
        if (c->len == 0 && cli_fill(c) <= 0)
            fail_msg("ended after %zu of %zu bytes", got, n);
        size_t k = c->len < n - got ? c->len : n - got;
        h = server_checksum_update(h, c->buf, k);
        got += k;
        cli_consume(c, k);
    }
    assert_true(h == server_bytes_checksum(n));
    cli_free(c);
}

static void test_stall_and_close(void **state)
{
    (void)state;
    struct cli *c = cli_new(the_srv.port);
    cli_sends(c, "GET /stall?after=10 HTTP/1.1\r\nHost: t\r\n\r\n");
    char *end;
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
        assert_true(cli_fill(c) > 0);
    assert_non_null(strstr(c->buf, "Content-Length: 11\r\n"));
    cli_consume(c, (size_t)(end - c->buf) + 4);
    while (c->len < 10)
        assert_true(cli_fill(c) > 0);
    assert_int_equal(c->len, 10);
    unsigned char want[10];
    server_bytes_fill(0, want, 10);
    assert_memory_equal(c->buf, want, 10);
    /* Then nothing, and the connection stays open, even when asked for more. */
    cli_sends(c, "GET /status/200 HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_expect_silence(c, 0.5);
    cli_free(c);

    /* /close: no answer at all, just the end of the connection. */
    c = cli_new(the_srv.port);
    cli_sends(c, "GET /close HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_expect_eof(c);
    assert_int_equal(c->len, 0);
    cli_free(c);

    /* Answers pipelined before /close still arrive. */
    struct resp r;
    c = cli_new(the_srv.port);
    cli_sends(c, "GET /status/207 HTTP/1.1\r\nHost: t\r\n\r\nGET /close HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_response(c, &r, false);
    assert_int_equal(r.status, 207);
    resp_free(&r);
    cli_expect_eof(c);
    cli_free(c);
}

static void test_keepalive_pipelining(void **state)
{
    (void)state;
    struct resp r;
    struct cli *c = cli_new(the_srv.port);
    /* Three requests in one write; the first sleeps, yet the answers keep the order. */
    cli_sends(c, "GET /status/201?sleep=200 HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET /bytes/5 HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET /status/202 HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_response(c, &r, false);
    assert_int_equal(r.status, 201);
    resp_free(&r);
    cli_response(c, &r, false);
    assert_int_equal(r.status, 200);
    check_bytes(&r, 5);
    resp_free(&r);
    cli_response(c, &r, false);
    assert_int_equal(r.status, 202);
    resp_free(&r);
    /* Kept alive: more requests on the same connection, one byte per send. */
    const char *req = "GET /status/203 HTTP/1.1\r\nHost: t\r\n\r\n";
    for (int round = 0; round < 3; round++) {
        for (const char *p = req; *p; p++)
            cli_send(c, p, 1);
        cli_response(c, &r, false);
        assert_int_equal(r.status, 203);
        assert_false(has_header(&r, "Connection: close"));
        resp_free(&r);
    }
    /* 100 pipelined requests in one write, answered in order. */
    char *many = malloc(100 * 64);
    size_t len = 0;
    for (int k = 0; k < 100; k++)
        len += (size_t)sprintf(many + len, "GET /status/%d HTTP/1.1\r\nHost: t\r\n\r\n", 200 + k);
    cli_send(c, many, len);
    free(many);
    for (int k = 0; k < 100; k++) {
        cli_response(c, &r, false);
        assert_int_equal(r.status, 200 + k);
        resp_free(&r);
    }
    /* Connection: close: answered, then closed. */
    cli_sends(c, "GET /status/200 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                 "GET /status/500 HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_response(c, &r, false);
    assert_int_equal(r.status, 200);
    assert_true(has_header(&r, "Connection: close"));
    resp_free(&r);
    cli_expect_eof(c);
    cli_free(c);

    /* HTTP/1.0: closes unless asked to keep alive. */
    c = cli_new(the_srv.port);
    cli_sends(c, "GET /status/200 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    cli_response(c, &r, false);
    assert_true(has_header(&r, "Connection: keep-alive"));
    resp_free(&r);
    cli_sends(c, "GET /status/200 HTTP/1.0\r\n\r\n");
    cli_response(c, &r, false);
    resp_free(&r);
    cli_expect_eof(c);
    cli_free(c);

    /* A client that half-closes after its requests still gets every answer. */
    c = cli_new(the_srv.port);
    cli_sends(c, "GET /status/200?sleep=100 HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET /status/201 HTTP/1.1\r\nHost: t\r\n\r\n");
    shutdown(c->fd, SHUT_WR);
    cli_response(c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_response(c, &r, false);
    assert_int_equal(r.status, 201);
    resp_free(&r);
    cli_expect_eof(c);
    cli_free(c);
}

static void expect_error_and_close(const char *req, size_t len, int status)
{
    struct resp r;
    struct cli *c = cli_new(the_srv.port);
    cli_send(c, req, len);
    cli_response(c, &r, false);
    if (r.status != status)
        fail_msg("'%.30s...' gave %d, want %d", req, r.status, status);
    assert_true(has_header(&r, "Connection: close"));
    resp_free(&r);
    cli_expect_eof(c);
    cli_free(c);
}

static void test_malformed_and_oversize(void **state)
{
    (void)state;
    const char *bad[] = { "GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
                          "GET /a b HTTP/1.1\r\n\r\n", "\x16\x03\x01\x00\xa5\x01\x00",
                          "GET / HTTP/1.1\r\n\r\n" /* no Host */ };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        expect_error_and_close(bad[k], strlen(bad[k]), 400);
    const char *te = "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    expect_error_and_close(te, strlen(te), 501);
    expect_error_and_close("GET / HTTP/2.0\r\n\r\n", 18, 505);

    /* 9 KiB of headers: 431 (the server reads no further than 8 KiB). */
    size_t n = 0;
    char *big = malloc(16384);
    n += (size_t)sprintf(big, "GET /status/200 HTTP/1.1\r\nHost: t\r\n");
    while (n < 9 * 1024)
        n += (size_t)sprintf(big + n, "X-Filler-%zu: %s\r\n", n, "aaaaaaaaaaaaaaaaaaaaaaaaaa");
    n += (size_t)sprintf(big + n, "\r\n");
    expect_error_and_close(big, n, 431);
    /* Just under 8 KiB is fine. */
    n = (size_t)sprintf(big, "GET /status/200 HTTP/1.1\r\nHost: t\r\nX-Pad: ");
    memset(big + n, 'p', 8192 - n - 4);
    memcpy(big + 8192 - 4, "\r\n\r\n", 4);
    struct cli *c = cli_new(the_srv.port);
    cli_send(c, big, 8192);
    struct resp r;
    cli_response(c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_free(c);
    free(big);
    /* The server took all that and still answers. */
    assert_int_equal(get("/status/200", &r), 200);
    resp_free(&r);
}

static void test_many_connections(void **state)
{
    (void)state;
    enum { K = 300 };
    struct cli *cs[K];
    struct resp r;
    for (int k = 0; k < K; k++)
        cs[k] = cli_new(the_srv.port);
    for (int k = 0; k < K; k++) {
        char req[128];
        snprintf(req, sizeof req, "GET /bytes/%d?sleep=%d HTTP/1.1\r\nHost: t\r\n\r\n", k, k % 7);
        cli_sends(cs[k], req);
    }
    for (int k = K - 1; k >= 0; k--) {
        cli_response(cs[k], &r, false);
        assert_int_equal(r.status, 200);
        check_bytes(&r, (size_t)k);
        resp_free(&r);
        cli_free(cs[k]);
    }
}

/* ---- tests that start their own server ---- */

/* The listening sockets on `port` in /proc/net/FILE, as "ADDR:PORT" hex strings joined. */
static void listeners(const char *file, int port, char *out, size_t len)
{
    char path[64], line[512], want[16];
    snprintf(path, sizeof path, "/proc/net/%s", file);
    snprintf(want, sizeof want, ":%04X", port);
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char local[64], remote[64], st[8];
        if (sscanf(line, " %*[0-9]: %63s %63s %7s", local, remote, st) != 3)
            continue;
        size_t ln = strlen(local);
        if (strcmp(st, "0A") == 0 && ln > 5 && strcmp(local + ln - 5, want) == 0)
            snprintf(out + strlen(out), len - strlen(out), "%s ", local);
    }
    fclose(f);
}

static void test_default_bind_is_loopback(void **state)
{
    (void)state;
    struct srv s;
    char l4[256], l6[256];
    srv_start(&s, "--port", "0");
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%d\n", s.port);
    assert_string_equal(s.url, want);
    listeners("tcp", s.port, l4, sizeof l4);
    listeners("tcp6", s.port, l6, sizeof l6);
    snprintf(want, sizeof want, "0100007F:%04X ", s.port);
    if (strcmp(l4, want) != 0 || l6[0] != '\0')
        fail_msg("listening on [%s] and [%s], want only %s", l4, l6, want);
    assert_int_equal(srv_stop(&s, SIGTERM), 0);

    /* --bind names another loopback address: that one, and only that one. */
    srv_start(&s, "--bind", "127.0.0.2", "--port", "0");
    snprintf(want, sizeof want, "http://127.0.0.2:%d\n", s.port);
    assert_string_equal(s.url, want);
    listeners("tcp", s.port, l4, sizeof l4);
    snprintf(want, sizeof want, "0200007F:%04X ", s.port);
    assert_string_equal(l4, want);
    struct cli c;
    cli_connect_addr(&c, AF_INET, "127.0.0.2", s.port);
    cli_sends(&c, "GET /status/200 HTTP/1.1\r\nHost: t\r\n\r\n");
    struct resp r;
    cli_response(&c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    close(c.fd);
    assert_int_equal(srv_stop(&s, SIGINT), 0);

    /* IPv6 loopback, where the machine has it. */
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    if (probe >= 0) {
        struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
        bool v6 = bind(probe, (struct sockaddr *)&a, sizeof a) == 0;
        close(probe);
        if (v6) {
            srv_start(&s, "--bind", "::1");
            snprintf(want, sizeof want, "http://[::1]:%d\n", s.port);
            assert_string_equal(s.url, want);
            listeners("tcp6", s.port, l6, sizeof l6);
            snprintf(want, sizeof want, "00000000000000000000000001000000:%04X ", s.port);
            assert_string_equal(l6, want);
            cli_connect_addr(&c, AF_INET6, "::1", s.port);
            cli_sends(&c, "GET /bytes/3 HTTP/1.1\r\nHost: t\r\n\r\n");
            cli_response(&c, &r, false);
            assert_int_equal(r.status, 200);
            resp_free(&r);
            close(c.fd);
            assert_int_equal(srv_stop(&s, SIGTERM), 0);
        }
    }
}

static void test_usage_and_bind_errors(void **state)
{
    (void)state;
    struct cb_out o;
    assert_int_equal(cb_run(&o, "serve", "--help", NULL), 0);
    assert_non_null(strstr(o.out, "--bind"));
    assert_non_null(strstr(o.out, "/status/CODE"));
    cb_out_free(&o);
    const char *const bad[][3] = {
        { "--bogus", NULL, "unknown option '--bogus'" },
        { "--port", "65536", "bad port '65536'" },
        { "--port", "-1", "bad port '-1'" },
        { "--bind", "localhost", "bad address 'localhost'" },
        { "--bind", "127.0.0.1:80", "bad address" },
        { "--idle-timeout-ms", "0", "--idle-timeout-ms" },
        { "extra", NULL, "unexpected argument 'extra'" },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        cb_run(&o, "serve", bad[k][0], bad[k][1], NULL);
        if (o.status != 2 || !strstr(o.err, bad[k][2]))
            fail_msg("serve %s: exit %d, stderr %s", bad[k][0], o.status, o.err);
        assert_string_equal(o.out, "");
        cb_out_free(&o);
    }
    cb_run(&o, "serve", "--port", NULL);
    assert_int_equal(o.status, 2);
    cb_out_free(&o);
    /* An address this machine does not have (TEST-NET-1): bind fails, exit 3 with the reason. */
    cb_run(&o, "serve", "--bind", "192.0.2.1", NULL);
    if (o.status != 3 || !strstr(o.err, "cannot listen on 192.0.2.1"))
        fail_msg("bind 192.0.2.1: exit %d, %s", o.status, o.err);
    cb_out_free(&o);
    /* A port already taken: exit 3. */
    char port[16];
    snprintf(port, sizeof port, "%d", the_srv.port);
    cb_run(&o, "serve", "--port", port, NULL);
    if (o.status != 3 || !strstr(o.err, "Address already in use"))
        fail_msg("taken port: exit %d, %s", o.status, o.err);
    assert_string_equal(o.out, "");
    cb_out_free(&o);
}

static void test_idle_timeout(void **state)
{
    (void)state;
    struct srv s;
    srv_start(&s, "--idle-timeout-ms", "300");
    /* Silent client: closed, not before 300 ms. */
    struct cli *c = cli_new(s.port);
    double t0 = clock_now();
    cli_expect_eof(c);
    double dt = clock_now() - t0;
    if (dt < 0.29 || dt > 5)
        fail_msg("idle connection closed after %.0f ms", dt * 1e3);
    cli_free(c);
    /* Slow client: a byte every 100 ms never completes a head in time. */
    c = cli_new(s.port);
    t0 = clock_now();
    const char *req = "GET /status/200 HTTP/1.1\r\nHost: t\r\n\r\n";
    bool closed = false;
    for (const char *p = req; *p && !closed; p++) {
        if (send(c->fd, p, 1, MSG_NOSIGNAL) != 1)
            closed = true;
        struct pollfd pf = { c->fd, POLLIN, 0 };
        if (poll(&pf, 1, 100) > 0)
            closed = true;
    }
    assert_true(closed);
    cli_expect_eof(c);
    cli_free(c);
    /* A sleep longer than the timeout is not the client's fault: it is answered. */
    c = cli_new(s.port);
    cli_sends(c, "GET /status/200?sleep=600 HTTP/1.1\r\nHost: t\r\n\r\n");
    struct resp r;
    cli_response(c, &r, false);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    cli_free(c);
    /* A stalled response: closed at the timeout. */
    c = cli_new(s.port);
    cli_sends(c, "GET /stall?after=3 HTTP/1.1\r\nHost: t\r\n\r\n");
    t0 = clock_now();
    ssize_t got = 0;
    while ((got = cli_fill(c)) > 0)
        ;
    assert_true(got == 0 || errno == ECONNRESET);
    dt = clock_now() - t0;
    assert_true(dt < 5);
    cli_free(c);
    assert_int_equal(srv_stop(&s, SIGTERM), 0);
}

static void test_signals_end_it(void **state)
{
    (void)state;
    struct srv s;
    /* With connections open and a request sleeping, SIGTERM still ends it at once, exit 0. */
    srv_start(&s, "--port", "0");
    struct cli *c = cli_new(s.port), *d = cli_new(s.port);
    cli_sends(c, "GET /status/200?sleep=60000 HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(50000);
    double t0 = clock_now();
    assert_int_equal(srv_stop(&s, SIGTERM), 0);
    assert_true(clock_now() - t0 < 5);
    cli_expect_eof(c);
    cli_free(c);
    cli_free(d);
    srv_start(&s, "--port", "0");
    assert_int_equal(srv_stop(&s, SIGINT), 0);
}

/* Timing bounds hold in the plain build only: the sanitizer builds (ASan, TSan) run the server
 * several times slower, so there the test checks the outcomes, not the milliseconds. */
static bool timing_asserted(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return false;
#else
    return !getenv("CONCBENCH_SANITIZER") && !getenv("CONCBENCH_TSAN");
#endif
}

/* A client that asks for a 1 GiB body and never reads, with a 4 KiB receive buffer. */
static int hog_connect(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rcv = 4096;
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);     /* before connect: the window */
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        fail_msg("connect: %s", strerror(errno));
    static const char req[] = "GET /bytes/1073741824 HTTP/1.1\r\nHost: t\r\n\r\n";
    assert_int_equal(send(fd, req, sizeof req - 1, MSG_NOSIGNAL), (ssize_t)(sizeof req - 1));
    return fd;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Fairness: 100 clients ask for /bytes/1073741824 and read nothing (4 KiB receive buffers), so
 * the server spends its first turns filling their sockets (megabytes each). Each connection gets
 * only a slice a loop turn, so meanwhile a new request is answered within milliseconds, and
 * SIGTERM ends the server within 100 ms. (With a 4 MB slice, the first turn alone took about a
 * second.) */
static void test_fair_under_hogs(void **state)
{
    (void)state;
    enum { HOGS = 100, PROBES = 15 };
    struct srv s;
    int hogs[HOGS];
    double lat[PROBES];

    /* A new request while the hogs' sockets are being filled. */
    srv_start(&s, "--port", "0");
    for (int k = 0; k < HOGS; k++)
        hogs[k] = hog_connect(s.port);
    usleep(20000);
    for (int k = 0; k < PROBES; k++) {
        struct cli *c = cli_new(s.port);
        struct resp r;
        double t0 = clock_now();
        cli_sends(c, "GET /bytes/100 HTTP/1.1\r\nHost: t\r\n\r\n");
        cli_response(c, &r, false);
        lat[k] = clock_now() - t0;
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, 100);
        resp_free(&r);
        cli_free(c);
    }
    assert_int_equal(srv_stop(&s, SIGTERM), 0);
    for (int k = 0; k < HOGS; k++)
        close(hogs[k]);
    qsort(lat, PROBES, sizeof lat[0], cmp_double);

    /* SIGTERM while the hogs' sockets are being filled. */
    srv_start(&s, "--port", "0");
    for (int k = 0; k < HOGS; k++)
        hogs[k] = hog_connect(s.port);
    usleep(20000);
    double t0 = clock_now();
    int rc = srv_stop(&s, SIGTERM);
    double stop_s = clock_now() - t0;
    for (int k = 0; k < HOGS; k++)
        close(hogs[k]);
    assert_int_equal(rc, 0);

    print_message("  with %d non-reading clients: a new request answered in %.1f ms (median), "
                  "%.1f ms at worst; SIGTERM to exit %.1f ms\n", HOGS, lat[PROBES / 2] * 1e3,
                  lat[PROBES - 1] * 1e3, stop_s * 1e3);
    if (timing_asserted()) {
        /* A few ms on an idle machine; the bounds leave room for a shared, loaded one. */
        if (lat[PROBES / 2] > 0.050 || lat[PROBES - 1] > 0.250)
            fail_msg("a new request waited %.1f ms (median), %.1f ms at worst",
                     lat[PROBES / 2] * 1e3, lat[PROBES - 1] * 1e3);
        if (stop_s > 0.100)
            fail_msg("SIGTERM took %.1f ms to end the server", stop_s * 1e3);
    }
}

static void test_nofile_raised(void **state)
{
    (void)state;
    struct srv s;
    const struct rlimit low = { 256, 600 };
    srv_nofile = &low;
    srv_start(&s, "--port", "0");
    srv_nofile = NULL;
    /* It says the hard limit is below what it wants... */
    char err[1024];
    fcntl(s.err_fd, F_SETFL, O_NONBLOCK);
    ssize_t n = read(s.err_fd, err, sizeof err - 1);
    err[n > 0 ? n : 0] = '\0';
    if (!strstr(err, "descriptor limit (RLIMIT_NOFILE) is 600, below the 20000 wanted"))
        fail_msg("no note on the low hard limit; stderr: %s", err);
    /* ...and raised its soft limit to it: 400 connections at once, past the 256 it started
     * with, are all answered. */
    enum { K = 400 };
    struct cli *cs[K];
    for (int k = 0; k < K; k++) {
        cs[k] = cli_new(s.port);
        cli_sends(cs[k], "GET /status/200?sleep=200 HTTP/1.1\r\nHost: t\r\n\r\n");
    }
    for (int k = 0; k < K; k++) {       /* all open at once: none closes before the last */
        struct resp r;
        cli_response(cs[k], &r, false);
        assert_int_equal(r.status, 200);
        resp_free(&r);
    }
    for (int k = 0; k < K; k++)
        cli_free(cs[k]);
    assert_int_equal(srv_stop(&s, SIGTERM), 0);
}

static void test_spawn_and_stop(void **state)
{
    (void)state;
    struct server_config cfg = { .port = 0 };
    pid_t pid;
    int port, p[2];
    char err[256];
    assert_int_equal(pipe(p), 0);       /* inherited by the fork unless the child closes it */
    assert_int_equal(server_spawn(&cfg, &pid, &port, err, sizeof err), 0);
    assert_true(port > 0 && pid > 0);
    assert_int_equal(getpgid(pid), pid);    /* out of the terminal's Ctrl-C */
    /* Its own descriptor table: our pipe's write end lives on only here, so closing it gives
     * EOF at once; the child holds stdio, its listening socket, epoll and signalfd (and for a
     * moment the pipe it told us the port through). */
    close(p[1]);
    struct pollfd pf = { p[0], POLLIN, 0 };
    assert_int_equal(poll(&pf, 1, 2000), 1);
    char byte;
    assert_int_equal(read(p[0], &byte, 1), 0);
    close(p[0]);
    char fddir[64];
    snprintf(fddir, sizeof fddir, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(fddir);
    assert_non_null(d);
    int nfd = 0;
    for (struct dirent *e; (e = readdir(d));)
        nfd += e->d_name[0] != '.';
    closedir(d);
    if (nfd > 7)
        fail_msg("the server child has %d descriptors open", nfd);
    struct cli *c = cli_new(port);
    for (int k = 0; k < 200; k++) {
        cli_sends(c, "GET /bytes/1000 HTTP/1.1\r\nHost: t\r\n\r\n");
        struct resp r;
        cli_response(c, &r, false);
        check_bytes(&r, 1000);
        resp_free(&r);
    }
    cli_free(c);
    double cpu = -1;
    assert_int_equal(server_stop(pid, &cpu), 0);
    assert_true(cpu >= 0 && cpu < 60);
    assert_int_equal(kill(pid, 0), -1);         /* reaped */
    assert_int_equal(server_stop(pid, NULL), -ECHILD);

    /* A bind failure comes back as an error with the reason, the child reaped. */
    cfg.bind_addr = "192.0.2.1";
    int rc = server_spawn(&cfg, &pid, &port, err, sizeof err);
    assert_true(rc < 0);
    assert_non_null(strstr(err, "cannot listen"));
    assert_int_equal(cb_count_children(), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest shared[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_sleep_delay),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_big_body_streams),
        cmocka_unit_test(test_stall_and_close),
        cmocka_unit_test(test_keepalive_pipelining),
        cmocka_unit_test(test_malformed_and_oversize),
        cmocka_unit_test(test_many_connections),
        cmocka_unit_test(test_usage_and_bind_errors),
    };
    const struct CMUnitTest own[] = {
        cmocka_unit_test(test_default_bind_is_loopback),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_signals_end_it),
        cmocka_unit_test(test_fair_under_hogs),
        cmocka_unit_test(test_nofile_raised),
        cmocka_unit_test(test_spawn_and_stop),
    };
    int failed = cmocka_run_group_tests_name("server", shared, setup_srv, teardown_srv);
    failed += cmocka_run_group_tests_name("server, own instances", own, NULL, NULL);
    return failed;
}
