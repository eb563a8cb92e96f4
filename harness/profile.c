/* profile.c — reads a sweep or gate profile and expands its `cell` lines (selectors, comma
 * lists, {args}) into cells against this binary's registries; see profiles/README. */
#include "harness/profile.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/catalog.h"
#include "harness/cli.h"
#include "harness/text.h"

#define MAXLIST 64              /* entries of one -w, -m, -n or -j list */
#define MAXTOK 96               /* words of one line */

static const char *const part_names[PROFILE_NPARTS] = {
    "headline", "tasks", "concurrency", "overhead", "timeline", "user", "gate",
};

const char *profile_part_name(int part)
{
    return part >= 0 && part < PROFILE_NPARTS ? part_names[part] : "?";
}

/* Options of `run` itself that a cell may carry (the workload's and the model's come from
 * their tables). */
static const char *const run_opts[] = { "timeout-ms", "chunk", "inject-overhead-pct", NULL };

struct ctx {
    struct profile *p;
    const char *path;
    unsigned line, cores;
    char *err;
    size_t errlen;
    size_t cap;
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(c->err, c->errlen, "%s:%u: ", c->path, c->line);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < c->errlen)
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int add_note(char **list, unsigned *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int add_note(char **list, unsigned *n, const char *fmt, ...)
{
    va_list ap;
    char buf[320];
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (unsigned k = 0; k < *n; k++)
        if (strcmp(list[k], buf) == 0)
            return 0;
    if (*n == PROFILE_MAX_NOTES)
        return 0;
    if (!(list[*n] = strdup(buf)))
        return -ENOMEM;
    (*n)++;
    return 0;
}

/* ---- selectors ---- */

/* Registered workloads in chart order: kind order, then the workload's own order. */
static int wl_cmp(const void *a, const void *b)
{
    const struct workload *x = *(const struct workload *const *)a;
    const struct workload *y = *(const struct workload *const *)b;
    if (x->kind->order != y->kind->order)
        return x->kind->order < y->kind->order ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static bool known_kind(const char *name)
{
    if (strcmp(name, workload_kind_io.name) == 0 || strcmp(name, workload_kind_cpu.name) == 0)
        return true;
    for (const struct workload *const *w = workloads; *w; w++)
        if (strcmp((*w)->kind->name, name) == 0)
            return true;
    return false;
}

/* An entry of a -w or -m list: a registry entry, or a name this binary lacks. */
struct pick {
    const void *entry;          /* struct workload or struct model; NULL: missing */
    const char *name;           /* points into the line */
};

static int push(struct ctx *c, struct pick *out, unsigned *n, const void *e, const char *name)
{
    for (unsigned k = 0; k < *n; k++)
        if (e ? out[k].entry == e : !out[k].entry && strcmp(out[k].name, name) == 0)
            return 0;
    if (*n == MAXLIST)
        return fail(c, "more than %d entries in one list", MAXLIST);
    out[*n].entry = e;
    out[(*n)++].name = name;
    return 0;
}

static int pick_workloads(struct ctx *c, char *list, struct pick *out, unsigned *n)
{
    char *save = NULL;
    *n = 0;
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (t[0] != '@') {
            int e = push(c, out, n, workload_find(t), t);
            if (e < 0)
                return e;
            continue;
        }
        bool all = strcmp(t, "@all") == 0;
        if (!all && !known_kind(t + 1))
            return fail(c, "unknown workload selector '%s' (@all or a kind: @%s, @%s)", t,
                        workload_kind_io.name, workload_kind_cpu.name);
        const struct workload *sorted[MAXLIST];
        size_t m = 0;
        for (const struct workload *const *w = workloads; *w && m < MAXLIST; w++)
            if (!(*w)->hidden && (all || strcmp((*w)->kind->name, t + 1) == 0))
                sorted[m++] = *w;
        qsort(sorted, m, sizeof sorted[0], wl_cmp);
        for (size_t k = 0; k < m; k++) {
            int e = push(c, out, n, sorted[k], sorted[k]->name);
            if (e < 0)
                return e;
        }
    }
    return *n ? 0 : fail(c, "empty workload list");
}

/* A model attribute by name: 1 or 0, -1 when there is no such attribute. */
static int model_attr(const struct model *m, const char *a, size_t len)
{
    static const char *const names[] = { "serial", "pool", "forks", "cpu_inline", "remote" };
    bool v[] = { m->serial, m->pool, m->forks, m->cpu_inline, m->remote };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strlen(names[k]) == len && strncmp(names[k], a, len) == 0)
            return v[k];
    return -1;
}

