/* server.c — the embedded HTTP/1.1 server: listening socket, connections, routes, the child
 * process wrapper (see server.h). */
#include "workloads/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/clock.h"
#include "runtime/loop.h"
#include "workloads/http_parse.h"

#define SERVER_IN_INIT 1024         /* first input buffer; grows to HTTP_HEAD_MAX */
#define SERVER_OUT_HIGH 65536       /* pending output above which nothing more is produced */
#define SERVER_CHUNK 16384          /* body bytes generated a step (and a chunk) */
#define SERVER_OUT_KEEP 16384       /* a drained output buffer larger than this is freed */
#define SERVER_BUDGET 256           /* production steps a wake-up, so no client starves others */
#define SERVER_SLICE 65536          /* bytes a connection may produce a wake-up: with 100 clients
                                       that never read, a loop turn moves at most 6.4 MB, so a
                                       new request and SIGTERM wait milliseconds, not seconds */
#define SERVER_ACCEPT_BATCH 64
#define SERVER_LINGER_S 2.0         /* how long to drain input after our last byte */
#define SERVER_BACKLOG 4096

enum conn_state {
    C_READ,                         /* reading and answering requests */
    C_SLEEP,                        /* a response waits for its sleep timer */
    C_STALLED,                      /* /stall sent what it sends: nothing more, ever */
    C_LINGER,                       /* our side is shut down; draining input until EOF */
};

enum body_kind { B_NONE, B_BYTES, B_TEXT };

/* A response as routed: kept while its sleep runs. */
struct response {
    int status;
    enum body_kind kind;
    uint64_t length;                /* body bytes (B_BYTES) */
    uint64_t announce;              /* Content-Length when it differs from length (/stall) */
    const char *text;               /* B_TEXT body */
    bool head_only, chunked, keep_alive, http10, stall, allow;
};

struct conn {
    struct server *srv;
    struct conn *prev, *next;
    int fd;
    unsigned interest;              /* loop interest as last set */
    enum conn_state state;
    char *in;                       /* received bytes; [in_off, in_len) not yet consumed */
    size_t in_off, in_len, in_cap;
    struct http_parser parser;      /* the request at in + in_off */
    uint64_t skip;                  /* request body bytes still to discard */
    char *out;                      /* to send: [out_off, out_len) */
    size_t out_off, out_len, out_cap;
    uint64_t body_off, body_left;   /* the body being generated */
    bool body_chunked;              /* generating chunks; the last one still owed */
    bool stall_after;               /* the body done, stall */
    bool close_after;               /* close (lingering) once everything is sent */
    bool close_now;                 /* /close: close as soon as the earlier answers are sent */
    bool read_eof;
    bool more;                      /* work left when the budget ran out */
    double deadline;                /* idle deadline, CLOCK_MONOTONIC seconds */
    struct loop_timer *idle_timer, *sleep_timer;
    struct response pending;        /* while C_SLEEP */
};

struct server {
    struct loop *loop;
    int fd;
    unsigned port;
    char addr[INET6_ADDRSTRLEN];
    bool v6;
    double idle_s;
    struct conn *conns;
    size_t nconns;
    uint64_t requests;
    struct loop_timer *accept_timer;
    bool accept_paused;
    unsigned long accept_errors;
    time_t date_sec;
    char date[40];
};

/* ---- the deterministic body and its checksum ---- */

