/* json.c — JSON writer and parser. */
#include "runtime/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/utf8.h"

/* ---- writer ---- */

void json_init(struct json_out *j, FILE *f)
{
    memset(j, 0, sizeof *j);
    j->f = f;
}

static void sep(struct json_out *j)
{
    if (j->need_comma[j->depth])
        fputc(',', j->f);
    j->need_comma[j->depth] = true;
}

static void open_(struct json_out *j, char c)
{
    sep(j);
    fputc(c, j->f);
    if (j->depth + 1 < JSON_MAX_DEPTH)
        j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_(struct json_out *j, char c)
{
    fputc(c, j->f);
    if (j->depth > 0)
        j->depth--;
}

void json_object_begin(struct json_out *j) { open_(j, '{'); }
void json_object_end(struct json_out *j) { close_(j, '}'); }
void json_array_begin(struct json_out *j) { open_(j, '['); }
void json_array_end(struct json_out *j) { close_(j, ']'); }

void json_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':  fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) {
                fprintf(f, "\\u%04x", *p);
            } else if (*p < 0x80) {
                fputc(*p, f);
            } else {
                /* Names and URLs may be any bytes; JSON is UTF-8 (RFC 8259 section 8.1):
                 * a byte that does not begin a valid sequence becomes U+FFFD. */
                size_t n = utf8_valid_len(p);
                if (n == 0) {
                    fputs("\xEF\xBF\xBD", f);
                } else {
                    fwrite(p, 1, n, f);
                    p += n - 1;
                }
            }
        }
    }
    fputc('"', f);
}

void json_key(struct json_out *j, const char *key)
{
    sep(j);
    json_write_string(j->f, key);
    fputc(':', j->f);
    j->need_comma[j->depth] = false;    /* the value follows without a comma */
}

void json_str(struct json_out *j, const char *s)
{
    sep(j);
    if (s)
        json_write_string(j->f, s);
    else
        fputs("null", j->f);
}

void json_uint(struct json_out *j, uint64_t v) { sep(j); fprintf(j->f, "%llu", (unsigned long long)v); }
void json_int(struct json_out *j, int64_t v) { sep(j); fprintf(j->f, "%lld", (long long)v); }
void json_bool(struct json_out *j, bool v) { sep(j); fputs(v ? "true" : "false", j->f); }
void json_null(struct json_out *j) { sep(j); fputs("null", j->f); }

void json_double(struct json_out *j, double v)
{
    sep(j);
    if (isfinite(v))
        fprintf(j->f, "%.9g", v);
    else
        fputs("null", j->f);
}

void json_key_str(struct json_out *j, const char *k, const char *s) { json_key(j, k); json_str(j, s); }
void json_key_uint(struct json_out *j, const char *k, uint64_t v) { json_key(j, k); json_uint(j, v); }
void json_key_int(struct json_out *j, const char *k, int64_t v) { json_key(j, k); json_int(j, v); }
void json_key_double(struct json_out *j, const char *k, double v) { json_key(j, k); json_double(j, v); }
void json_key_bool(struct json_out *j, const char *k, bool v) { json_key(j, k); json_bool(j, v); }

/* ---- parser ---- */

struct parser {
    const char *start, *p, *end;
    char *err;
    size_t errlen;
    int depth;
};

static bool fail(struct parser *ps, const char *what)
{
    if (ps->err && ps->err[0] == '\0')
        snprintf(ps->err, ps->errlen, "%s at offset %td", what, ps->p - ps->start);
    return false;
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static bool parse_value(struct parser *ps, struct json_value *v);

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool parse_hex4(struct parser *ps, unsigned *out)
{
    unsigned v = 0;
    if (ps->end - ps->p < 4)
        return fail(ps, "short \\u escape");
    for (int k = 0; k < 4; k++) {
        int h = hexval(ps->p[k]);
        if (h < 0)
            return fail(ps, "bad \\u escape");
        v = v << 4 | (unsigned)h;
    }
    ps->p += 4;
    *out = v;
    return true;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F)); return 4;
}

