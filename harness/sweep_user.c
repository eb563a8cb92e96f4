/* sweep_user.c — a sweep of the user's own from the command line (-w, -m, --tasks,
 * --concurrency, --set, --run-args): written as profile text (one `cell user` line per workload,
 * model and combination of swept option values) and read by the one profile parser
 * (harness/profile.c), so a user sweep's cells are exactly what the same lines in a profile file
 * would give. Also the parameter_NAME columns of summary.csv. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/catalog.h"
#include "harness/cli.h"
#include "harness/opts.h"
#include "harness/proc.h"
#include "harness/profile.h"
#include "harness/sweep.h"
#include "harness/text.h"
#include "models/model.h"
#include "workloads/workload.h"

#define MAXVALS 64              /* values of one list (the profile's limit too) */
#define MAXPICK 64
#define MAX_USER_CELLS 2000

/* Bounds of `run`'s -n and -j (run's own check stays the last word: a run refuses what it
 * does not take). */
#define TASKS_MAX 10000000
#define CONC_MAX 100000

static int usage(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int usage(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

bool sweep_user_given(const struct sweep_user *u)
{
    return u->workloads || u->models || u->tasks || u->concurrency || u->nsets || u->run_args;
}

/* ---- numbers and ranges ---- */

static bool push_value(uint64_t *out, unsigned *n, unsigned max_n, uint64_t v)
{
    for (unsigned k = 0; k < *n; k++)
        if (out[k] == v)
            return true;
    if (*n == max_n)
        return false;
    out[(*n)++] = v;
    return true;
}

int sweep_parse_range(const char *text, uint64_t min, uint64_t max, unsigned cores,
                      uint64_t *out, unsigned max_n, char *err, size_t errlen)
{
    char copy[512];
    unsigned n = 0;
    if (!text || !*text)
        return usage(err, errlen, "empty list");
    if (strlen(text) >= sizeof copy)
        return usage(err, errlen, "list too long");
    str_copy(copy, sizeof copy, text);
    for (char *item = copy, *next; item; item = next) {
        next = strchr(item, ',');
        if (next)
            *next++ = '\0';
        if (!*item)
            return usage(err, errlen, "'%s': an empty item in the list", text);
        uint64_t a, b, step = 1;
        bool geo = false;
        char *dots = strstr(item, "..");
        if (cores && strcmp(item, "cores") == 0) {
            a = b = cores;
        } else if (!dots) {
            if (!cli_parse_uint(item, 0, UINT64_MAX, &a))
                return usage(err, errlen, "'%s' is not a whole number%s", item,
                             cores ? " or 'cores'" : "");
            b = a;
        } else {
            *dots = '\0';
            char *hi = dots + 2, *op = hi + strcspn(hi, "x+");
            char kind = *op;
            if (kind) {
                *op = '\0';
                if (!cli_parse_uint(op + 1, 0, UINT64_MAX, &step))
                    return usage(err, errlen, "range '%s..%s%c%s': the %s after '%c' is not a "
                                 "whole number", item, hi, kind, op + 1,
                                 kind == 'x' ? "factor" : "step", kind);
                geo = kind == 'x';
            }
            if (!cli_parse_uint(item, 0, UINT64_MAX, &a) || !cli_parse_uint(hi, 0, UINT64_MAX, &b))
                return usage(err, errlen, "range '%s..%s': both ends must be whole numbers "
                             "(A..B, A..B+STEP, A..BxFACTOR)", item, hi);
            if (a > b)
                return usage(err, errlen, "range '%s..%s' goes nowhere: it must go up "
                             "(A..B with A <= B)", item, hi);
            if (geo && step < 2)
                return usage(err, errlen, "range '%s..%sx%llu' goes nowhere: the factor must "
                             "be at least 2", item, hi, (unsigned long long)step);
            if (geo && a == 0)
                return usage(err, errlen, "range '%s..%sx%llu' goes nowhere: a geometric range "
                             "starts at 1 or more", item, hi, (unsigned long long)step);
            if (!geo && step == 0)
                return usage(err, errlen, "range '%s..%s+0' goes nowhere: the step must be at "
                             "least 1", item, hi);
        }
        for (uint64_t v = a;;) {
            if (v < min || v > max)
                return usage(err, errlen, "%llu is out of bounds: from %llu to %llu",
                             (unsigned long long)v, (unsigned long long)min,
                             (unsigned long long)max);
            if (!push_value(out, &n, max_n, v))
                return usage(err, errlen, "'%s': more than %u values", text, max_n);
            uint64_t nx = geo ? v * step : v + step;
            if (nx > b || (geo ? nx / step != v : nx < v))
                break;
            v = nx;
        }
    }
    return (int)n;
}

static void join_values(const uint64_t *v, unsigned n, char *out, size_t len)
{
    out[0] = '\0';
    for (unsigned k = 0; k < n; k++)
        str_append(out, len, "%s%llu", k ? "," : "", (unsigned long long)v[k]);
}

/* ---- workloads and models ---- */

static void known_workloads(char *out, size_t len)
{
    out[0] = '\0';
    for (const struct workload *const *w = workloads; *w; w++)
        if (!(*w)->hidden)
            str_append(out, len, "%s%s", out[0] ? ", " : "", (*w)->name);
}

static void known_models(char *out, size_t len)
{
    out[0] = '\0';
    for (const struct model *const *m = models; *m; m++)
        str_append(out, len, "%s%s", out[0] ? ", " : "", (*m)->name);
}

/* Text that goes into a profile line must be one word of names and selectors. */
static bool plain_list(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_-.,@!+", *s))
            return false;
    return true;
}

/* The workloads and models -w and -m select, expanded by the profile parser (selectors,
 * chart order). */
static int expand_pairs(const struct sweep_user *u, unsigned cores,
                        const struct workload **ws, unsigned *nw, const struct model **ms,
                        unsigned *nm, char *err, size_t errlen)
{
    const char *wl = u->workloads, *ml = u->models ? u->models : "@all";
    char known[512], text[2048], perr[512];
    if (!wl)
        return usage(err, errlen, "a sweep of your own needs -w WORKLOADS (workloads: %s)",
                     (known_workloads(known, sizeof known), known));
    const char *lists[2] = { wl, ml };
    for (int k = 0; k < 2; k++) {
        const char *l = lists[k];
        if (!*l || strspn(l, ",") == strlen(l))
            return usage(err, errlen, "-%c: empty list", k ? 'm' : 'w');
        if (!plain_list(l) || strstr(l, ",,") || l[strlen(l) - 1] == ',' || l[0] == ',')
            return usage(err, errlen, "-%c '%s': names (or @selectors) joined by commas, "
                         "nothing else", k ? 'm' : 'w', l);
    }
    snprintf(text, sizeof text, "cell user - -w %s -m %s -n 1\n", wl, ml);
    struct profile p;
    int e = profile_parse(text, "-w/-m", cores, &p, perr, sizeof perr);
    if (e == -EINVAL) {
        /* "-w/-m:1: reason" */
        const char *why = strstr(perr, ": ");
        usage(err, errlen, "%s", why ? why + 2 : perr);
    }
    if (e == 0 && p.nskipped) {
        /* A name this binary lacks: say which, and what there is. */
        for (const char *t = wl; *t; t += strcspn(t, ",") + (t[strcspn(t, ",")] == ',')) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(t, ","), t);
            if (name[0] != '@' && !workload_find(name)) {
                known_workloads(known, sizeof known);
                e = usage(err, errlen, "unknown workload '%s'; workloads: %s", name, known);
                break;
            }
        }
        for (const char *t = ml; e == 0 && *t; t += strcspn(t, ",") + (t[strcspn(t, ",")] == ',')) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(t, ","), t);
            if (name[0] != '@' && !model_find(name)) {
                known_models(known, sizeof known);
                e = usage(err, errlen, "unknown model '%s'; models: %s", name, known);
            }
        }
    }
    *nw = *nm = 0;
    for (size_t k = 0; e == 0 && k < p.ncells; k++) {
        unsigned i;
        for (i = 0; i < *nw && ws[i] != p.cells[k].w; i++)
            ;
        if (i == *nw && *nw < MAXPICK)
            ws[(*nw)++] = p.cells[k].w;
        for (i = 0; i < *nm && ms[i] != p.cells[k].m; i++)
            ;
        if (i == *nm && *nm < MAXPICK)
            ms[(*nm)++] = p.cells[k].m;
    }
    if (e == 0 && (!*nw || !*nm))
        e = usage(err, errlen, "-w %s -m %s selects no %s", wl, ml, *nw ? "model" : "workload");
    profile_free(&p);
    return e;
}

