/* gate.c — the regression gate's cells, runs, support check, table and regress.json (ci/regress
 * keeps the builds, the ABBA loop and the verdict). */
#include "harness/gate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/atomic_file.h"
#include "harness/machine.h"
#include "harness/proc.h"
#include "harness/profile.h"
#include "harness/text.h"
#include "runtime/event.h"
#include "runtime/json.h"

bool gate_active(const struct gate_cell *c)
{
    return !c->skipped && !c->failed;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "regress: out of memory\n");
        exit(GATE_CANNOT);
    }
    return p;
}

static struct gate_cell *new_cell(struct gate *g)
{
    if (!g->cells)
        g->cells = xcalloc(GATE_MAX_CELLS, sizeof *g->cells);
    if (g->ncells == GATE_MAX_CELLS)
        return NULL;
    struct gate_cell *c = &g->cells[g->ncells++];
    memset(c, 0, sizeof *c);
    c->threshold = g->threshold;
    return c;
}

/* "{tmp}" in a profile argument becomes the gate's temporary folder. */
static char *expand_tmp(char *arg, const char *tmp)
{
    const char *at = strstr(arg, "{tmp}");
    char *r;
    if (!at || !tmp)
        return arg;
    if (asprintf(&r, "%.*s%s%s", (int)(at - arg), arg, tmp, at + 5) < 0)
        return arg;
    free(arg);
    return r;
}

int gate_load_profile(struct gate *g, const char *path, char *err, size_t errlen)
{
    struct profile p;
    int e = profile_load(path, machine_cores(), &p, err, errlen);
    for (size_t k = 0; e == 0 && k < p.ncells; k++) {
        const struct profile_cell *pc = &p.cells[k];
        struct gate_cell *c = new_cell(g);
        if (!c) {
            snprintf(err, errlen, "%s: more than %d cells", p.path, GATE_MAX_CELLS);
            e = -1;
            break;
        }
        for (int i = 0; i + 1 < g->ncells; i++)
            if (strcmp(g->cells[i].name, pc->name) == 0) {
                snprintf(err, errlen, "%s:%u: a second cell named '%s': the gate needs a name "
                         "a cell", p.path, pc->line, pc->name);
                e = -1;
            }
        str_copy(c->name, sizeof c->name, pc->name);
        str_copy(c->workload, sizeof c->workload, pc->w->name);
        str_copy(c->model, sizeof c->model, pc->m->name);
        str_copy(c->args, sizeof c->args, pc->args);
        c->argc = profile_cell_argv(pc, c->argv, GATE_MAX_ARGS);
        if (c->argc < 0) {
            snprintf(err, errlen, "%s:%u: too many arguments", p.path, pc->line);
            c->argc = 0;
            e = -1;
        }
        for (int a = 0; a < c->argc; a++)
            c->argv[a] = expand_tmp(c->argv[a], g->tmp);
    }
    /* Pairs this build lacks: "W x M: why". */
    for (unsigned k = 0; e == 0 && k < p.nskipped; k++) {
        struct gate_cell *c = new_cell(g);
        if (!c)
            break;
        const char *colon = strchr(p.skipped[k], ':');
        size_t n = colon ? (size_t)(colon - p.skipped[k]) : strlen(p.skipped[k]);
        snprintf(c->name, sizeof c->name, "%.*s", (int)n, p.skipped[k]);
        str_copy(c->why, sizeof c->why, colon ? colon + 2 : "not registered");
        c->skipped = true;
    }
    for (unsigned k = 0; e == 0 && k < p.nnotes; k++)
        fprintf(stderr, "regress: %s: %s\n", p.path, p.notes[k]);
    if (e == 0 && g->ncells == 0) {
        snprintf(err, errlen, "%s has no cells", p.path);
        e = -1;
    }
    if (e == 0 && p.runs && !g->runs)
        g->runs = p.runs;
    profile_free(&p);
    return e < 0 ? -1 : 0;
}

