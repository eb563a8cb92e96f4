/* gate_baseline.c — the gate's theory-anchored baseline (results/baseline.json): efficiency
 * = ideal / measured, the ideal from the one rule (catalog_ideal_s) with t1 from the serial
 * reference cell of the same workload and options; written by `make baseline`, checked by
 * `ci/regress --baseline FILE`. */
#include "harness/gate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/atomic_file.h"
#include "harness/catalog.h"
#include "harness/machine.h"
#include "harness/stats.h"
#include "harness/text.h"
#include "runtime/event.h"
#include "runtime/json.h"

struct fingerprint {
    char cpu[256];
    unsigned cores;
};

static void fingerprint_here(struct fingerprint *fp)
{
    machine_cpuinfo("model name", fp->cpu, sizeof fp->cpu);
    if (!fp->cpu[0])
        str_copy(fp->cpu, sizeof fp->cpu, "unknown");
    fp->cores = machine_cores();
}

/* The serial reference of c: a cell of the serial model with the same workload and workload
 * options. NULL when the profile has none. */
static const struct gate_cell *reference(const struct gate *g, const struct gate_cell *c)
{
    const struct workload *w = workload_find(c->workload);
    char want[160], have[160];
    catalog_params(w, NULL, c->args, want, sizeof want);
    for (int k = 0; k < g->ncells; k++) {
        const struct gate_cell *r = &g->cells[k];
        const struct model *m = model_find(r->model);
        if (!m || !m->serial || strcmp(r->workload, c->workload) != 0)
            continue;
        catalog_params(w, NULL, r->args, have, sizeof have);
        if (strcmp(want, have) == 0)
            return r;
    }
    return NULL;
}

/* The efficiency of run i of c on one side (1: the ideal); NaN when c has none: no known
 * ideal, or its ideal needs t1 and c is its own reference (compared by time only). */
static double efficiency(const struct gate *g, const struct gate_cell *c, int side, unsigned i,
                         unsigned cores)
{
    const struct workload *w = workload_find(c->workload);
    const struct model *m = model_find(c->model);
    unsigned tasks = c->tasks[side], conc = c->concurrency[side];
    if (!w || !m || i >= c->n[side])
        return NAN;
    double t1 = NAN, ideal = catalog_ideal_s(w, m, c->args, tasks, conc, cores, NAN);
    if (isnan(ideal)) {
        const struct gate_cell *r = reference(g, c);
        if (!r || r == c || !r->n[side] || !r->tasks[side])
            return NAN;
        t1 = stats_median(r->samples[side], r->n[side]) / r->tasks[side];
        ideal = catalog_ideal_s(w, m, c->args, tasks, conc, cores, t1);
    }
    return ideal / c->samples[side][i];
}

/* R rounds over the cells on the current binary (side 1). */
static void run_rounds(struct gate *g)
{
    for (unsigned r = 0; r < g->runs && !event_is_set(g->stop); r++) {
        for (int k = 0; k < g->ncells && !event_is_set(g->stop); k++)
            if (gate_active(&g->cells[k]))
                gate_measure(g, &g->cells[k], 1);
        if (isatty(2))
            fprintf(stderr, "\rregress: run %u/%u%s", r + 1, g->runs, r + 1 == g->runs ? "\n" : "");
    }
}

static int measure_current(struct gate *g)
{
    if (gate_check_support(g, 1, "current") < 0) {
        fprintf(stderr, "regress: cannot run: %s list failed\n", g->bins[1]);
        return -1;
    }
    gate_warm_up(g, 1);
    run_rounds(g);
    if (event_is_set(g->stop)) {
        fprintf(stderr, "regress: cannot run: interrupted\n");
        return -1;
    }
    return 0;
}