static uint64_t bytes_word(uint64_t k)
{
    uint64_t z = k * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void server_bytes_fill(uint64_t offset, void *buf, size_t len)
{
    unsigned char *b = buf;
    while (len > 0 && (offset & 7) != 0) {
        *b++ = (unsigned char)(bytes_word(offset >> 3) >> (8 * (offset & 7)));
        offset++;
        len--;
    }
    while (len >= 8) {
        uint64_t w = bytes_word(offset >> 3);
        for (int k = 0; k < 8; k++)
            b[k] = (unsigned char)(w >> (8 * k));
        b += 8;
        offset += 8;
        len -= 8;
    }
    if (len > 0) {
        uint64_t w = bytes_word(offset >> 3);
        for (size_t k = 0; k < len; k++)
            b[k] = (unsigned char)(w >> (8 * k));
    }
}

uint64_t server_checksum_update(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t k = 0; k < len; k++) {
        h ^= p[k];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t server_bytes_checksum(uint64_t n)
{
    unsigned char buf[16384];
    uint64_t h = SERVER_CHECKSUM_INIT, off = 0;
    while (off < n) {
        size_t k = n - off < sizeof buf ? (size_t)(n - off) : sizeof buf;
        server_bytes_fill(off, buf, k);
        h = server_checksum_update(h, buf, k);
        off += k;
    }
    return h;
}

/* ---- addresses ---- */

/* addr (NULL: 127.0.0.1) and port into *ss. 0 or -EINVAL. */
static int parse_addr(const char *addr, unsigned port, struct sockaddr_storage *ss,
                      socklen_t *sl)
{
    char buf[INET6_ADDRSTRLEN + 2];
    if (!addr)
        addr = "127.0.0.1";
    size_t n = strlen(addr);
    if (n >= sizeof buf)
        return -EINVAL;
    if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
        memcpy(buf, addr + 1, n - 2);
        buf[n - 2] = '\0';
    } else {
        memcpy(buf, addr, n + 1);
    }
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (buf[0] != '[' && inet_pton(AF_INET, buf, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *sl = sizeof *in4;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *sl = sizeof *in6;
        return 0;
    }
    return -EINVAL;
}

int server_check_addr(const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    return addr ? parse_addr(addr, 0, &ss, &sl) : -EINVAL;
}

bool server_addr_is_loopback(const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    if (parse_addr(addr, 0, &ss, &sl) < 0)
        return false;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(a))
        return true;
    return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
}

/* ---- output ---- */

static size_t out_pending(const struct conn *c)
{
    return c->out_len - c->out_off;
}

/* Room for n more bytes at out + out_len. 0 or -ENOMEM. */
static int out_reserve(struct conn *c, size_t n)
{
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + n <= c->out_cap)
        return 0;
    if (c->out_off > 0) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
        if (c->out_len + n <= c->out_cap)
            return 0;
    }
    size_t cap = c->out_cap ? c->out_cap : 512;
    while (cap < c->out_len + n)
        cap *= 2;
    char *p = realloc(c->out, cap);
    if (!p)
        return -ENOMEM;
    c->out = p;
    c->out_cap = cap;
    return 0;
}

static void out_append(struct conn *c, const char *s, size_t n)
{
    if (out_reserve(c, n) < 0) {
        c->close_now = true;        /* out of memory: drop the connection */
        return;
    }
    memcpy(c->out + c->out_len, s, n);
    c->out_len += n;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 418: return "I'm a teapot";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Status";
    }
}

static const char *server_date(struct server *s)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec != s->date_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        s->date_sec = ts.tv_sec;
    }
    return s->date;
}

/* Queue the head of r and set up its body. */
static void queue_response(struct conn *c, const struct response *r)
{
    char head[512];
    size_t n = 0;
    bool chunked = r->chunked && !r->http10 && r->kind == B_BYTES;
    bool no_body = r->status == 204 || r->status == 304;
    uint64_t length = r->kind == B_TEXT ? strlen(r->text) : r->length;
    uint64_t announce = r->stall ? r->announce : length;

    n += (size_t)snprintf(head + n, sizeof head - n,
                          "HTTP/1.1 %d %s\r\nServer: concbench\r\nDate: %s\r\n", r->status,
                          reason(r->status), server_date(c->srv));
    if (r->kind == B_BYTES)
        n += (size_t)snprintf(head + n, sizeof head - n,
                              "Content-Type: application/octet-stream\r\n");
    else if (r->kind == B_TEXT)
        n += (size_t)snprintf(head + n, sizeof head - n, "Content-Type: text/plain\r\n");
    if (chunked)
        n += (size_t)snprintf(head + n, sizeof head - n, "Transfer-Encoding: chunked\r\n");
    else if (!no_body)
        n += (size_t)snprintf(head + n, sizeof head - n, "Content-Length: %llu\r\n",
                              (unsigned long long)announce);
    if (r->allow)
        n += (size_t)snprintf(head + n, sizeof head - n, "Allow: GET, HEAD\r\n");
    if (!r->keep_alive)
        n += (size_t)snprintf(head + n, sizeof head - n, "Connection: close\r\n");
    else if (r->http10)
        n += (size_t)snprintf(head + n, sizeof head - n, "Connection: keep-alive\r\n");
    n += (size_t)snprintf(head + n, sizeof head - n, "\r\n");
    out_append(c, head, n);

    c->body_off = 0;
    c->body_left = 0;
    c->body_chunked = false;
    if (!r->head_only && !no_body) {
        if (r->kind == B_TEXT) {
            out_append(c, r->text, (size_t)length);
        } else if (r->kind == B_BYTES) {
            c->body_left = length;
            c->body_chunked = chunked;
        }
    }
    c->stall_after = r->stall;
    if (!r->keep_alive)
        c->close_after = true;
    c->srv->requests++;
}