int gate_load_thresholds(struct gate *g, const char *path, bool required)
{
    char *text;
    int e = text_slurp(path, 1 << 20, &text, NULL);
    if (e < 0) {
        if (!required && e == -ENOENT)
            return 0;
        fprintf(stderr, "regress: cannot read %s: %s\n", path, strerror(-e));
        return -1;
    }
    unsigned lineno = 0;
    e = 0;
    for (char *line = text, *next; *line && !e; line = next) {
        size_t len = strcspn(line, "\n");
        next = line + len + (line[len] == '\n');
        line[len] = '\0';
        lineno++;
        line[strcspn(line, "#")] = '\0';
        char name[64], extra[8];
        double t;
        int n = sscanf(line, "%63s %lf %7s", name, &t, extra);
        if (n <= 0)
            continue;
        if (n != 2 || !(t > 0 && t < 1)) {
            fprintf(stderr, "regress: %s:%u: expected 'CELL THRESHOLD' with 0 < T < 1\n", path,
                    lineno);
            e = -1;
        }
        for (int k = 0; k < g->ncells; k++)
            if (strcmp(g->cells[k].name, name) == 0)
                g->cells[k].threshold = t;
    }
    free(text);
    return e;
}

void gate_alloc_samples(struct gate *g)
{
    for (int k = 0; k < g->ncells; k++)
        for (int s = 0; s < 2; s++)
            if (!g->cells[k].samples[s])
                g->cells[k].samples[s] = xcalloc(g->runs, sizeof(double));
}

/* ---- what a binary supports ---- */

static bool listed(const char *list, const char *section, const char *name)
{
    const char *at = strstr(list, section);
    size_t n = strlen(name);
    if (!at)
        return false;
    for (const char *l = strchr(at, '\n'); l && l[1] == ' '; l = strchr(l + 1, '\n')) {
        const char *w = l + 1 + strspn(l + 1, " ");
        if (strncmp(w, name, n) == 0 && (w[n] == ' ' || w[n] == '\n' || !w[n]))
            return true;
    }
    return false;
}

int gate_check_support(struct gate *g, int side, const char *label)
{
    char *argv[] = { g->bins[side], "list", NULL };
    struct proc_opts o = { .capture_out = true, .timeout_s = 30, .stop = g->stop };
    struct proc_child ch;
    if (proc_run(argv, &o, &ch) < 0)
        return -1;
    int e = ch.exit_code == 0 ? 0 : -1;
    for (int k = 0; k < g->ncells && !e; k++) {
        struct gate_cell *c = &g->cells[k];
        if (!gate_active(c))
            continue;
        bool w = listed(ch.out, "workloads:", c->workload), m = listed(ch.out, "models:", c->model);
        if (!w || !m) {
            c->skipped = true;
            snprintf(c->why, sizeof c->why, "%s '%s' not in the %s binary",
                     w ? "model" : "workload", w ? c->model : c->workload, label);
        }
    }
    proc_child_free(&ch);
    return e;
}

/* ---- one run ---- */

/* Run c once on one side: 0 with the record's wall_s, 2 (exit 2: the binary does not support
 * the cell) or -1 (why says what failed). */
