/* utf8.c — UTF-8 validation and repair (see utf8.h). */
#include "runtime/utf8.h"

#include <string.h>

size_t utf8_valid_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2 || c > 0xF4)
        return 0;                       /* continuation, overlong lead (C0, C1) or past F4 */
    size_t n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    /* The second byte's range depends on the lead (RFC 3629's table): no overlong form, no
     * surrogate, nothing past U+10FFFF. */
    unsigned lo = 0x80, hi = 0xBF;
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F;
    else if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if (s[k] < 0x80 || s[k] > 0xBF)
            return 0;
    return n;
}

/* A control character at s (whose valid length is n): C0, DEL, or C1 (C2 80..C2 9F). */
static bool is_control(const unsigned char *s, size_t n)
{
    return (n == 1 && (s[0] < 0x20 || s[0] == 0x7F)) || (n == 2 && s[0] == 0xC2 && s[1] < 0xA0);
}

bool utf8_is_clean(const char *str, unsigned flags)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        size_t n = utf8_valid_len(s);
        if (n == 0 || ((flags & UTF8_NO_CONTROLS) && is_control(s, n)))
            return false;
        s += n;
    }
    return true;
}

/* Calls put(piece, length, arg) for each piece of the repaired text. */
static void walk(const char *str, unsigned flags, void (*put)(const char *, size_t, void *),
                 void *arg)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        size_t n = utf8_valid_len(s);
        if (n == 0) {
            put("\xEF\xBF\xBD", 3, arg);
            s++;
        } else if ((flags & UTF8_NO_CONTROLS) && is_control(s, n)) {
            put("?", 1, arg);
            s += n;
        } else {
            /* A run of clean characters in one piece. */
            const unsigned char *start = s;
            do
                s += n;
            while (*s && (n = utf8_valid_len(s)) != 0 &&
                   !((flags & UTF8_NO_CONTROLS) && is_control(s, n)));
            put((const char *)start, (size_t)(s - start), arg);
        }
    }
}

struct sink {
    char *p;
    size_t len, used;
    bool full;
};

static void put_buf(const char *piece, size_t n, void *arg)
{
    struct sink *b = arg;
    if (b->full)
        return;
    if (b->used + n >= b->len) {
        /* Cut at the last whole character that fits. */
        const unsigned char *s = (const unsigned char *)piece;
        size_t k = 0;
        while (k < n) {
            size_t c = utf8_valid_len(s + k);
            if (c == 0)
                c = 1;
            if (b->used + k + c >= b->len)
                break;
            k += c;
        }
        memcpy(b->p + b->used, piece, k);
        b->used += k;
        b->full = true;
        return;
    }
    memcpy(b->p + b->used, piece, n);
    b->used += n;
}

char *utf8_sanitize(const char *s, char *out, size_t len, unsigned flags)
{
    struct sink b = { out, len, 0, false };
    if (len == 0)
        return out;
    walk(s ? s : "", flags, put_buf, &b);
    out[b.used] = '\0';
    return out;
}

static void put_file(const char *piece, size_t n, void *arg)
{
    fwrite(piece, 1, n, arg);
}

void utf8_fputs(const char *s, FILE *f, unsigned flags)
{
    walk(s ? s : "", flags, put_file, f);
}