/* Generate one piece of the body. */
static void body_step(struct conn *c)
{
    size_t k = c->body_left < SERVER_CHUNK ? (size_t)c->body_left : SERVER_CHUNK;
    if (out_reserve(c, k + 32) < 0) {
        c->close_now = true;
        c->body_left = 0;
        c->body_chunked = false;
        return;
    }
    if (c->body_chunked && k > 0)
        c->out_len += (size_t)snprintf(c->out + c->out_len, 32, "%zx\r\n", k);
    server_bytes_fill(c->body_off, c->out + c->out_len, k);
    c->out_len += k;
    c->body_off += k;
    c->body_left -= k;
    if (c->body_chunked) {
        if (k > 0)
            memcpy(c->out + c->out_len, "\r\n", 2), c->out_len += 2;
        if (c->body_left == 0) {
            memcpy(c->out + c->out_len, "0\r\n\r\n", 5);
            c->out_len += 5;
            c->body_chunked = false;
        }
    }
}

static bool body_in_progress(const struct conn *c)
{
    return c->body_left > 0 || c->body_chunked;
}

/* ---- connections ---- */

static void conn_arm_idle(struct conn *c, double when);

static void conn_free(struct conn *c)
{
    struct server *s = c->srv;
    loop_fd_del(s->loop, c->fd);
    close(c->fd);
    loop_timer_cancel(s->loop, c->idle_timer);
    loop_timer_cancel(s->loop, c->sleep_timer);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    free(c->in);
    free(c->out);
    free(c);
}

static void conn_touch(struct conn *c)
{
    c->deadline = clock_now() + c->srv->idle_s;
}

static void conn_on_idle(struct loop *l, void *arg)
{
    struct conn *c = arg;
    double now = clock_now();
    (void)l;
    c->idle_timer = NULL;
    if (c->state == C_SLEEP) {
        conn_arm_idle(c, now + c->srv->idle_s);     /* we are the slow one: not its fault */
        return;
    }
    if (now < c->deadline) {
        conn_arm_idle(c, c->deadline);
        return;
    }
    conn_free(c);
}

static void conn_arm_idle(struct conn *c, double when)
{
    loop_timer_cancel(c->srv->loop, c->idle_timer);
    c->idle_timer = loop_timer_at(c->srv->loop, when, conn_on_idle, c);
    /* Without a timer (ENOMEM) the connection just lives on until the client ends it. */
}

static void conn_drive(struct conn *c);

static void conn_on_sleep(struct loop *l, void *arg)
{
    struct conn *c = arg;
    (void)l;
    c->sleep_timer = NULL;
    c->state = C_READ;
    conn_touch(c);
    queue_response(c, &c->pending);
    conn_drive(c);
}