int gate_baseline_write(struct gate *g, const char *path, const char *rev)
{
    struct fingerprint fp;
    fingerprint_here(&fp);
    gate_alloc_samples(g);
    if (measure_current(g) < 0)
        return GATE_CANNOT;
    /* The file's side is 0 when it is read back: keep the figures on side 1 here. */
    struct afile a;
    int e = afile_open(&a, path);
    if (e < 0) {
        fprintf(stderr, "regress: cannot write %s: %s\n", path, strerror(-e));
        return GATE_CANNOT;
    }
    time_t now = time(NULL);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    struct json_out j;
    json_init(&j, a.f);
    json_object_begin(&j);
    json_key_uint(&j, "schema", 1);
    json_key_str(&j, "date", date);
    json_key_str(&j, "git_rev", rev);
    json_key_str(&j, "cpu_model", fp.cpu);
    json_key_uint(&j, "cores", fp.cores);
    json_key_uint(&j, "runs", g->runs);
    json_key(&j, "cells");
    json_array_begin(&j);
    for (int k = 0; k < g->ncells; k++) {
        const struct gate_cell *c = &g->cells[k];
        const struct workload *w = workload_find(c->workload);
        if (!gate_active(c))
            continue;
        bool has = !isnan(efficiency(g, c, 1, 0, fp.cores));
        const struct gate_cell *r = reference(g, c);
        json_object_begin(&j);
        json_key_str(&j, "name", c->name);
        json_key_str(&j, "figure", !has ? "ref" : w->kind->name);
        if (has && r && r != c)
            json_key_str(&j, "ref", r->name);
        json_key(&j, "args");
        json_array_begin(&j);
        for (int i = 0; i < c->argc; i++)
            json_str(&j, c->argv[i]);
        json_array_end(&j);
        json_key_uint(&j, "tasks", c->tasks[1]);
        json_key_uint(&j, "concurrency", c->concurrency[1]);
        json_key(&j, "wall_s");
        json_array_begin(&j);
        for (unsigned i = 0; i < c->n[1]; i++)
            json_double(&j, c->samples[1][i]);
        json_array_end(&j);
        if (has) {
            json_key(&j, "efficiency");
            json_array_begin(&j);
            for (unsigned i = 0; i < c->n[1]; i++)
                json_double(&j, efficiency(g, c, 1, i, fp.cores));
            json_array_end(&j);
        }
        json_object_end(&j);
    }
    json_array_end(&j);
    json_object_end(&j);
    fputc('\n', a.f);
    if ((e = afile_commit(&a)) < 0) {
        fprintf(stderr, "regress: cannot write %s: %s\n", path, strerror(-e));
        return GATE_CANNOT;
    }
    printf("regress: wrote %s (%d cells, %u runs each, %s, %u cores)\n", path, g->ncells,
           g->runs, fp.cpu, fp.cores);
    for (int k = 0; k < g->ncells; k++) {
        const struct gate_cell *c = &g->cells[k];
        char t[32];
        if (!gate_active(c)) {
            printf("  %-28s %s: %s\n", c->name, c->skipped ? "skipped" : "failed", c->why);
            continue;
        }
        double eff[GATE_MAX_RUNS];
        unsigned n = 0;
        for (unsigned i = 0; i < c->n[1]; i++)
            if (!isnan(eff[n] = efficiency(g, c, 1, i, fp.cores)))
                n++;
        fmt_time(stats_median(c->samples[1], c->n[1]), t, sizeof t);
        if (n)
            printf("  %-28s median %-10s efficiency %.3f\n", c->name, t, stats_median(eff, n));
        else
            printf("  %-28s median %s (reference)\n", c->name, t);
    }
    return GATE_OK;
}

/* The cells of a baseline file, its runs on side 0. */
static int load_baseline(struct gate *g, const char *path, struct fingerprint *fp)
{
    char *text, perr[128];
    size_t len;
    int e = text_slurp(path, 64 << 20, &text, &len);
    if (e < 0) {
        fprintf(stderr, "regress: cannot read %s: %s\n", path, strerror(-e));
        return -1;
    }
    struct json_value *v = json_parse(text, len, perr, sizeof perr);
    free(text);
    const struct json_value *cells = v ? json_get(v, "cells") : NULL;
    if (!cells || cells->type != JSON_ARRAY) {
        fprintf(stderr, "regress: %s is not a baseline: %s\n", path, v ? "no cells" : perr);
        json_free(v);
        return -1;
    }
    const struct json_value *cpu = json_get(v, "cpu_model"), *cores = json_get(v, "cores");
    str_copy(fp->cpu, sizeof fp->cpu, cpu && cpu->type == JSON_STRING ? cpu->string : "?");
    fp->cores = cores && cores->type == JSON_NUMBER ? (unsigned)cores->number : 0;
    g->cells = calloc(GATE_MAX_CELLS, sizeof *g->cells);
    for (size_t k = 0; g->cells && k < cells->n && g->ncells < GATE_MAX_CELLS; k++) {
        const struct json_value *el = &cells->items[k];
        const struct json_value *name = json_get(el, "name"), *args = json_get(el, "args");
        const struct json_value *wall = json_get(el, "wall_s");
        const struct json_value *t = json_get(el, "tasks"), *cc = json_get(el, "concurrency");
        if (!name || name->type != JSON_STRING || !args || args->type != JSON_ARRAY ||
            !wall || wall->type != JSON_ARRAY || wall->n == 0 || args->n > GATE_MAX_ARGS) {
            fprintf(stderr, "regress: %s: cell %zu is malformed\n", path, k);
            json_free(v);
            return -1;
        }
        struct gate_cell *c = &g->cells[g->ncells++];
        str_copy(c->name, sizeof c->name, name->string);
        c->threshold = g->threshold;
        for (size_t i = 0; i < args->n; i++) {
            const char *a = args->items[i].type == JSON_STRING ? args->items[i].string : "";
            const char *next = i + 1 < args->n && args->items[i + 1].type == JSON_STRING
                               ? args->items[i + 1].string : "";
            c->argv[c->argc++] = strdup(a);
            if (!strcmp(a, "-w") || !strcmp(a, "-m") || !strcmp(a, "-n") || !strcmp(a, "-j")) {
                if (a[1] == 'w')
                    str_copy(c->workload, sizeof c->workload, next);
                if (a[1] == 'm')
                    str_copy(c->model, sizeof c->model, next);
                if (i + 1 < args->n)
                    c->argv[c->argc++] = strdup(next);
                i++;
            } else {
                str_append(c->args, sizeof c->args, "%s%s", c->args[0] ? " " : "", a);
            }
        }
        c->tasks[0] = t && t->type == JSON_NUMBER ? (unsigned)t->number : 0;
        c->concurrency[0] = cc && cc->type == JSON_NUMBER ? (unsigned)cc->number : 0;
        c->samples[0] = calloc(wall->n, sizeof(double));
        c->samples[1] = calloc(g->runs, sizeof(double));
        if (!c->samples[0] || !c->samples[1])
            break;
        for (size_t i = 0; i < wall->n; i++)
            if (wall->items[i].type == JSON_NUMBER)
                c->samples[0][c->n[0]++] = wall->items[i].number;
    }
    json_free(v);
    if (!g->cells || (g->ncells && !g->cells[g->ncells - 1].samples[1])) {
        fprintf(stderr, "regress: out of memory\n");
        return -1;
    }
    return 0;
}