/* ---- --set ---- */

struct set {
    char name[SWEEP_PARAM_NAME];
    bool list;                  /* numeric: the values are a dimension of the sweep */
    bool flag;
    char *vals[MAXVALS];        /* text of each value */
    unsigned nvals;
    char store[1024];
};

/* The declaration of `name` in w's table, else in m's. */
static const struct wopt *decl_of(const struct workload *w, const struct model *m,
                                  const char *name)
{
    const struct wopt *d = w ? wopt_find(w->opts, name) : NULL;
    return d ? d : m ? wopt_find(m->opts, name) : NULL;
}

static int parse_set(const char *arg, const struct workload *const *ws, unsigned nw,
                     const struct model *const *ms, unsigned nm, struct set *s, char *err,
                     size_t errlen)
{
    size_t nlen = strcspn(arg, "=");
    const char *value = arg[nlen] == '=' ? arg + nlen + 1 : NULL;
    memset(s, 0, sizeof *s);
    if (arg[0] == '-' && arg[1] == '-')
        return usage(err, errlen, "--set '%s': NAME=VALUE, the option's name without its "
                     "dashes (--set sleep-ms=20)", arg);
    if (nlen == 0 || nlen >= sizeof s->name)
        return usage(err, errlen, "--set '%s': NAME=VALUE", arg);
    snprintf(s->name, sizeof s->name, "%.*s", (int)nlen, arg);
    /* Who declares it, and is every value good for each of them? */
    const struct wopt *first = NULL;
    char who[512] = "";
    for (unsigned k = 0; k < nw + nm; k++) {
        const struct wopt *d = k < nw ? wopt_find(ws[k]->opts, s->name)
                                      : wopt_find(ms[k - nw]->opts, s->name);
        if (d && !first)
            first = d;
    }
    if (!first) {
        for (unsigned k = 0; k < nw; k++)
            str_append(who, sizeof who, "%s%s", who[0] ? ", " : "", ws[k]->name);
        char opts[512] = "";
        for (unsigned k = 0; k < nw + nm; k++) {
            const struct wopt *t = k < nw ? ws[k]->opts : ms[k - nw]->opts;
            for (const struct wopt *o = t; o && o->name; o++)
                if (!strstr(opts, o->name))
                    str_append(opts, sizeof opts, "%s--%s", opts[0] ? ", " : "", o->name);
        }
        return usage(err, errlen, "--set %s: no swept workload (%s) or model takes option "
                     "--%s; they take: %s", s->name, who, s->name, opts[0] ? opts : "no option");
    }
    s->flag = first->type == WOPT_FLAG;
    if (s->flag) {
        if (value && strcmp(value, "1") && strcmp(value, "on"))
            return usage(err, errlen, "--set %s: a flag; give it as --set %s (no value)",
                         s->name, s->name);
        s->vals[s->nvals++] = "1";
        return 0;
    }
    if (!value || !*value)
        return usage(err, errlen, "--set %s needs a value: --set %s=VALUE", s->name, s->name);
    if (strlen(value) >= sizeof s->store)
        return usage(err, errlen, "--set %s: value too long", s->name);
    if (strchr(value, ' ') || strchr(value, '\t') || strchr(value, '#'))
        return usage(err, errlen, "--set %s: the value may not hold blanks or '#'", s->name);
    if (first->type == WOPT_STRING) {
        /* One value: a URL holds commas. */
        str_copy(s->store, sizeof s->store, value);
        s->vals[s->nvals++] = s->store;
    } else if (first->type == WOPT_ENUM) {
        /* A list of choices (--set sync=none,mutex) is one more dimension, as a number list. */
        str_copy(s->store, sizeof s->store, value);
        char *save = NULL;
        for (char *t = strtok_r(s->store, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (s->nvals == MAXVALS)
                return usage(err, errlen, "--set %s: too many values", s->name);
            s->vals[s->nvals++] = t;
        }
        if (s->nvals == 0)
            return usage(err, errlen, "--set %s=%s: an empty list", s->name, value);
        s->list = s->nvals > 1;
    } else {
        uint64_t v[MAXVALS];
        char why[256];
        int n = sweep_parse_range(value, 0, UINT64_MAX, 0, v, MAXVALS, why, sizeof why);
        if (n < 0)
            return usage(err, errlen, "--set %s=%s: %s", s->name, value, why);
        size_t used = 0;
        for (int k = 0; k < n; k++) {
            int l = snprintf(s->store + used, sizeof s->store - used, "%llu",
                             (unsigned long long)v[k]);
            if (l < 0 || (size_t)l + 1 > sizeof s->store - used)
                return usage(err, errlen, "--set %s: too many values", s->name);
            s->vals[s->nvals++] = s->store + used;
            used += (size_t)l + 1;
        }
        s->list = s->nvals > 1;
    }
    /* Each value against each declaring entry's own table (bounds may differ). */
    for (unsigned k = 0; k < nw + nm; k++) {
        const struct wopt *d = k < nw ? wopt_find(ws[k]->opts, s->name)
                                      : wopt_find(ms[k - nw]->opts, s->name);
        const char *owner = k < nw ? ws[k]->name : ms[k - nw]->name;
        char why[256];
        for (unsigned i = 0; d && i < s->nvals; i++)
            if (!wopt_check(d, s->vals[i], why, sizeof why))
                return usage(err, errlen, "--set %s: %s (%s %s)", s->name, why,
                             k < nw ? "workload" : "model", owner);
    }
    return 0;
}

/* ---- --run-args ---- */

/* Words of --run-args, checked: run options only (the workload's and model's go through --set,
 * the cell's own -w -m -n -j through the sweep's), and `run ARGS -h` accepts them, so run's own
 * parser judges every value. */
static int check_run_args(const char *args, const char *exe, char *err, size_t errlen)
{
    char copy[256], *argv[40];
    int n = 0;
    if (strlen(args) >= sizeof copy)
        return usage(err, errlen, "--run-args: too long (at most %zu characters)",
                     sizeof copy - 1);
    if (strchr(args, '#') || strchr(args, '{'))
        return usage(err, errlen, "--run-args: '#' and '{' are not allowed");
    str_copy(copy, sizeof copy, args);
    argv[n++] = (char *)exe;
    argv[n++] = "run";
    for (char *save = NULL, *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (n == 36)
            return usage(err, errlen, "--run-args: too many words");
        const char *name = t[0] == '-' && t[1] == '-' ? t + 2 : NULL;
        if (t[0] == '-' && !name)
            return usage(err, errlen, "--run-args '%s': %s is the sweep's to set (-w, -m, "
                         "--tasks, --concurrency)", args, t);
        if (name && (!strcmp(name, "workload") || !strcmp(name, "model") ||
                     !strcmp(name, "tasks") || !strcmp(name, "concurrency") ||
                     !strcmp(name, "json") || !strncmp(name, "ready-fd", 8)))
            return usage(err, errlen, "--run-args '%s': %s is the sweep's to set", args, t);
        for (const struct workload *const *w = workloads; name && *w; w++)
            if (wopt_find((*w)->opts, name))
                return usage(err, errlen, "--run-args '%s': --%s is workload %s's option: give "
                             "it with --set %s=VALUE", args, name, (*w)->name, name);
        for (const struct model *const *m = models; name && *m; m++)
            if (wopt_find((*m)->opts, name))
                return usage(err, errlen, "--run-args '%s': --%s is model %s's option: give it "
                             "with --set %s=VALUE", args, name, (*m)->name, name);
        argv[n++] = t;
    }
    argv[n++] = "-h";
    argv[n] = NULL;
    struct proc_opts o = { .capture_out = true, .timeout_s = 30 };
    struct proc_child ch;
    int e = proc_run(argv, &o, &ch);
    if (e < 0)
        return usage(err, errlen, "--run-args: cannot check them with %s: %s", exe, strerror(-e));
    if (ch.exit_code != 0) {
        const char *msg = ch.err ? ch.err : "";
        const char *colon = strstr(msg, "run: ");
        size_t l = strcspn(colon ? colon + 5 : msg, "\n");
        usage(err, errlen, "--run-args '%s': %.*s", args, (int)(l > 300 ? 300 : l),
              colon ? colon + 5 : msg);
        e = -EINVAL;
    }
    proc_child_free(&ch);
    return e;
}

/* ---- the plan ---- */

/* The line(s) of one (workload, model): one per combination of the values of the --set options
 * either declares. */
static int pair_lines(FILE *f, const struct workload *w, const struct model *m,
                      const struct set *sets, unsigned nsets, const char *tasks,
                      const char *conc, const char *run_args, size_t *ncombos)
{
    unsigned idx[SWEEP_USER_MAX_SETS] = { 0 };
    const struct set *own[SWEEP_USER_MAX_SETS];
    unsigned nown = 0;
    for (unsigned k = 0; k < nsets; k++)
        if (decl_of(w, m, sets[k].name))
            own[nown++] = &sets[k];
    *ncombos = 0;
    for (;;) {
        fprintf(f, "cell user - -w %s -m %s -n %s", w->name, m->name, tasks);
        if (conc)
            fprintf(f, " -j %s", conc);
        for (unsigned k = 0; k < nown; k++) {
            if (own[k]->flag)
                fprintf(f, " --%s", own[k]->name);
            else
                fprintf(f, " --%s %s", own[k]->name, own[k]->vals[idx[k]]);
        }
        if (run_args && *run_args)
            fprintf(f, " %s", run_args);
        fputc('\n', f);
        (*ncombos)++;
        unsigned k = 0;
        while (k < nown && ++idx[k] == own[k]->nvals)
            idx[k++] = 0;
        if (k == nown)
            return 0;
    }
}

/* The headline subset of a user sweep: each (workload, model) pair once, at its largest N,
 * with the first concurrency and option values the plan lists for it. */
static void mark_headline(struct sweep_plan *plan)
{
    for (size_t i = 0; i < plan->ncells; i++) {
        struct sweep_cell *c = &plan->cells[i];
        size_t best = i;
        bool first = true;
        for (size_t k = 0; k < i && first; k++)
            first = !(strcmp(plan->cells[k].workload, c->workload) == 0 &&
                      strcmp(plan->cells[k].model, c->model) == 0);
        if (!first)
            continue;
        for (size_t k = i + 1; k < plan->ncells; k++) {
            const struct sweep_cell *o = &plan->cells[k];
            if (strcmp(o->workload, c->workload) == 0 && strcmp(o->model, c->model) == 0 &&
                o->jobs == c->jobs && strcmp(o->params, c->params) == 0 &&
                o->tasks > plan->cells[best].tasks)
                best = k;
        }
        plan->cells[best].hyperfine = true;
    }
}

int sweep_user_plan(const struct sweep_user *u, const char *exe, unsigned runs, unsigned cores,
                    bool hyperfine, struct sweep_plan *plan, char *err, size_t errlen)
{
    const struct workload *ws[MAXPICK];
    const struct model *ms[MAXPICK];
    unsigned nw, nm;
    uint64_t v[MAXVALS];
    char tasks[MAXVALS * 12], conc[MAXVALS * 12], why[256];
    struct set *sets = NULL;
    char *text = NULL;
    size_t tlen = 0;
    int e, n;

    memset(plan, 0, sizeof *plan);
    cores = cores ? cores : 1;
    if ((e = expand_pairs(u, cores, ws, &nw, ms, &nm, err, errlen)) < 0)
        return e;
    n = sweep_parse_range(u->tasks ? u->tasks : "16", 1, TASKS_MAX, 0, v, MAXVALS, why,
                          sizeof why);
    if (n < 0)
        return usage(err, errlen, "--tasks %s: %s", u->tasks, why);
    join_values(v, (unsigned)n, tasks, sizeof tasks);
    size_t nn = (size_t)n, nj = 1;
    if (u->concurrency) {
        n = sweep_parse_range(u->concurrency, 1, CONC_MAX, cores, v, MAXVALS, why, sizeof why);
        if (n < 0)
            return usage(err, errlen, "--concurrency %s: %s", u->concurrency, why);
        join_values(v, (unsigned)n, conc, sizeof conc);
        nj = (size_t)n;
    }
    if (u->run_args && (e = check_run_args(u->run_args, exe, err, errlen)) < 0)
        return e;
    sets = calloc(SWEEP_USER_MAX_SETS, sizeof *sets);
    if (!sets)
        return -ENOMEM;
    for (unsigned k = 0; k < u->nsets; k++) {
        if ((e = parse_set(u->sets[k], ws, nw, ms, nm, &sets[k], err, errlen)) < 0)
            goto out;
        for (unsigned i = 0; i < k; i++)
            if (strcmp(sets[i].name, sets[k].name) == 0) {
                e = usage(err, errlen, "--set %s given twice: give a list instead (--set "
                          "%s=A,B)", sets[k].name, sets[k].name);
                goto out;
            }
    }
    FILE *f = open_memstream(&text, &tlen);
    if (!f) {
        e = -ENOMEM;
        goto out;
    }
    fprintf(f, "# concbench sweep: a sweep of your own from the command line\nscale default\n%s\n",
            hyperfine ? "hyperfine on" : "hyperfine off");
    size_t total = 0;
    for (unsigned a = 0; a < nw; a++)
        for (unsigned b = 0; b < nm; b++) {
            size_t combos;
            pair_lines(f, ws[a], ms[b], sets, u->nsets, tasks, u->concurrency ? conc : NULL,
                       u->run_args, &combos);
            total += combos * nn * (ms[b]->conc == MODEL_CONC_ONE ? 1 : nj);
        }
    if (fclose(f) != 0 || !text) {
        e = -ENOMEM;
        goto out;
    }
    if (total > MAX_USER_CELLS) {
        e = usage(err, errlen, "the sweep would have %zu cells (at most %d): sweep fewer values",
                  total, MAX_USER_CELLS);
        goto out;
    }
    e = sweep_plan_build_text(text, "user", runs, cores, plan, err, errlen);
    if (e == 0)
        mark_headline(plan);
    if (e == 0)
        plan->hyperfine = hyperfine;
out:
    free(text);
    free(sets);
    return e;
}

/* ---- parameter_NAME columns ---- */

const char *sweep_param_value(const struct sweep_cell *c, const char *name, char *buf,
                              size_t len)
{
    size_t nl = strlen(name);
    buf[0] = '\0';
    for (const char *p = c->params; *p; p += strcspn(p, ";") + (p[strcspn(p, ";")] == ';')) {
        size_t l = strcspn(p, ";");
        if (l > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            snprintf(buf, len, "%.*s", (int)(l - nl - 1), p + nl + 1);
            return buf;
        }
    }
    const struct wopt *d = decl_of(workload_find(c->workload), model_find(c->model), name);
    if (d)
        snprintf(buf, len, "%s", d->type == WOPT_FLAG ? "0" : d->def ? d->def : "");
    return buf;
}

size_t sweep_param_names(const struct sweep_cell *cells, size_t n, char (*names)[SWEEP_PARAM_NAME],
                         size_t max)
{
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        if (cells[i].part != SWEEP_USER)
            continue;           /* the profiles' own parts keep their columns as they were */
        const char *p = cells[i].params;
        for (; *p; p += strcspn(p, ";") + (p[strcspn(p, ";")] == ';')) {
            char name[SWEEP_PARAM_NAME], a[160], b[160];
            size_t l = strcspn(p, "=;");
            if (l == 0 || l >= sizeof name)
                continue;
            snprintf(name, sizeof name, "%.*s", (int)l, p);
            bool have = false;
            for (size_t k = 0; k < found && !have; k++)
                have = strcmp(names[k], name) == 0;
            if (have || found == max)
                continue;
            /* Swept: two cells that take it hold different values. */
            sweep_param_value(&cells[i], name, a, sizeof a);
            bool differs = false;
            for (size_t k = 0; k < n && !differs; k++) {
                if (cells[k].part != SWEEP_USER ||
                    !decl_of(workload_find(cells[k].workload), model_find(cells[k].model), name))
                    continue;
                differs = strcmp(sweep_param_value(&cells[k], name, b, sizeof b), a) != 0;
            }
            if (differs)
                str_copy(names[found++], SWEEP_PARAM_NAME, name);
        }
    }
    return found;
}