/* Route a complete request (its head at base) into r. Returns false for /close. */
static bool route(struct conn *c, const char *base, struct response *r, uint64_t *sleep_ms)
{
    const struct http_parser *p = &c->parser;
    const char *path = base + p->path_off, *q = base + p->query_off;
    size_t plen = p->path_len, qlen = p->query_len;
    uint64_t v;

    memset(r, 0, sizeof *r);
    *sleep_ms = 0;
    r->keep_alive = p->keep_alive;
    r->http10 = p->version_minor == 0;
    r->head_only = p->method == HTTP_METHOD_HEAD;
    r->kind = B_TEXT;
    if (p->method == HTTP_METHOD_OTHER) {
        r->status = 405;
        r->allow = true;
        r->text = "method not allowed: use GET or HEAD\n";
        return true;
    }
    bool is_status = plen > 8 && memcmp(path, "/status/", 8) == 0;
    bool is_bytes = plen > 7 && memcmp(path, "/bytes/", 7) == 0;
    if (is_status || is_bytes) {
        int sr = http_query_uint(q, qlen, "sleep", SERVER_SLEEP_MAX_MS, sleep_ms);
        if (sr < 0) {
            r->status = 400;
            r->text = "bad sleep: a number of ms, at most 3600000\n";
            return true;
        }
    }
    if (is_status) {
        if (!http_parse_uint(path + 8, plen - 8, 599, &v) || v < 200) {
            r->status = 400;
            r->text = "bad status code: 200 to 599\n";
            *sleep_ms = 0;
            return true;
        }
        r->status = (int)v;
        r->kind = B_NONE;
        return true;
    }
    if (is_bytes) {
        uint64_t chunked = 0;
        if (!http_parse_uint(path + 7, plen - 7, SERVER_BYTES_MAX, &v) ||
            http_query_uint(q, qlen, "chunked", 1, &chunked) < 0) {
            r->status = 400;
            r->text = "bad /bytes/N: N at most 1073741824, chunked 0 or 1\n";
            *sleep_ms = 0;
            return true;
        }
        r->status = 200;
        r->kind = B_BYTES;
        r->length = v;
        r->chunked = chunked == 1;
        return true;
    }
    if (plen == 6 && memcmp(path, "/stall", 6) == 0) {
        uint64_t after = 0;
        if (http_query_uint(q, qlen, "after", SERVER_BYTES_MAX, &after) < 0) {
            r->status = 400;
            r->text = "bad after: a number of bytes, at most 1073741824\n";
            return true;
        }
        r->status = 200;
        r->kind = B_BYTES;
        r->length = after;
        r->announce = after + 1;
        r->stall = true;
        return true;
    }
    if (plen == 6 && memcmp(path, "/close", 6) == 0)
        return false;
    r->status = 404;
    r->text = "not found: try /status/CODE, /bytes/N, /stall?after=N or /close\n";
    return true;
}

/* Take the next request from the input, if complete, and answer it (or start its sleep).
 * Returns true when one was taken. */
static bool conn_next_request(struct conn *c)
{
    if (c->skip > 0) {
        size_t avail = c->in_len - c->in_off;
        size_t k = c->skip < avail ? (size_t)c->skip : avail;
        c->in_off += k;
        c->skip -= k;
        if (k > 0)
            conn_touch(c);
        if (c->skip > 0)
            return false;
    }
    size_t avail = c->in_len - c->in_off;
    if (avail == 0)
        return false;
    const char *base = c->in + c->in_off;
    int pr = http_parse(&c->parser, base, avail);
    if (pr == HTTP_PARSE_MORE)
        return false;
    if (pr == HTTP_PARSE_ERROR) {
        struct response r = { .status = c->parser.error_status, .kind = B_TEXT,
                              .http10 = false, .keep_alive = false };
        switch (r.status) {
        case 431: r.text = "request head larger than 8 KiB\n"; break;
        case 501: r.text = "Transfer-Encoding in a request is not supported\n"; break;
        case 505: r.text = "HTTP version not supported: use HTTP/1.0 or HTTP/1.1\n"; break;
        default: r.text = "malformed request\n"; break;
        }
        queue_response(c, &r);
        c->in_off = c->in_len;          /* nothing after garbage is read */
        return true;
    }
    conn_touch(c);
    struct response r;
    uint64_t sleep_ms;
    bool answer = route(c, base, &r, &sleep_ms);
    c->in_off += c->parser.head_len;
    c->skip = c->parser.content_length;
    http_parse_init(&c->parser);
    if (!answer) {
        c->close_now = true;
        return true;
    }
    if (sleep_ms > 0) {
        c->sleep_timer = loop_timer_add(c->srv->loop, (double)sleep_ms / 1000.0, conn_on_sleep,
                                        c);
        if (c->sleep_timer) {
            c->pending = r;
            c->state = C_SLEEP;
            return true;
        }
        r = (struct response){ .status = 503, .kind = B_TEXT, .keep_alive = false,
                               .text = "out of memory for the sleep timer\n" };
    }
    queue_response(c, &r);
    return true;
}

