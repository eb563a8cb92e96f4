/* json.h — a streaming JSON writer and a small DOM parser (RFC 8259), for records and tests. */
#ifndef CONCBENCH_JSON_H
#define CONCBENCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- writer: one object or array at a time, commas handled for you ---- */

#define JSON_MAX_DEPTH 16
struct json_out {
    FILE *f;
    int depth;
    bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json_out *j, FILE *f);
void json_object_begin(struct json_out *j);
void json_object_end(struct json_out *j);
void json_array_begin(struct json_out *j);
void json_array_end(struct json_out *j);
/* Writes "key": — follow with exactly one value (or object/array). */
void json_key(struct json_out *j, const char *key);
void json_str(struct json_out *j, const char *s);     /* NULL writes null */
void json_uint(struct json_out *j, uint64_t v);
void json_int(struct json_out *j, int64_t v);
void json_double(struct json_out *j, double v);        /* non-finite writes null */
void json_bool(struct json_out *j, bool v);
void json_null(struct json_out *j);
/* key + value in one call. */
void json_key_str(struct json_out *j, const char *key, const char *s);
void json_key_uint(struct json_out *j, const char *key, uint64_t v);
void json_key_int(struct json_out *j, const char *key, int64_t v);
void json_key_double(struct json_out *j, const char *key, double v);
void json_key_bool(struct json_out *j, const char *key, bool v);
/* Write s as a JSON string literal (quotes included) to f. */
void json_write_string(FILE *f, const char *s);

/* ---- parser ---- */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_value {
    enum json_type type;
    bool boolean;
    double number;
    char *string;               /* JSON_STRING: NUL-terminated, unescaped (UTF-8) */
    size_t n;                   /* JSON_ARRAY / JSON_OBJECT: number of items */
    struct json_value *items;   /* array items, or object values */
    char **keys;                /* JSON_OBJECT: keys, parallel to items */
};

/* Parse exactly one JSON value (surrounding whitespace allowed) from text[0..len). Returns a
 * tree to free with json_free, or NULL with a message in err. Nesting is bounded (64). */
struct json_value *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(struct json_value *v);
/* An object's member, or NULL (also when v is not an object). */
const struct json_value *json_get(const struct json_value *v, const char *key);

#endif
