/* http_parse.h — a bounded, incremental HTTP/1.1 request-head parser: pure functions, no I/O.
 *
 * The caller keeps the bytes of one request in a buffer that only grows at the end (it may move
 * between calls, its prefix may not change) and calls http_parse() after every read with the
 * whole buffer so far. The parser remembers how far it has looked, so feeding a head one byte at
 * a time costs O(length), not O(length^2). Each line is checked as soon as it is complete, so a
 * malformed request line is refused before its headers arrive. Field positions are offsets into
 * the caller's buffer, so the parser holds no pointer into it and allocates nothing.
 *
 * What it accepts (RFC 9112, strictly where it matters for request smuggling):
 * - request line: METHOD SP request-target SP HTTP/1.0|HTTP/1.1, single spaces; the target is
 *   origin-form ("/path?query") or absolute-form ("http://host/path"); visible ASCII only;
 * - lines end in CRLF or a bare LF; empty lines before the request line are skipped;
 * - headers: token ":" OWS value OWS; no whitespace before the colon, no obs-fold, no control
 *   characters but HTAB in values;
 * - HTTP/1.1 needs exactly one Host; Content-Length digits only (duplicates must agree);
 *   Transfer-Encoding on a request is refused with 501 (no request bodies but Content-Length);
 * - the head (request line, headers, the empty line, and any empty lines before it) is at most
 *   HTTP_HEAD_MAX bytes; beyond that: 431.
 * Keep-alive: HTTP/1.1 keeps the connection unless "Connection: close"; HTTP/1.0 closes it unless
 * "Connection: keep-alive". */
#ifndef CONCBENCH_HTTP_PARSE_H
#define CONCBENCH_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 8192          /* bytes of request head accepted; more is 431 */

enum http_method {
    HTTP_METHOD_OTHER = 0,          /* a valid token we do not serve */
    HTTP_METHOD_GET,
    HTTP_METHOD_HEAD,
};

enum http_parse_result {
    HTTP_PARSE_MORE = 0,            /* the head is not complete yet: read more, call again */
    HTTP_PARSE_DONE = 1,            /* a complete head: see the request fields */
    HTTP_PARSE_ERROR = -1,          /* refused: answer p->error_status and close */
};

/* Parser state and, once HTTP_PARSE_DONE, the request. Zero it (http_parse_init) per request. */
struct http_parser {
    /* state (private) */
    size_t scan;                    /* bytes looked at so far */
    size_t line_start;              /* offset of the current line */
    int state;                      /* request line, headers, done, error */
    bool seen_host, seen_length;
    bool conn_close, conn_keep_alive; /* Connection: tokens seen */
    /* the request, valid once HTTP_PARSE_DONE */
    enum http_method method;
    size_t method_off, method_len;  /* the method token as sent */
    size_t path_off, path_len;      /* path, without the query (empty: absolute-form
                                       target without a path, meaning "/") */
    size_t query_off, query_len;    /* after '?', without it; 0 length when absent */
    int version_minor;              /* 0 or 1 (HTTP/1.x) */
    bool keep_alive;                /* the connection may carry another request */
    uint64_t content_length;        /* body bytes after the head (to skip); 0 when none */
    size_t head_len;                /* bytes of the head, the final empty line included */
    /* on HTTP_PARSE_ERROR */
    int error_status;               /* 400, 431, 501 or 505 */
    const char *error_reason;       /* a short static text, for logs and tests */
};

/* Reset p for a new request. */
void http_parse_init(struct http_parser *p);

/* Parse as much of buf[0..len) as is new since the last call. Returns HTTP_PARSE_MORE,
 * HTTP_PARSE_DONE (the head is buf[0..p->head_len), anything after it belongs to the body or the
 * next request) or HTTP_PARSE_ERROR (p->error_status says what to answer). Once DONE or ERROR,
 * further calls return the same. Pure: any thread, no allocation, no I/O. */
int http_parse(struct http_parser *p, const char *buf, size_t len);

/* Find parameter `name` in a query string "a=1&b=2" (no percent-decoding; a key without '='
 * has an empty value). The last occurrence wins. Returns true and sets *val, *vlen when found. */
bool http_query_get(const char *q, size_t qlen, const char *name, const char **val, size_t *vlen);

/* Parameter `name` as a decimal number in [0, max]. Returns 1 and sets *out when present and
 * valid, 0 when absent (*out untouched), -1 when present but not a number in range. */
int http_query_uint(const char *q, size_t qlen, const char *name, uint64_t max, uint64_t *out);

/* A decimal number in s[0..len), digits only, at most max. True on success. */
bool http_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out);

#endif