/* Send what is pending. Returns 1 when all was sent, 0 when the socket is full, -1 when the
 * connection failed. */
static int conn_flush(struct conn *c)
{
    while (out_pending(c) > 0) {
        ssize_t n = send(c->fd, c->out + c->out_off, out_pending(c), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        c->out_off += (size_t)n;
        conn_touch(c);
    }
    c->out_off = c->out_len = 0;
    if (c->out_cap > SERVER_OUT_KEEP && !body_in_progress(c)) {
        free(c->out);
        c->out = NULL;
        c->out_cap = 0;
    }
    return 1;
}

static void conn_set_interest(struct conn *c, unsigned want)
{
    if (want == c->interest)
        return;
    if (loop_fd_mod(c->srv->loop, c->fd, want) == 0)
        c->interest = want;
}

static void conn_start_linger(struct conn *c)
{
    shutdown(c->fd, SHUT_WR);
    c->state = C_LINGER;
    free(c->in);
    c->in = NULL;
    c->in_off = c->in_len = c->in_cap = 0;
    double t = c->srv->idle_s < SERVER_LINGER_S ? c->srv->idle_s : SERVER_LINGER_S;
    c->deadline = clock_now() + t;
    conn_arm_idle(c, c->deadline);
}

/* Produce and send as far as the socket and the budget allow, then decide what to wait for. */
static void conn_drive(struct conn *c)
{
    int budget = SERVER_BUDGET;
    size_t slice = 0;           /* bytes produced in this wake-up */
    c->more = false;
    for (;;) {
        bool produced = false;
        while (out_pending(c) < SERVER_OUT_HIGH && budget > 0 && slice < SERVER_SLICE &&
               !c->close_now) {
            size_t before = out_pending(c);
            if (body_in_progress(c)) {
                body_step(c);
                slice += out_pending(c) - before;
            } else {
                if (c->stall_after) {
                    c->stall_after = false;
                    c->state = C_STALLED;
                }
                if (c->state != C_READ || c->close_after || !conn_next_request(c))
                    break;
                slice += out_pending(c) > before ? out_pending(c) - before : 0;
            }
            budget--;
            produced = true;
        }
        int fr = conn_flush(c);
        if (fr < 0) {
            conn_free(c);
            return;
        }
        if (fr == 0 || !produced)
            break;              /* the socket is full, or there is nothing more to do */
        if (budget <= 0 || slice >= SERVER_SLICE) {
            c->more = body_in_progress(c) || c->stall_after ||
                      (c->state == C_READ && !c->close_after && c->in_len > c->in_off);
            break;
        }
    }

    if (out_pending(c) == 0 && !body_in_progress(c)) {
        if (c->close_now || (c->close_after && c->state == C_READ && c->read_eof)) {
            conn_free(c);
            return;
        }
        if (c->close_after && c->state == C_READ) {
            conn_start_linger(c);
        } else if (c->state == C_READ && c->read_eof && !c->more) {
            conn_free(c);       /* the client is done, and what is left is not a request */
            return;
        }
    }
    unsigned want = 0;
    bool can_read = c->state == C_STALLED || c->state == C_LINGER ||
                    (!c->close_after && c->in_len - c->in_off < HTTP_HEAD_MAX);
    if (!c->read_eof && can_read)
        want |= LOOP_READ;
    if (out_pending(c) > 0 || c->more)
        want |= LOOP_WRITE;     /* c->more: the socket is writable, so this calls us again */
    conn_set_interest(c, want);
}

/* Read what there is. Returns false when the connection was freed. */
static bool conn_read(struct conn *c)
{
    if (c->state == C_STALLED || c->state == C_LINGER) {
        char junk[16384];
        ssize_t n;
        while ((n = recv(c->fd, junk, sizeof junk, 0)) < 0 && errno == EINTR)
            ;
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            conn_free(c);
            return false;
        }
        return true;
    }
    if (c->in_off > 0) {
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    if (c->in_len == c->in_cap) {
        size_t cap = c->in_cap ? 2 * c->in_cap : SERVER_IN_INIT;
        if (cap > HTTP_HEAD_MAX)
            cap = HTTP_HEAD_MAX;
        if (cap == c->in_cap)
            return true;        /* full: the requests in it go first */
        char *p = realloc(c->in, cap);
        if (!p) {
            conn_free(c);
            return false;
        }
        c->in = p;
        c->in_cap = cap;
    }
    ssize_t n;
    while ((n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0)) < 0 && errno == EINTR)
        ;
    if (n > 0) {
        c->in_len += (size_t)n;
    } else if (n == 0) {
        c->read_eof = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        conn_free(c);
        return false;
    }
    return true;
}