/* Does m satisfy "@all" or "@[!]ATTR[+[!]ATTR...]"? -1: a bad selector. */
static int model_matches(const struct model *m, const char *sel)
{
    if (strcmp(sel, "@all") == 0)
        return 1;
    const char *s = sel + 1;
    int ok = 1;
    for (;;) {
        bool neg = *s == '!';
        s += neg;
        size_t len = strcspn(s, "+");
        int v = len ? model_attr(m, s, len) : -1;
        if (v < 0)
            return -1;
        if (v == neg)
            ok = 0;
        if (!s[len])
            return ok;
        s += len + 1;
    }
}

static int model_cmp(const void *a, const void *b)
{
    const struct model *x = *(const struct model *const *)a, *y = *(const struct model *const *)b;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int pick_models(struct ctx *c, char *list, struct pick *out, unsigned *n)
{
    char *save = NULL;
    *n = 0;
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (t[0] != '@') {
            int e = push(c, out, n, model_find(t), t);
            if (e < 0)
                return e;
            continue;
        }
        const struct model *sorted[MAXLIST];
        size_t m = 0;
        for (const struct model *const *mm = models; *mm && m < MAXLIST; mm++) {
            int v = model_matches(*mm, t);
            if (v < 0)
                return fail(c, "unknown model selector '%s' (@all, or attributes serial, pool, "
                            "forks, cpu_inline, remote, each may be negated with ! and joined "
                            "with +)", t);
            if (v)
                sorted[m++] = *mm;
        }
        qsort(sorted, m, sizeof sorted[0], model_cmp);
        for (size_t k = 0; k < m; k++) {
            int e = push(c, out, n, sorted[k], sorted[k]->name);
            if (e < 0)
                return e;
        }
    }
    return *n ? 0 : fail(c, "empty model list");
}

/* "1,10,100" (and "cores" when allow_cores). */
static int pick_numbers(struct ctx *c, const char *flag, char *list, bool allow_cores,
                        unsigned *out, unsigned *n)
{
    char *save = NULL;
    *n = 0;
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (allow_cores && strcmp(t, "cores") == 0)
            v = c->cores ? c->cores : 1;
        else if (!cli_parse_uint(t, 1, UINT_MAX, &v))
            return fail(c, "%s: '%s' is not a positive number%s", flag, t,
                        allow_cores ? " or 'cores'" : "");
        if (*n == MAXLIST)
            return fail(c, "%s: more than %d values", flag, MAXLIST);
        out[(*n)++] = (unsigned)v;
    }
    return *n ? 0 : fail(c, "%s: empty list", flag);
}

/* ---- one cell line ---- */

static bool in_table(const struct wopt *t, const char *name, const struct wopt **o)
{
    *o = wopt_find(t, name);
    return *o != NULL;
}

/* The line's other arguments for workload w and model m: {args} and {conc_args} expanded,
 * options neither w, m nor `run` declares left out (and noted). */