static int run_cell(struct gate *g, struct gate_cell *c, int side, double *wall, char *why,
                    size_t len)
{
    char *argv[2 * GATE_MAX_ARGS + 4];
    int n = 0;
    argv[n++] = g->bins[side];
    argv[n++] = "run";
    for (int k = 0; k < c->argc; k++)
        argv[n++] = c->argv[k];
    for (int k = 0; k < g->side_nargs[side]; k++)
        argv[n++] = g->side_args[side][k];
    argv[n++] = "--json";
    argv[n] = NULL;
    struct proc_opts o = { .capture_out = true, .timeout_s = GATE_RUN_TIMEOUT_S,
                           .stop = g->stop };
    struct proc_child ch;
    int err = proc_run(argv, &o, &ch);
    if (err < 0) {
        snprintf(why, len, "cannot start %s: %s", g->bins[side], strerror(-err));
        return -1;
    }
    int ret = -1;
    if (ch.exit_code != 0) {
        size_t l = strcspn(ch.err, "\n");
        snprintf(why, len, "%s%d: %.*s", ch.timed_out ? "timed out, exit " : "exit ",
                 ch.exit_code, (int)(l > 200 ? 200 : l), ch.err);
        ret = ch.exit_code == 2 ? 2 : -1;
        proc_child_free(&ch);
        return ret;
    }
    char perr[128];
    struct json_value *v = json_parse(ch.out, ch.out_len, perr, sizeof perr);
    const struct json_value *w = v ? json_get(v, "wall_s") : NULL;
    const struct json_value *ok = v ? json_get(v, "verified") : NULL;
    if (!w || w->type != JSON_NUMBER || !(w->number > 0)) {
        snprintf(why, len, "no wall_s in the record%s%s", v ? "" : ": ", v ? "" : perr);
    } else if (!ok || ok->type != JSON_BOOL || !ok->boolean) {
        snprintf(why, len, "the run was not verified");
    } else {
        const struct json_value *t = json_get(v, "tasks"), *cc = json_get(v, "concurrency");
        c->tasks[side] = t && t->type == JSON_NUMBER ? (unsigned)t->number : 0;
        c->concurrency[side] = cc && cc->type == JSON_NUMBER ? (unsigned)cc->number : 0;
        *wall = w->number;
        ret = 0;
    }
    json_free(v);
    proc_child_free(&ch);
    return ret;
}

int gate_measure(struct gate *g, struct gate_cell *c, int side)
{
    double wall;
    char why[320];
    int r = run_cell(g, c, side, &wall, why, sizeof why);
    if (r == -1 && !event_is_set(g->stop))
        r = run_cell(g, c, side, &wall, why, sizeof why);
    if (r != 0) {
        if (!event_is_set(g->stop)) {
            c->failed = true;
            snprintf(c->why, sizeof c->why, "%s side: %s", side ? "head" : "base", why);
        }
        return -1;
    }
    if (c->n[side] < g->runs)
        c->samples[side][c->n[side]++] = wall;
    return 0;
}

void gate_warm_up(struct gate *g, int first_side)
{
    for (int k = 0; k < g->ncells && !event_is_set(g->stop); k++) {
        struct gate_cell *c = &g->cells[k];
        for (int s = first_side; s < 2; s++)
            for (unsigned w = 0; w < (g->warmup ? g->warmup : 1) && gate_active(c); w++) {
                double wall;
                char why[320];
                int r = run_cell(g, c, s, &wall, why, sizeof why);
                if (r == 2) {
                    c->skipped = true;
                    snprintf(c->why, sizeof c->why, "%s binary refuses it (%s)",
                             s ? "head" : "base", why);
                } else if (r < 0 && !event_is_set(g->stop) &&
                           run_cell(g, c, s, &wall, why, sizeof why) < 0) {
                    c->failed = true;
                    snprintf(c->why, sizeof c->why, "%s side: %s", s ? "head" : "base", why);
                }
            }
    }
}

void gate_decide(struct gate *g, struct gate_cell *cells, int n, int counts[4])
{
    for (int k = 0; k < n; k++) {
        struct gate_cell *c = &cells[k];
        if (!gate_active(c))
            continue;
        int err = compare_samples(c->samples[0], c->n[0], c->samples[1], c->n[1], g->alpha,
                                  c->threshold, g->seed, &c->res);
        if (err < 0) {
            c->failed = true;
            snprintf(c->why, sizeof c->why, "cannot compare: %s", strerror(-err));
            continue;
        }
        counts[c->res.verdict]++;
    }
}

/* ---- the report ---- */