static void conn_on_event(struct loop *l, int fd, unsigned events, void *arg)
{
    struct conn *c = arg;
    (void)l;
    (void)fd;
    if ((events & LOOP_ERROR) && !(events & (LOOP_READ | LOOP_WRITE))) {
        conn_free(c);           /* reset or hung up while we waited for nothing from it */
        return;
    }
    if ((events & LOOP_READ) && !conn_read(c))
        return;
    if (c->state != C_LINGER)
        conn_drive(c);
}

static int conn_new(struct server *s, int fd)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->srv = s;
    c->fd = fd;
    c->state = C_READ;
    c->interest = LOOP_READ;
    http_parse_init(&c->parser);
    int err = loop_fd_add(s->loop, fd, LOOP_READ, conn_on_event, c);
    if (err < 0) {
        free(c);
        return err;
    }
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    conn_touch(c);
    conn_arm_idle(c, c->deadline);
    return 0;
}

/* ---- the listening socket ---- */

static void server_on_accept(struct loop *l, int fd, unsigned events, void *arg);

static void server_resume_accept(struct loop *l, void *arg)
{
    struct server *s = arg;
    s->accept_timer = NULL;
    s->accept_paused = false;
    loop_fd_mod(l, s->fd, LOOP_READ);
}

static void server_on_accept(struct loop *l, int fd, unsigned events, void *arg)
{
    struct server *s = arg;
    (void)events;
    for (int k = 0; k < SERVER_ACCEPT_BATCH; k++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            /* Out of descriptors or memory: pause accepting for 100 ms rather than spin. */
            if (s->accept_errors++ == 0)
                fprintf(stderr, "concbench serve: accept: %s; pausing accept for 100 ms "
                                "(reported once)\n", strerror(errno));
            if (!s->accept_paused && loop_fd_mod(l, fd, 0) == 0) {
                s->accept_paused = true;
                s->accept_timer = loop_timer_add(l, 0.1, server_resume_accept, s);
                if (!s->accept_timer)
                    server_resume_accept(l, s);
            }
            return;
        }
        int one = 1;
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (conn_new(s, cfd) < 0) {
            close(cfd);
            continue;
        }
        /* A client usually sends its request right after connecting: read it now rather than
         * a loop turn later (under load a turn is what a new request waits for). EAGAIN when
         * it has not arrived costs one recv. */
        conn_on_event(l, cfd, LOOP_READ, s->conns);
    }
}

int server_open(struct loop *l, const struct server_config *cfg, struct server **out, char *err,
                size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    const char *addr = cfg->bind_addr ? cfg->bind_addr : "127.0.0.1";
    int e;

    if (cfg->port > 65535) {
        snprintf(err, errlen, "bad port %u", cfg->port);
        return -EINVAL;
    }
    if (parse_addr(addr, cfg->port, &ss, &sl) < 0) {
        snprintf(err, errlen, "'%s' is not a numeric IPv4 or IPv6 address", addr);
        return -EINVAL;
    }
    struct server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->loop = l;
    s->v6 = ss.ss_family == AF_INET6;
    s->idle_s = (cfg->idle_timeout_ms ? cfg->idle_timeout_ms : SERVER_IDLE_TIMEOUT_MS) / 1000.0;
    s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        e = -errno;
        snprintf(err, errlen, "socket: %s", strerror(errno));
        free(s);
        return e;
    }
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s->v6)
        setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(s->fd, (struct sockaddr *)&ss, sl) < 0 || listen(s->fd, SERVER_BACKLOG) < 0) {
        e = -errno;
        snprintf(err, errlen, "cannot listen on %s port %u: %s", addr, cfg->port,
                 strerror(errno));
        goto fail;
    }
    sl = sizeof ss;
    if (getsockname(s->fd, (struct sockaddr *)&ss, &sl) < 0) {
        e = -errno;
        snprintf(err, errlen, "getsockname: %s", strerror(errno));
        goto fail;
    }
    if (s->v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        s->port = ntohs(a->sin6_port);
        inet_ntop(AF_INET6, &a->sin6_addr, s->addr, sizeof s->addr);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        s->port = ntohs(a->sin_port);
        inet_ntop(AF_INET, &a->sin_addr, s->addr, sizeof s->addr);
    }
    if ((e = loop_fd_add(l, s->fd, LOOP_READ, server_on_accept, s)) < 0) {
        snprintf(err, errlen, "loop: %s", strerror(-e));
        goto fail;
    }
    *out = s;
    return 0;