static int cell_args(struct ctx *c, char **rest, int nrest, const struct workload *w,
                     const struct model *m, char *out, size_t len)
{
    const struct workload_sweep *sw = &w->sweep[c->p->scale];
    char text[1024] = "";
    for (int k = 0; k < nrest; k++) {
        const char *t = rest[k];
        if (strcmp(t, "{args}") == 0)
            t = sw->args ? sw->args : "";
        else if (strcmp(t, "{conc_args}") == 0)
            t = sw->conc_args ? sw->conc_args : sw->args ? sw->args : "";
        if (*t)
            str_append(text, sizeof text, "%s%s", text[0] ? " " : "", t);
    }
    char *save = NULL;
    out[0] = '\0';
    for (char *t = strtok_r(text, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        char name[64];
        const struct wopt *o = NULL;
        bool value = false, known = false;
        if (t[0] == '-' && t[1] == '-') {
            snprintf(name, sizeof name, "%.*s", (int)strcspn(t + 2, "="), t + 2);
            known = in_table(w->opts, name, &o) || in_table(m->opts, name, &o);
            for (const char *const *r = run_opts; !known && *r; r++)
                if (strcmp(*r, name) == 0)
                    known = value = true;
            if (o)
                value = o->type != WOPT_FLAG;
            if (strchr(t, '='))
                value = false;
        }
        if (!known) {
            /* Left out, with its value. */
            if (save && *save && *save != '-')
                strtok_r(NULL, " ", &save);
            int e = add_note(c->p->notes, &c->p->nnotes, "%s and %s have no option %s: left "
                             "out of their cells", w->name, m->name, t);
            if (e < 0)
                return e;
            continue;
        }
        str_append(out, len, "%s%s", out[0] ? " " : "", t);
        char *v = value ? strtok_r(NULL, " ", &save) : NULL;
        if (v)
            str_append(out, len, " %s", v);
        else if (value)
            return fail(c, "option %s needs a value", t);
    }
    if (strlen(out) + 1 >= len)
        return fail(c, "the arguments of a cell are too long (at most %zu characters)", len - 1);
    return 0;
}

/* NAME with {w} {m} {n} {j} filled in; "-": W-M-nN-jJ. */
static void cell_name(const char *tmpl, const struct profile_cell *cell, char *out, size_t len)
{
    if (strcmp(tmpl, "-") == 0)
        tmpl = "{w}-{m}-n{n}-j{j}";
    out[0] = '\0';
    for (const char *s = tmpl; *s; s++) {
        if (s[0] == '{' && s[1] && s[2] == '}' && strchr("wmnj", s[1])) {
            switch (s[1]) {
            case 'w': str_append(out, len, "%s", cell->w->name); break;
            case 'm': str_append(out, len, "%s", cell->m->name); break;
            case 'n': str_append(out, len, "%u", cell->tasks); break;
            case 'j': str_append(out, len, "%u", cell->concurrency); break;
            }
            s += 2;
        } else {
            str_append(out, len, "%c", *s);
        }
    }
}

/* Adds the cell unless the profile has it already (a serial model under -j 1,2,4: one cell). */
static int add_cell(struct ctx *c, const struct profile_cell *cell)
{
    struct profile *p = c->p;
    for (size_t k = 0; k < p->ncells; k++) {
        const struct profile_cell *o = &p->cells[k];
        if (o->part == cell->part && o->w == cell->w && o->m == cell->m &&
            o->tasks == cell->tasks && o->jobs == cell->jobs && !strcmp(o->args, cell->args))
            return 0;
    }
    if (p->ncells == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct profile_cell *n = realloc(p->cells, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        p->cells = n;
        c->cap = cap;
    }
    p->cells[p->ncells++] = *cell;
    return 0;
}

/* "cell PART NAME RUNARGS..." */
static int cell_line(struct ctx *c, char **tok, int ntok)
{
    if (ntok < 3)
        return fail(c, "expected 'cell PART NAME RUN-ARGUMENTS...'");
    int part = -1;
    for (int k = 0; k < PROFILE_NPARTS; k++)
        if (strcmp(tok[1], part_names[k]) == 0)
            part = k;
    if (part < 0)
        return fail(c, "unknown part '%s' (headline, tasks, concurrency, overhead, timeline, "
                    "user, gate)", tok[1]);
    const char *tmpl = tok[2];
    char *wl = NULL, *ml = NULL, *nl = NULL, *jl = NULL, *rest[MAXTOK];
    int nrest = 0;
    for (int k = 3; k < ntok; k++) {
        char **slot = NULL;
        const char *t = tok[k];
        if (!strcmp(t, "-w") || !strcmp(t, "--workload"))
            slot = &wl;
        else if (!strcmp(t, "-m") || !strcmp(t, "--model"))
            slot = &ml;
        else if (!strcmp(t, "-n") || !strcmp(t, "--tasks"))
            slot = &nl;
        else if (!strcmp(t, "-j") || !strcmp(t, "--concurrency"))
            slot = &jl;
        else if (!strcmp(t, "--json"))
            continue;           /* the sweep and the gate add it */
        if (!slot) {
            rest[nrest++] = tok[k];
            continue;
        }
        if (*slot)
            return fail(c, "%s given twice", t);
        if (k + 1 == ntok)
            return fail(c, "%s needs a value", t);
        *slot = tok[++k];
    }
    if (!wl || !ml || !nl)
        return fail(c, "a cell needs -w, -m and -n");

    struct pick ws[MAXLIST], ms[MAXLIST];
    unsigned nw, nm, nn, nj = 1, ns[MAXLIST], js[MAXLIST] = { 0 };
    int e;
    if ((e = pick_workloads(c, wl, ws, &nw)) < 0 || (e = pick_models(c, ml, ms, &nm)) < 0 ||
        (e = pick_numbers(c, "-n", nl, false, ns, &nn)) < 0 ||
        (jl && (e = pick_numbers(c, "-j", jl, true, js, &nj)) < 0))
        return e;

    size_t first = c->p->ncells;
    for (unsigned a = 0; a < nw; a++)
        for (unsigned b = 0; b < nm; b++) {
            const struct workload *w = ws[a].entry;
            const struct model *m = ms[b].entry;
            if (!w || !m) {
                e = add_note(c->p->skipped, &c->p->nskipped, "%s x %s: %s %s not registered",
                             ws[a].name, ms[b].name, w ? "model" : "workload",
                             w ? ms[b].name : ws[a].name);
                if (e < 0)
                    return e;
                continue;
            }
            if (w->shared_state && m->remote) {
                e = add_note(c->p->skipped, &c->p->nskipped, "%s x %s: %s's tasks share memory, "
                             "%s's may run on other hosts", w->name, m->name, w->name, m->name);
                if (e < 0)
                    return e;
                continue;
            }
            for (unsigned x = 0; x < nn; x++)
                for (unsigned y = 0; y < nj; y++) {
                    struct profile_cell cell = { .part = part, .line = c->line, .w = w, .m = m,
                                                 .tasks = ns[x] };
                    cell.jobs = m->conc == MODEL_CONC_ONE ? 0 : js[y];
                    cell.concurrency = model_concurrency(m, cell.tasks, cell.jobs, c->cores);
                    if ((e = cell_args(c, rest, nrest, w, m, cell.args, sizeof cell.args)) < 0)
                        return e;
                    catalog_params(w, m, cell.args, cell.params, sizeof cell.params);
                    cell_name(tmpl, &cell, cell.name, sizeof cell.name);
                    if ((e = add_cell(c, &cell)) < 0)
                        return e;
                }
        }
    /* A name that is not made from the key must name one cell. */
    if (strcmp(tmpl, "-") != 0) {
        if (c->p->ncells - first > 1 && !strchr(tmpl, '{'))
            return fail(c, "the name '%s' would name %zu cells: use '-' or {w} {m} {n} {j}",
                        tmpl, c->p->ncells - first);
        for (size_t k = first; k < c->p->ncells; k++)
            for (size_t i = 0; i < k; i++)
                if (strcmp(c->p->cells[i].name, c->p->cells[k].name) == 0)
                    return fail(c, "cell name '%s' already used on line %u",
                                c->p->cells[k].name, c->p->cells[i].line);
    }
    return 0;
}

/* ---- the file ---- */

static int split(char *s, char **tok, int max)
{
    int n = 0;
    for (char *save = NULL, *t = strtok_r(s, " \t\r", &save); t;
         t = strtok_r(NULL, " \t\r", &save)) {
        if (n == max)
            return -1;
        tok[n++] = t;
    }
    return n;
}

/* Directives first (scale decides what {args} expands to), then the cell lines. */
static int parse_pass(struct ctx *c, const char *text, bool cells)
{
    unsigned seen[4] = { 0 };
    const char *s = text;
    for (c->line = 1; *s; c->line++) {
        size_t len = strcspn(s, "\n");
        char line[2048], *tok[MAXTOK];
        if (len >= sizeof line)
            return fail(c, "line too long");
        memcpy(line, s, len);
        line[len] = '\0';
        s += len + (s[len] == '\n');
        line[strcspn(line, "#")] = '\0';
        int n = split(line, tok, MAXTOK);
        if (n < 0)
            return fail(c, "too many words");
        if (n == 0)
            continue;
        static const char *const dirs[] = { "runs", "hyperfine", "scale", "note" };
        int d = -1;
        for (int k = 0; k < 4; k++)
            if (strcmp(tok[0], dirs[k]) == 0)
                d = k;
        if (strcmp(tok[0], "cell") == 0) {
            int e = cells ? cell_line(c, tok, n) : 0;
            if (e < 0)
                return e;
            continue;
        }
        if (d < 0)
            return fail(c, "unknown directive '%s' (runs, hyperfine, scale, note, cell)",
                        tok[0]);
        if (cells)
            continue;
        if (d < 3 && seen[d])
            return fail(c, "'%s' given twice (first on line %u)", tok[0], seen[d]);
        seen[d] = c->line;
        if (d == 3) {
            char buf[512] = "";
            for (int k = 1; k < n; k++)
                str_append(buf, sizeof buf, "%s%s", k > 1 ? " " : "", tok[k]);
            if (add_note(c->p->notes, &c->p->nnotes, "%s", buf) < 0)
                return -ENOMEM;
            continue;
        }
        if (n != 2)
            return fail(c, "'%s' takes one value", tok[0]);
        uint64_t v;
        if (d == 0 && !cli_parse_uint(tok[1], 1, 100000, &v))
            return fail(c, "runs: '%s' is not a number from 1 to 100000", tok[1]);
        if (d == 0)
            c->p->runs = (unsigned)v;
        if (d == 1 && strcmp(tok[1], "on") && strcmp(tok[1], "off"))
            return fail(c, "hyperfine: 'on' or 'off', not '%s'", tok[1]);
        if (d == 1)
            c->p->hyperfine = strcmp(tok[1], "on") == 0;
        if (d == 2 && strcmp(tok[1], "quick") && strcmp(tok[1], "default"))
            return fail(c, "scale: 'quick' or 'default', not '%s'", tok[1]);
        if (d == 2)
            c->p->scale = strcmp(tok[1], "quick") == 0 ? WL_SCALE_QUICK : WL_SCALE_DEFAULT;
    }
    return 0;
}

int profile_parse(const char *text, const char *path, unsigned cores, struct profile *p,
                  char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    str_copy(p->path, sizeof p->path, path);
    p->scale = WL_SCALE_DEFAULT;
    struct ctx c = { .p = p, .path = path, .cores = cores ? cores : 1, .err = err,
                     .errlen = errlen };
    int e = parse_pass(&c, text, false);
    if (e == 0)
        e = parse_pass(&c, text, true);
    if (e == 0 && p->ncells == 0 && p->nskipped == 0) {
        c.line--;
        e = fail(&c, "no cells");
    }
    if (e == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    return e;
}

void profile_free(struct profile *p)
{
    free(p->cells);
    for (unsigned k = 0; k < p->nnotes; k++)
        free(p->notes[k]);
    for (unsigned k = 0; k < p->nskipped; k++)
        free(p->skipped[k]);
    memset(p, 0, sizeof *p);
}

int profile_cell_argv(const struct profile_cell *c, char **argv, int max)
{
    char text[512], *save = NULL;
    int n = 0;
    snprintf(text, sizeof text, "-w %s -m %s -n %u", c->w->name, c->m->name, c->tasks);
    if (c->jobs)
        str_append(text, sizeof text, " -j %u", c->jobs);
    if (c->args[0])
        str_append(text, sizeof text, " %s", c->args);
    for (char *t = strtok_r(text, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (n == max || !(argv[n] = strdup(t))) {
            while (n > 0)
                free(argv[--n]);
            return -1;
        }
        n++;
    }
    return n;
}
