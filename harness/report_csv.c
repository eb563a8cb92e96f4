/* report_csv.c — the report's CSV table: read with a header line, columns by name, add and set
 * fields, write back (summary.csv, runs.csv, timeline.csv). */
#include "harness/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/text.h"

#define CSV_MAX_FIELDS 128

/* Split one line in place into fields: commas separate; a field in double quotes may hold
 * commas, and "" inside it is one quote. Returns the number of fields (at most max). */
static size_t csv_split(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            break;
        if (*p == '"') {
            char *w = ++p;
            f[n++] = w;
            while (*p && !(*p == '"' && p[1] != '"')) {
                if (*p == '"')
                    p++;
                *w++ = *p++;
            }
            if (*p == '"')
                p++;
            *w = '\0';
            char *comma = strchr(p, ',');
            if (!comma)
                break;
            p = comma + 1;
        } else {
            f[n++] = p;
            char *comma = strchr(p, ',');
            if (!comma)
                break;
            *comma = '\0';
            p = comma + 1;
        }
    }
    return n;
}

void csv_free(struct csv *c)
{
    for (size_t r = 0; r < c->nrows; r++) {
        for (size_t k = 0; k < c->ncols; k++)
            free(c->rows[r][k]);
        free(c->rows[r]);
    }
    for (size_t k = 0; k < c->ncols; k++)
        free(c->head[k]);
    free(c->rows);
    free(c->head);
    memset(c, 0, sizeof *c);
}

int csv_load(const char *path, struct csv *c)
{
    char *text, *save = NULL;
    int rc = text_slurp(path, 0, &text, NULL);
    memset(c, 0, sizeof *c);
    if (rc)
        return rc;
    size_t cap = 0;
    char *fields[CSV_MAX_FIELDS];
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = '\0';
        if (l == 0)
            continue;
        size_t nf = csv_split(line, fields, CSV_MAX_FIELDS);
        if (!c->head) {
            c->head = calloc(nf, sizeof *c->head);
            if (!c->head)
                goto nomem;
            c->ncols = nf;
            for (size_t k = 0; k < nf; k++)
                if (!(c->head[k] = strdup(fields[k])))
                    goto nomem;
            continue;
        }
        if (c->nrows == cap) {
            cap = cap ? cap * 2 : 256;
            char ***nr = realloc(c->rows, cap * sizeof *nr);
            if (!nr)
                goto nomem;
            c->rows = nr;
        }
        char **row = calloc(c->ncols, sizeof *row);
        if (!row)
            goto nomem;
        c->rows[c->nrows++] = row;
        for (size_t k = 0; k < c->ncols; k++)
            if (!(row[k] = strdup(k < nf ? fields[k] : "")))
                goto nomem;
    }
    free(text);
    return c->head ? 0 : -EINVAL;
nomem:
    free(text);
    csv_free(c);
    return -ENOMEM;
}

int csv_col(const struct csv *c, const char *name)
{
    for (size_t k = 0; k < c->ncols; k++)
        if (strcmp(c->head[k], name) == 0)
            return (int)k;
    return -1;
}

int csv_add_col(struct csv *c, const char *name)
{
    char **head = realloc(c->head, (c->ncols + 1) * sizeof *head);
    if (!head)
        return -ENOMEM;
    c->head = head;
    if (!(head[c->ncols] = strdup(name)))
        return -ENOMEM;
    for (size_t r = 0; r < c->nrows; r++) {
        char **row = realloc(c->rows[r], (c->ncols + 1) * sizeof *row);
        if (row)
            c->rows[r] = row;
        if (!row || !(row[c->ncols] = strdup(""))) {
            for (size_t k = 0; k < r; k++)      /* rows before r have the new field */
                free(c->rows[k][c->ncols]);
            free(head[c->ncols]);
            return -ENOMEM;
        }
    }
    return (int)c->ncols++;
}

int csv_set(struct csv *c, size_t r, int col, const char *v)
{
    char *copy = strdup(v ? v : "");
    if (!copy)
        return -ENOMEM;
    free(c->rows[r][col]);
    c->rows[r][col] = copy;
    return 0;
}

const char *csv_str(const struct csv *c, size_t r, int col)
{
    return col < 0 ? "" : c->rows[r][col];
}

double csv_num(const struct csv *c, size_t r, int col)
{
    const char *s = csv_str(c, r, col);
    char *end;
    if (!*s)
        return NAN;
    double v = strtod(s, &end);
    return end == s ? NAN : v;
}

unsigned csv_uint(const struct csv *c, size_t r, int col)
{
    double v = csv_num(c, r, col);
    return isfinite(v) && v > 0 ? (unsigned)(v + 0.5) : 0;
}

/* A field, quoted when it holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
    fputc('"', f);
}

void csv_write(const struct csv *c, FILE *f)
{
    for (size_t k = 0; k < c->ncols; k++) {
        if (k)
            fputc(',', f);
        csv_field(f, c->head[k]);
    }
    fputc('\n', f);
    for (size_t r = 0; r < c->nrows; r++) {
        for (size_t k = 0; k < c->ncols; k++) {
            if (k)
                fputc(',', f);
            csv_field(f, c->rows[r][k]);
        }
        fputc('\n', f);
    }
}