static bool parse_string(struct parser *ps, char **out)
{
    ps->p++;    /* opening quote */
    const char *start = ps->p;
    /* The unescaped text is never longer than the escaped one. */
    while (ps->p < ps->end && *ps->p != '"') {
        if (*ps->p == '\\')
            ps->p++;
        ps->p++;
    }
    if (ps->p >= ps->end)
        return fail(ps, "unterminated string");
    char *s = malloc((size_t)(ps->p - start) + 1), *o = s;
    if (!s)
        return fail(ps, "out of memory");
    const char *q = start;
    ps->p = start;
    while (*q != '"') {
        unsigned char c = (unsigned char)*q++;
        if (c < 0x20) {
            free(s);
            return fail(ps, "control character in string");
        }
        if (c >= 0x80) {
            /* RFC 8259 section 8.1: JSON text is UTF-8; anything else is refused. */
            size_t n = utf8_valid_len((const unsigned char *)q - 1);
            if (n == 0 || (size_t)(ps->end - (q - 1)) < n) {
                free(s);
                ps->p = q - 1;
                return fail(ps, "invalid UTF-8 in string");
            }
            memcpy(o, q - 1, n);
            o += n;
            q += n - 1;
            continue;
        }
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        char e = *q++;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            ps->p = q;
            if (!parse_hex4(ps, &cp)) { free(s); return false; }
            q = ps->p;
            if (cp >= 0xD800 && cp < 0xDC00 && ps->end - q >= 6 && q[0] == '\\' && q[1] == 'u') {
                ps->p = q + 2;
                if (!parse_hex4(ps, &lo)) { free(s); return false; }
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    q = ps->p;
                }
            }
            o += put_utf8(o, cp);
            break;
        }
        default:
            free(s);
            return fail(ps, "bad escape");
        }
    }
    *o = '\0';
    ps->p = q + 1;
    *out = s;
    return true;
}

static bool parse_number(struct parser *ps, struct json_value *v)
{
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-') ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return fail(ps, "bad number");
    while (ps->p < ps->end && ((*ps->p >= '0' && *ps->p <= '9') || *ps->p == '.' || *ps->p == 'e'
                               || *ps->p == 'E' || *ps->p == '+' || *ps->p == '-'))
        ps->p++;
    char buf[64];
    size_t n = (size_t)(ps->p - s);
    if (n >= sizeof buf)
        return fail(ps, "number too long");
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *endp;
    v->type = JSON_NUMBER;
    v->number = strtod(buf, &endp);
    if (*endp)
        return fail(ps, "bad number");
    return true;
}

static bool literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail(ps, "unexpected token");
    ps->p += n;
    return true;
}

static bool grow(struct json_value *v, size_t *cap, bool keys)
{
    if (v->n < *cap)
        return true;
    size_t nc = *cap ? *cap * 2 : 4;
    struct json_value *it = realloc(v->items, nc * sizeof *it);
    if (!it)
        return false;
    v->items = it;
    if (keys) {
        char **k = realloc(v->keys, nc * sizeof *k);
        if (!k)
            return false;
        v->keys = k;
    }
    *cap = nc;
    return true;
}

static bool parse_container(struct parser *ps, struct json_value *v, bool object)
{
    size_t cap = 0;
    char close = object ? '}' : ']';

    if (++ps->depth > 64)
        return fail(ps, "nested too deep");
    v->type = object ? JSON_OBJECT : JSON_ARRAY;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return true;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"')
                return fail(ps, "expected a key");
            if (!parse_string(ps, &key))
                return false;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                return fail(ps, "expected ':'");
            }
            ps->p++;
        }
        if (!grow(v, &cap, object)) {
            free(key);
            return fail(ps, "out of memory");
        }
        memset(&v->items[v->n], 0, sizeof v->items[0]);
        if (object)
            v->keys[v->n] = key;
        v->n++;
        if (!parse_value(ps, &v->items[v->n - 1]))
            return false;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            ps->depth--;
            return true;
        }
        return fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static bool parse_value(struct parser *ps, struct json_value *v)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "unexpected end");
    switch (*ps->p) {
    case '{': return parse_container(ps, v, true);
    case '[': return parse_container(ps, v, false);
    case '"': v->type = JSON_STRING; return parse_string(ps, &v->string);
    case 't': v->type = JSON_BOOL; v->boolean = true; return literal(ps, "true");
    case 'f': v->type = JSON_BOOL; v->boolean = false; return literal(ps, "false");
    case 'n': v->type = JSON_NULL; return literal(ps, "null");
    default: return parse_number(ps, v);
    }
}

static void free_inner(struct json_value *v)
{
    for (size_t k = 0; k < v->n; k++) {
        free_inner(&v->items[k]);
        if (v->keys)
            free(v->keys[k]);
    }
    free(v->items);
    free(v->keys);
    free(v->string);
}

void json_free(struct json_value *v)
{
    if (v) {
        free_inner(v);
        free(v);
    }
}

struct json_value *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct parser ps = { text, text, text + len, err, errlen, 0 };
    struct json_value *v = calloc(1, sizeof *v);

    if (err && errlen)
        err[0] = '\0';
    if (!v)
        return NULL;
    bool ok = parse_value(&ps, v);
    if (ok) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            ok = fail(&ps, "trailing characters");
    }
    if (!ok) {
        json_free(v);
        return NULL;
    }
    return v;
}

const struct json_value *json_get(const struct json_value *v, const char *key)
{
    if (!v || v->type != JSON_OBJECT)
        return NULL;
    for (size_t k = 0; k < v->n; k++)
        if (strcmp(v->keys[k], key) == 0)
            return &v->items[k];
    return NULL;
}