void gate_write_table(FILE *f, const struct gate_cell *rows, int n, const char *la,
                      const char *lb)
{
    fprintf(f, "| cell | %s median | %s median | ratio | 95 %% CI | p | verdict |\n", la, lb);
    fprintf(f, "|---|---:|---:|---:|---|---:|---|\n");
    for (int k = 0; k < n; k++) {
        const struct gate_cell *c = &rows[k];
        if (!gate_active(c))
            continue;
        char a[32], b[32], p[32];
        if (c->figure) {
            snprintf(a, sizeof a, "%.3f", c->res.base_median);
            snprintf(b, sizeof b, "%.3f", c->res.head_median);
        } else {
            fmt_time(c->res.base_median, a, sizeof a);
            fmt_time(c->res.head_median, b, sizeof b);
        }
        snprintf(p, sizeof p, c->res.p < 1e-4 ? "%.1e" : "%.4f", c->res.p);
        bool bad = c->res.verdict == VERDICT_REGRESSED;
        fprintf(f, "| %s | %s | %s | %.3f | [%.3f, %.3f] | %s | %s%s%s (T %.0f %%) |\n", c->name,
                a, b, c->res.ratio, c->res.lo, c->res.hi, p, bad ? "**" : "",
                compare_verdict_name(c->res.verdict), bad ? "**" : "", c->threshold * 100);
    }
    for (int pass = 0; pass < 2; pass++) {
        bool any = false;
        for (int k = 0; k < n; k++) {
            if (!(pass ? rows[k].failed : rows[k].skipped))
                continue;
            if (!any)
                fprintf(f, pass ? "\nFailed (no verdict):\n"
                                : "\nSkipped (not supported by both binaries):\n");
            any = true;
            fprintf(f, "- %s: %s\n", rows[k].name, rows[k].why);
        }
    }
}

void gate_write_counts(FILE *f, const int counts[4], int code)
{
    fprintf(f, "\n**%d regressed**, %d improved, %d no change, %d inconclusive → exit %d\n\n",
            counts[VERDICT_REGRESSED], counts[VERDICT_IMPROVED], counts[VERDICT_NO_CHANGE],
            counts[VERDICT_INCONCLUSIVE], code);
}

int gate_write_bench_json(const struct gate *g, const char *path)
{
    struct afile a;
    int e = afile_open(&a, path);
    if (e < 0) {
        fprintf(stderr, "regress: cannot write %s: %s\n", path, strerror(-e));
        return -1;
    }
    struct json_out j;
    json_init(&j, a.f);
    json_array_begin(&j);
    for (int k = 0; k < g->ncells; k++) {
        const struct gate_cell *c = &g->cells[k];
        if (!gate_active(c))
            continue;
        char range[96], extra[256];
        snprintf(range, sizeof range, "ratio 95%% CI [%.3f, %.3f]", c->res.lo, c->res.hi);
        snprintf(extra, sizeof extra, "base median %.6g s; ratio %.3f; p %.3g; %s; %u runs each",
                 c->res.base_median, c->res.ratio, c->res.p, compare_verdict_name(c->res.verdict),
                 c->n[1]);
        json_object_begin(&j);
        json_key_str(&j, "name", c->name);
        json_key_str(&j, "unit", "s");
        json_key_double(&j, "value", c->res.head_median);
        json_key_str(&j, "range", range);
        json_key_str(&j, "extra", extra);
        json_object_end(&j);
    }
    json_array_end(&j);
    fputc('\n', a.f);
    if ((e = afile_commit(&a)) < 0) {
        fprintf(stderr, "regress: cannot write %s: %s\n", path, strerror(-e));
        return -1;
    }
    return 0;
}

void gate_publish(void (*write)(FILE *f, void *arg), void *arg)
{
    write(stdout, arg);
    fflush(stdout);
    const char *summary = getenv("GITHUB_STEP_SUMMARY");
    if (summary && *summary) {
        FILE *f = fopen(summary, "a");
        if (f) {
            write(f, arg);
            if (fclose(f) != 0)
                fprintf(stderr, "regress: cannot append to %s: %s\n", summary, strerror(errno));
        } else {
            fprintf(stderr, "regress: cannot append to %s: %s\n", summary, strerror(errno));
        }
    }
}

void gate_free(struct gate *g)
{
    for (int k = 0; k < g->ncells; k++) {
        for (int a = 0; a < g->cells[k].argc; a++)
            free(g->cells[k].argv[a]);
        free(g->cells[k].samples[0]);
        free(g->cells[k].samples[1]);
    }
    free(g->cells);
    g->cells = NULL;
    g->ncells = 0;
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < g->side_nargs[s]; k++)
            free(g->side_args[s][k]);
}