fail:
    close(s->fd);
    free(s);
    return e;
}

unsigned server_port(const struct server *s)
{
    return s->port;
}

void server_url(const struct server *s, char *buf, size_t len)
{
    snprintf(buf, len, s->v6 ? "http://[%s]:%u" : "http://%s:%u", s->addr, s->port);
}

size_t server_connections(const struct server *s)
{
    return s->nconns;
}

uint64_t server_requests(const struct server *s)
{
    return s->requests;
}

void server_close(struct server *s)
{
    if (!s)
        return;
    while (s->conns)
        conn_free(s->conns);
    loop_timer_cancel(s->loop, s->accept_timer);
    loop_fd_del(s->loop, s->fd);
    close(s->fd);
    free(s);
}

/* ---- the whole server, in this thread or in a child ---- */

static void raise_nofile(unsigned want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t old = rl.rlim_cur;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            rl.rlim_cur = old;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
        fprintf(stderr,
                "concbench serve: the descriptor limit (RLIMIT_NOFILE) is %llu, below the %u "
                "wanted; connections beyond it are refused (raise the hard limit: ulimit -Hn)\n",
                (unsigned long long)rl.rlim_cur, want);
}

static void on_signal(struct loop *l, int fd, unsigned events, void *arg)
{
    struct signalfd_siginfo si;
    (void)events;
    (void)arg;
    ssize_t n = read(fd, &si, sizeof si);
    if (n == (ssize_t)sizeof si || (n < 0 && errno != EAGAIN && errno != EINTR))
        loop_stop(l);
}

int server_run(const struct server_config *cfg, server_ready_fn *ready, void *arg, char *err,
               size_t errlen)
{
    sigset_t set;
    int e, sfd = -1;
    struct server *s = NULL;

    raise_nofile(cfg->nofile_want ? cfg->nofile_want : SERVER_NOFILE_WANT);
    /* Blocked, they reach the signalfd; ignored (a background job's SIGINT), they would not. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if ((e = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0) {
        snprintf(err, errlen, "sigmask: %s", strerror(e));
        return -e;
    }
    struct loop *l = loop_new();
    if (!l) {
        e = -errno;
        snprintf(err, errlen, "event loop: %s", strerror(errno));
        return e;
    }
    sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) {
        e = -errno;
        snprintf(err, errlen, "signalfd: %s", strerror(errno));
        goto out;
    }
    if ((e = loop_fd_add(l, sfd, LOOP_READ | LOOP_NOREF, on_signal, NULL)) < 0) {
        snprintf(err, errlen, "loop: %s", strerror(-e));
        goto out;
    }
    if ((e = server_open(l, cfg, &s, err, errlen)) < 0)
        goto out;
    if (ready)
        ready(s, arg);
    if ((e = loop_run(l)) < 0)
        snprintf(err, errlen, "event loop: %s", strerror(-e));
out:
    server_close(s);
    if (sfd >= 0) {
        loop_fd_del(l, sfd);
        close(sfd);
    }
    loop_free(l);
    return e;
}

/* In the child: tell the parent the port through the pipe. */
static void spawn_ready(const struct server *s, void *arg)
{
    int fd = *(int *)arg;
    char msg[32];
    int n = snprintf(msg, sizeof msg, "P%u\n", server_port(s));
    ssize_t w;
    while ((w = write(fd, msg, (size_t)n)) < 0 && errno == EINTR)
        ;
    close(fd);
    *(int *)arg = -1;
}

/* Close every descriptor above 2 but keep (keep >= 3). */
static void close_others(int keep)
{
    bool ok = syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u) == 0;
    if (keep > 3)
        ok = syscall(SYS_close_range, 3u, (unsigned)keep - 1, 0u) == 0 && ok;
    if (ok)
        return;
    struct rlimit rl;
    long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                   ? (long)rl.rlim_cur : 65536;
    for (long fd = 3; fd < max; fd++)
        if (fd != keep)
            close((int)fd);
}

