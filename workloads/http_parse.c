/* http_parse.c — the bounded incremental HTTP/1.1 request-head parser (see http_parse.h). */
#include "workloads/http_parse.h"

#include <string.h>

enum { ST_REQUEST_LINE = 0, ST_HEADERS, ST_DONE, ST_ERROR };

/* tchar of RFC 9110: "!#$%&'*+-.^_`|~", digits, letters. */
static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 'a' - 'A') : c;
}

/* s[0..n) equals the lower-case word w, ignoring case. */
static bool ieq(const char *s, size_t n, const char *w)
{
    size_t k;
    for (k = 0; k < n && w[k]; k++)
        if (lower((unsigned char)s[k]) != (unsigned char)w[k])
            return false;
    return k == n && w[k] == '\0';
}

static int fail(struct http_parser *p, int status, const char *reason)
{
    p->state = ST_ERROR;
    p->error_status = status;
    p->error_reason = reason;
    return HTTP_PARSE_ERROR;
}

void http_parse_init(struct http_parser *p)
{
    memset(p, 0, sizeof *p);
    p->state = ST_REQUEST_LINE;
}

bool http_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0)
        return false;
    for (size_t k = 0; k < len; k++) {
        unsigned d = (unsigned char)s[k] - '0';
        if (d > 9)
            return false;
        if (d > max || v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* The request target at buf[off..off+n): origin-form, absolute-form or "*". */
static int parse_target(struct http_parser *p, const char *buf, size_t off, size_t n)
{
    const char *t = buf + off;
    size_t path = 0;

    for (size_t k = 0; k < n; k++)
        if ((unsigned char)t[k] < 0x21 || (unsigned char)t[k] > 0x7e || t[k] == '#')
            return fail(p, 400, "bad character in request target");
    if (t[0] == '/') {
        path = 0;
    } else if (n == 1 && t[0] == '*') {
        p->path_off = off;
        p->path_len = 1;
        return 0;
    } else {
        size_t scheme = n >= 7 && ieq(t, 7, "http://") ? 7 : n >= 8 && ieq(t, 8, "https://") ? 8 : 0;
        if (scheme == 0)
            return fail(p, 400, "request target is neither origin-form nor absolute-form");
        path = scheme;
        while (path < n && t[path] != '/' && t[path] != '?')
            path++;
        if (path == scheme)
            return fail(p, 400, "absolute-form target without a host");
    }
    size_t q = path;
    while (q < n && t[q] != '?')
        q++;
    p->path_off = off + path;
    p->path_len = q - path;
    if (q < n) {
        p->query_off = off + q + 1;
        p->query_len = n - q - 1;
    }
    return 0;
}

/* METHOD SP target SP HTTP/x.y, the line being buf[off..off+n) without its end. */
static int parse_request_line(struct http_parser *p, const char *buf, size_t off, size_t n)
{
    const char *s = buf + off;
    size_t m = 0;

    while (m < n && is_tchar((unsigned char)s[m]))
        m++;
    if (m == 0 || m >= n || s[m] != ' ')
        return fail(p, 400, "malformed method");
    p->method_off = off;
    p->method_len = m;
    if (m == 3 && memcmp(s, "GET", 3) == 0)
        p->method = HTTP_METHOD_GET;
    else if (m == 4 && memcmp(s, "HEAD", 4) == 0)
        p->method = HTTP_METHOD_HEAD;
    else
        p->method = HTTP_METHOD_OTHER;

    size_t t0 = m + 1, t1 = t0;
    while (t1 < n && s[t1] != ' ')
        t1++;
    if (t1 == t0 || t1 >= n)
        return fail(p, 400, "malformed request target");
    if (parse_target(p, buf, off + t0, t1 - t0) < 0)
        return HTTP_PARSE_ERROR;

    const char *v = s + t1 + 1;
    size_t vn = n - t1 - 1;
    if (vn != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9')
        return fail(p, 400, "malformed HTTP version");
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
        return fail(p, 505, "unsupported HTTP version");
    p->version_minor = v[7] - '0';
    return 0;
}

/* The comma-separated tokens of a Connection header. */
static void parse_connection(struct http_parser *p, const char *v, size_t n)
{
    size_t k = 0;
    while (k < n) {
        while (k < n && (v[k] == ' ' || v[k] == '\t' || v[k] == ','))
            k++;
        size_t start = k;
        while (k < n && v[k] != ',' && v[k] != ' ' && v[k] != '\t')
            k++;
        if (ieq(v + start, k - start, "close"))
            p->conn_close = true;
        else if (ieq(v + start, k - start, "keep-alive"))
            p->conn_keep_alive = true;
    }
}

static int parse_header(struct http_parser *p, const char *s, size_t n)
{
    size_t c = 0;

    if (s[0] == ' ' || s[0] == '\t')
        return fail(p, 400, "obsolete line folding");
    while (c < n && is_tchar((unsigned char)s[c]))
        c++;
    if (c == 0 || c >= n || s[c] != ':')
        return fail(p, 400, "malformed header line");
    const char *name = s;
    size_t name_len = c;
    size_t v0 = c + 1, v1 = n;
    while (v0 < v1 && (s[v0] == ' ' || s[v0] == '\t'))
        v0++;
    while (v1 > v0 && (s[v1 - 1] == ' ' || s[v1 - 1] == '\t'))
        v1--;
    for (size_t k = v0; k < v1; k++) {
        unsigned char ch = (unsigned char)s[k];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return fail(p, 400, "control character in header value");
    }
    const char *v = s + v0;
    size_t vn = v1 - v0;

    if (ieq(name, name_len, "host")) {
        if (p->seen_host)
            return fail(p, 400, "more than one Host header");
        p->seen_host = true;
    } else if (ieq(name, name_len, "content-length")) {
        uint64_t len;
        if (!http_parse_uint(v, vn, UINT64_MAX / 2, &len))
            return fail(p, 400, "bad Content-Length");
        if (p->seen_length && len != p->content_length)
            return fail(p, 400, "conflicting Content-Length headers");
        p->seen_length = true;
        p->content_length = len;
    } else if (ieq(name, name_len, "transfer-encoding")) {
        return fail(p, 501, "Transfer-Encoding in a request is not supported");
    } else if (ieq(name, name_len, "connection")) {
        parse_connection(p, v, vn);
    }
    return 0;
}

int http_parse(struct http_parser *p, const char *buf, size_t len)
{
    if (p->state == ST_DONE)
        return HTTP_PARSE_DONE;
    if (p->state == ST_ERROR)
        return HTTP_PARSE_ERROR;

    size_t end = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX, from = p->scan;
    while (p->scan < end) {
        const char *nl = memchr(buf + p->scan, '\n', end - p->scan);
        if (!nl) {
            p->scan = end;
            break;
        }
        size_t eol = (size_t)(nl - buf);
        size_t off = p->line_start, n = eol - off;
        if (n > 0 && buf[eol - 1] == '\r')
            n--;
        p->scan = p->line_start = eol + 1;

        if (p->state == ST_REQUEST_LINE) {
            if (n == 0)
                continue;       /* empty lines before the request line */
            if (parse_request_line(p, buf, off, n) < 0)
                return HTTP_PARSE_ERROR;
            p->state = ST_HEADERS;
            continue;
        }
        if (n > 0) {
            if (parse_header(p, buf + off, n) < 0)
                return HTTP_PARSE_ERROR;
            continue;
        }
        /* The empty line: the head is complete. */
        if (p->version_minor == 1 && !p->seen_host)
            return fail(p, 400, "HTTP/1.1 request without Host");
        p->keep_alive = p->version_minor == 1 ? !p->conn_close
                                              : p->conn_keep_alive && !p->conn_close;
        p->head_len = eol + 1;
        p->state = ST_DONE;
        return HTTP_PARSE_DONE;
    }
    /* A partial request line is checked as far as it goes (each byte once), so garbage is
     * refused before its end. */
    if (p->state == ST_REQUEST_LINE) {
        for (size_t k = from > p->line_start ? from : p->line_start; k < end; k++) {
            unsigned char ch = (unsigned char)buf[k];
            if (ch != '\r' && ch != ' ' && (ch < 0x21 || ch > 0x7e))
                return fail(p, 400, "bad character in request line");
        }
    }
    if (len >= HTTP_HEAD_MAX)
        return fail(p, 431, "request head larger than 8 KiB");
    return HTTP_PARSE_MORE;
}

bool http_query_get(const char *q, size_t qlen, const char *name, const char **val, size_t *vlen)
{
    size_t nlen = strlen(name), k = 0;
    bool found = false;

    while (k <= qlen) {
        size_t start = k;
        while (k < qlen && q[k] != '&')
            k++;
        size_t eq = start;
        while (eq < k && q[eq] != '=')
            eq++;
        if (eq - start == nlen && memcmp(q + start, name, nlen) == 0) {
            found = true;
            *val = eq < k ? q + eq + 1 : q + k;
            *vlen = eq < k ? k - eq - 1 : 0;
        }
        k++;
    }
    return found;
}

int http_query_uint(const char *q, size_t qlen, const char *name, uint64_t max, uint64_t *out)
{
    const char *v;
    size_t vn;
    if (!http_query_get(q, qlen, name, &v, &vn))
        return 0;
    return http_parse_uint(v, vn, max, out) ? 1 : -1;
}