struct check {
    const struct gate *g;
    const char *path;
    const struct fingerprint *base, *here;
    bool same_machine;
    struct gate_cell *rows;
    int nrows, counts[4], code;
};

static void write_check(FILE *f, void *arg)
{
    const struct check *k = arg;
    fprintf(f, "### concbench baseline check\n\n");
    fprintf(f, "Baseline %s against the current build; %u runs. Machine fingerprint %s "
               "(baseline: %s, %u cores; here: %s, %u cores): %s.\n\n", k->path, k->g->runs,
            k->same_machine ? "matches" : "differs", k->base->cpu, k->base->cores, k->here->cpu,
            k->here->cores, k->same_machine ? "efficiency figures and absolute times compared"
                                            : "efficiency figures only, absolute times not "
                                              "compared");
    fprintf(f, "Efficiency rows: medians are efficiencies (1 = the ideal of catalog_ideal_s, "
               "t1 from the serial reference cell); the ratio is baseline/current efficiency "
               "(above 1: less efficient now). Time rows: current/baseline time.\n\n");
    gate_write_table(f, k->rows, k->nrows, "baseline", "current");
    gate_write_counts(f, k->counts, k->code);
}

int gate_baseline_check(struct gate *g, const char *path)
{
    struct fingerprint base, here;
    fingerprint_here(&here);
    if (load_baseline(g, path, &base) < 0)
        return GATE_CANNOT;
    if (measure_current(g) < 0)
        return GATE_CANNOT;
    struct check k = { .g = g, .path = path, .base = &base, .here = &here };
    k.same_machine = strcmp(base.cpu, here.cpu) == 0 && base.cores == here.cores;
    k.rows = calloc(3 * (size_t)g->ncells + 1, sizeof *k.rows);
    if (!k.rows)
        return GATE_CANNOT;
    for (int i = 0; i < g->ncells; i++) {
        const struct gate_cell *c = &g->cells[i];
        if (!gate_active(c))
            continue;
        /* Efficiency as a cost (1 / efficiency): larger is worse, as the verdict wants. */
        double *cost[2] = { calloc(c->n[0] + 1, sizeof(double)),
                            calloc(c->n[1] + 1, sizeof(double)) };
        unsigned cores[2] = { base.cores, here.cores };
        struct gate_cell *row = &k.rows[k.nrows];
        memset(row, 0, sizeof *row);
        for (int s = 0; s < 2 && cost[0] && cost[1]; s++)
            for (unsigned r = 0; r < c->n[s]; r++) {
                double e = efficiency(g, c, s, r, cores[s]);
                if (e > 0)
                    cost[s][row->n[s]++] = 1 / e;
            }
        if (row->n[0] && row->n[1]) {
            snprintf(row->name, sizeof row->name, "%.48s (efficiency)", c->name);
            row->threshold = c->threshold;
            row->figure = true;
            row->samples[0] = cost[0];
            row->samples[1] = cost[1];
            k.nrows++;
        } else {
            free(cost[0]);
            free(cost[1]);
        }
        if (k.same_machine) {
            row = &k.rows[k.nrows++];
            *row = *c;
            snprintf(row->name, sizeof row->name, "%.48s (time)", c->name);
            row->argc = 0;
        }
    }
    int measured = k.nrows;
    for (int i = 0; i < g->ncells; i++)
        if (!gate_active(&g->cells[i])) {
            k.rows[k.nrows] = g->cells[i];
            k.rows[k.nrows++].argc = 0;
        }
    gate_decide(g, k.rows, measured, k.counts);
    for (int i = 0; i < measured; i++)
        if (k.rows[i].figure && gate_active(&k.rows[i])) {
            k.rows[i].res.base_median = 1 / k.rows[i].res.base_median;
            k.rows[i].res.head_median = 1 / k.rows[i].res.head_median;
        }
    k.code = k.counts[VERDICT_REGRESSED] ? GATE_REGRESSED : GATE_OK;
    gate_publish(write_check, &k);
    for (int i = 0; i < measured; i++)
        if (k.rows[i].figure) {
            free(k.rows[i].samples[0]);
            free(k.rows[i].samples[1]);
        }
    free(k.rows);
    return k.code;
}