int server_spawn(const struct server_config *cfg, pid_t *pid, int *port, char *err,
                 size_t errlen)
{
    int pfd[2], e;
    pid_t parent = getpid();

    if (pipe2(pfd, O_CLOEXEC) < 0) {
        e = -errno;
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return e;
    }
    pid_t child = fork();
    if (child < 0) {
        e = -errno;
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return e;
    }
    if (child == 0) {
        int wfd = pfd[1];
        char cerr[256];
        /* Its own process group: a Ctrl-C at the terminal is the client's to handle (it
         * cancels the run, then stops the server), not a reason to vanish under it. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
        if (wfd < 3)
            wfd = fcntl(wfd, F_DUPFD_CLOEXEC, 3);
        if (wfd < 0)
            _exit(3);
        close_others(wfd);
        int rc = server_run(cfg, spawn_ready, &wfd, cerr, sizeof cerr);
        if (rc < 0 && wfd >= 0) {
            char msg[300];
            int n = snprintf(msg, sizeof msg, "E%d %s\n", -rc, cerr);
            if (write(wfd, msg, (size_t)n) < 0)
                _exit(3);
        }
        _exit(rc < 0 ? 3 : 0);
    }
    close(pfd[1]);
    char buf[300];
    size_t len = 0;
    double until = clock_now() + 10.0;
    for (;;) {
        double left = until - clock_now();
        struct pollfd pf = { pfd[0], POLLIN, 0 };
        int pr = left > 0 ? poll(&pf, 1, (int)(left * 1000) + 1) : 0;
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            snprintf(err, errlen, "the server did not start within 10 s");
            e = -ETIMEDOUT;
            break;
        }
        ssize_t n = read(pfd[0], buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0) {
            len += (size_t)n;
            buf[len] = '\0';
            if (!memchr(buf, '\n', len) && len < sizeof buf - 1)
                continue;
        }
        buf[len] = '\0';
        char *nl = strchr(buf, '\n');
        if (nl)
            *nl = '\0';
        if (buf[0] == 'P' && atoi(buf + 1) > 0) {
            *port = atoi(buf + 1);
            *pid = child;
            close(pfd[0]);
            return 0;
        }
        char *text = buf[0] == 'E' ? strchr(buf, ' ') : NULL;
        if (text) {
            snprintf(err, errlen, "%s", text + 1);
            e = atoi(buf + 1) > 0 ? -atoi(buf + 1) : -EIO;
        } else {
            snprintf(err, errlen, "the server exited before it listened");
            e = -EIO;
        }
        break;
    }
    close(pfd[0]);
    kill(child, SIGKILL);
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
        ;
    return e;
}

int server_stop(pid_t pid, double *cpu_s)
{
    struct rusage ru;
    int st;
    pid_t r;

    if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
        return -errno;
    double until = clock_now() + 5.0, nap = 0.0002;
    while ((r = wait4(pid, &st, WNOHANG, &ru)) == 0 || (r < 0 && errno == EINTR)) {
        if (clock_now() > until) {
            kill(pid, SIGKILL);
            while ((r = wait4(pid, &st, 0, &ru)) < 0 && errno == EINTR)
                ;
            break;
        }
        struct timespec ts = clock_timespec(nap);
        nanosleep(&ts, NULL);
        if (nap < 0.05)
            nap *= 2;
    }
    if (r < 0)
        return -errno;
    if (cpu_s)
        *cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}
