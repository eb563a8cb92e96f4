/* utf8.h — text the tool writes is valid UTF-8, and text for a terminal carries no control
 * bytes.
 *
 * Names and URLs come from the user (file names, --url, --urls lines) and may be any bytes. Every
 * JSON and CSV the tool writes passes them through here: each byte that does not begin a valid
 * UTF-8 sequence (stray continuation bytes, overlong forms, surrogates, code points past
 * U+10FFFF, a sequence cut short) becomes U+FFFD, one per byte, as WHATWG's decoder does. */
#ifndef CONCBENCH_UTF8_H
#define CONCBENCH_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Also replace control characters by '?': C0 (U+0000..U+001F), DEL and C1 (U+0080..U+009F) —
 * for text meant for a terminal, where ESC or CSI would be obeyed. */
#define UTF8_NO_CONTROLS 1u

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0 when the byte at s does not
 * begin one (s[0] must not be NUL). */
size_t utf8_valid_len(const unsigned char *s);
/* True when s is valid UTF-8 (and, with UTF8_NO_CONTROLS, holds no control character). */
bool utf8_is_clean(const char *s, unsigned flags);
/* Copy s into out (len bytes, always NUL-terminated, cut at a character boundary), invalid
 * bytes as U+FFFD (and controls as '?' with UTF8_NO_CONTROLS). Returns out. The CSV writers'
 * helper: utf8_sanitize(name, buf, sizeof buf, 0). A result of at most 3 x strlen(s) + 1
 * bytes is never cut. */
char *utf8_sanitize(const char *s, char *out, size_t len, unsigned flags);
/* Write s to f the same way, without a length limit. */
void utf8_fputs(const char *s, FILE *f, unsigned flags);

#endif
