/* sweep_estimate.c — the sweep's calibration (one task of each workload under the serial
 * reference), the estimate of every run, the ETA and the plan printed before it starts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/catalog.h"
#include "harness/signals.h"
#include "harness/sweep_internal.h"
#include "models/model.h"
#include "workloads/workload.h"

#define CALIB_DEFAULT_TASK_S 0.05
#define CALIB_DEFAULT_OVERHEAD_S 0.01
#define CALIB_MAX_WAIT_S 2.0    /* a waiting task longer than this is not run to calibrate */

/* The options in args that are w's own (with their values): what a calibration run under the
 * serial reference may be given. */
static void workload_args(const struct workload *w, const char *args, char *out, size_t len)
{
    char copy[160], *save = NULL;
    size_t used = 0;
    snprintf(copy, sizeof copy, "%s", args ? args : "");
    out[0] = '\0';
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        const struct wopt *o = t[0] == '-' && t[1] == '-' ? wopt_find(w->opts, t + 2) : NULL;
        const char *v = NULL;
        if (o && o->type != WOPT_FLAG)
            v = strtok_r(NULL, " ", &save);
        else if (!o && save && *save && *save != '-')
            strtok_r(NULL, " ", &save);         /* another option's value */
        if (!o)
            continue;
        int n = snprintf(out + used, len - used, "%s%s%s%s", used ? " " : "", t, v ? " " : "",
                         v ? v : "");
        if (n > 0 && (size_t)n < len - used)
            used += (size_t)n;
    }
}

/* How long one task of a waiting workload waits: its ideal for one task. NaN when unknown. */
static double wait_of(const struct sweep_cell *c, unsigned cores)
{
    const struct workload *w = workload_find(c->workload);
    const struct model *ref = model_serial();
    if (!w || !ref)
        return NAN;
    return catalog_ideal_s(w, ref, c->args, 1, 1, cores, NAN);
}

static bool waits(const struct sweep_cell *c)
{
    const struct workload *w = workload_find(c->workload);
    return w && w->kind->waits;
}

static struct calib *calib_for(struct sweep *s, const struct sweep_cell *c)
{
    const struct workload *w = workload_find(c->workload);
    char args[160];
    if (!w)
        return NULL;
    workload_args(w, c->args, args, sizeof args);
    for (size_t k = 0; k < s->ncalibs; k++)
        if (strcmp(s->calibs[k].workload, c->workload) == 0 &&
            strcmp(s->calibs[k].args, args) == 0)
            return &s->calibs[k];
    return NULL;
}

/* Run `one` (a cell of one task under the serial reference) two or three times; the best
 * task time and overhead into k. */
static void calibration_runs(struct sweep *s, const struct sweep_cell *one, struct calib *k)
{
    struct run_argv ra;
    sweep_build_argv(one, SWEEP_SELF_EXE, &ra);
    /* The least of two runs (three when the first did one-time work, such as writing a
     * corpus into its cache): the machine is what it is, but a stray stall is not. */
    double best_task = INFINITY, best_over = INFINITY;
    int last_status = SR_OK, last_exit = 0;
    for (int attempt = 0, want = 2; attempt < want && !sigwatch_signal(); attempt++) {
        struct proc_child ch;
        struct proc_opts po = { .capture_out = true, .stop = s->cancel,
                                .timeout_s = s->run_timeout_s > 0 ? s->run_timeout_s : 300 };
        if (proc_run(ra.argv, &po, &ch) < 0)
            break;
        struct sweep_run r = { .exit_code = ch.exit_code };
        sweep_parse_record(ch.out, ch.out_len, &r);
        last_status = r.status;
        last_exit = ch.exit_code;
        if (r.status == SR_OK) {
            double over = ch.elapsed_s > r.wall_s ? ch.elapsed_s - r.wall_s : 0.002;
            if (attempt == 0 && ch.elapsed_s > 0.3)
                want = 3;
            else if (r.wall_s < best_task)
                best_task = r.wall_s;
            if (!(attempt == 0 && want == 3) && over < best_over)
                best_over = over;
        }
        proc_child_free(&ch);
        if (r.status != SR_OK)
            break;
    }
    if (isfinite(best_task) && isfinite(best_over)) {
        k->measured = true;
        k->task_s = best_task;
        k->overhead_s = best_over;
    } else if (!sigwatch_signal()) {
        fprintf(stderr, "concbench sweep: calibration run of %s (%s) ended %s (exit %d)\n",
                one->workload, k->args[0] ? k->args : "defaults",
                sweep_status_name(last_status), last_exit);
    }
}

void sweep_calibrate(struct sweep *s)
{
    const struct model *ref = model_serial();
    s->calibs = calloc(s->plan.ncells ? s->plan.ncells : 1, sizeof *s->calibs);
    if (!s->calibs)
        return;
    for (size_t i = 0; i < s->plan.ncells; i++) {
        const struct sweep_cell *c = &s->plan.cells[i];
        const struct workload *w = workload_find(c->workload);
        if (!w || calib_for(s, c))
            continue;
        struct calib *k = &s->calibs[s->ncalibs++];
        k->workload = c->workload;
        workload_args(w, c->args, k->args, sizeof k->args);
        double wait = w->kind->waits ? wait_of(c, s->plan.cores) : NAN;
        k->task_s = isnan(wait) ? CALIB_DEFAULT_TASK_S : wait;
        k->overhead_s = CALIB_DEFAULT_OVERHEAD_S;
        /* A long wait is known without waiting for it. */
        if (!ref || sigwatch_signal() || wait > CALIB_MAX_WAIT_S)
            continue;
        struct sweep_cell one = *c;
        one.model = ref->name;
        one.tasks = 1;
        one.jobs = 0;
        snprintf(one.args, sizeof one.args, "%s", k->args);
        calibration_runs(s, &one, k);
        if (k->measured && !isnan(wait)) {
            /* A waiting task: its wait, plus what it measured beyond it (at most 5 ms: one
             * stall is not the rule). */
            double extra = k->task_s - wait;
            k->task_s = wait + (extra < 0 ? 0 : extra > 0.005 ? 0.005 : extra);
        }
    }
}

static double estimate_run(const struct sweep_cell *c, const struct calib *k, unsigned cores)
{
    const struct workload *w = workload_find(c->workload);
    const struct model *m = model_find(c->model);
    bool io = waits(c);
    double t = k->task_s;
    if (io && !k->measured) {
        double wait = wait_of(c, cores);
        if (!isnan(wait))
            t = wait;
    }
    unsigned conc = c->concurrency;
    if (!conc && m)
        conc = model_concurrency(m, c->tasks, c->jobs, cores);
    unsigned par = m && w ? model_parallelism(m, w, conc ? conc : 1) : 1;
    if (par == 0)
        par = 1;
    if (!io && par > cores)
        par = cores ? cores : 1;
    double waves = ceil((double)c->tasks / par);
    /* CPU-bound work in parallel rarely gets every core to itself. */
    if (!io && par > 1)
        waves *= 1.25;
    return k->overhead_s + waves * t + c->tasks * (m ? m->dispatch_s : 0);
}

double sweep_hyperfine_estimate(const struct sweep *s, const struct sweep_cell *c)
{
    return (1 + s->plan.runs) * c->est_run_s + 0.05;
}

void sweep_estimate(struct sweep *s)
{
    double total = 0;
    for (size_t k = 0; k < s->ncalibs; k++)
        total += s->calibs[k].overhead_s + s->calibs[k].task_s;
    for (size_t i = 0; i < s->plan.ncells; i++) {
        struct sweep_cell *c = &s->plan.cells[i];
        const struct calib *k = calib_for(s, c);
        struct calib def = { .task_s = CALIB_DEFAULT_TASK_S,
                             .overhead_s = CALIB_DEFAULT_OVERHEAD_S };
        c->est_run_s = estimate_run(c, k ? k : &def, s->plan.cores);
        total += (1 + s->plan.runs) * c->est_run_s;
        if (c->hyperfine && s->use_hyperfine)
            total += sweep_hyperfine_estimate(s, c);
    }
    s->estimate_s = total;
}

double sweep_remaining_s(const struct sweep *s)
{
    double remaining = 0;
    for (size_t i = 0; i < s->plan.ncells; i++) {
        const struct sweep_cell *x = &s->plan.cells[i];
        unsigned left = s->plan.runs > s->done[i] ? s->plan.runs - s->done[i] : 0;
        remaining += (left + (left && !s->warmed[i] ? 1 : 0)) * x->est_run_s;
        if (x->hyperfine && s->use_hyperfine)
            remaining += sweep_hyperfine_estimate(s, x);
    }
    return remaining;
}

void sweep_fmt_duration(double secs, char *buf, size_t len)
{
    if (!(secs >= 0))
        secs = 0;
    unsigned long t = (unsigned long)(secs + 0.5);
    if (t >= 60)
        snprintf(buf, len, "%lu min %02lu s", t / 60, t % 60);
    else
        snprintf(buf, len, "%.1f s", secs);
}

void sweep_print_plan(const struct sweep *s, FILE *f)
{
    unsigned per_part[SWEEP_NPARTS] = { 0 }, hf = 0;
    char est[32];
    for (size_t i = 0; i < s->plan.ncells; i++) {
        if (s->plan.cells[i].part >= 0 && s->plan.cells[i].part < SWEEP_NPARTS)
            per_part[s->plan.cells[i].part]++;
        hf += s->plan.cells[i].hyperfine && s->use_hyperfine;
    }
    sweep_fmt_duration(s->estimate_s, est, sizeof est);
    fprintf(f, "concbench sweep: profile %s, seed %llu, %u runs per cell after one warm-up\n",
            s->plan.profile, (unsigned long long)s->seed, s->plan.runs);
    fprintf(f, "  %zu cells:", s->plan.ncells);
    for (int p = 0; p < SWEEP_NPARTS; p++)
        fprintf(f, "%s %u %s", p ? "," : "", per_part[p], sweep_part_name(p));
    fprintf(f, "; %zu runs", s->plan.ncells * (s->plan.runs + 1));
    if (hf)
        fprintf(f, "; hyperfine times %u headline cells", hf);
    fprintf(f, "\n  estimated duration: %s\n", est);
    for (unsigned k = 0; k < s->plan.nskipped; k++)
        fprintf(f, "  skipped: %s\n", s->plan.skipped[k]);
    for (unsigned k = 0; k < s->plan.nnotes; k++)
        fprintf(f, "  note: %s\n", s->plan.notes[k]);
}

void sweep_print_cells(const struct sweep *s)
{
    for (size_t k = 0; k < s->ncalibs; k++)
        printf("calibration %s (%s): %.4f s a task, %.4f s a run%s\n", s->calibs[k].workload,
               s->calibs[k].args[0] ? s->calibs[k].args : "defaults", s->calibs[k].task_s,
               s->calibs[k].overhead_s, s->calibs[k].measured ? "" : " (not measured)");
    for (size_t i = 0; i < s->plan.ncells; i++) {
        const struct sweep_cell *c = &s->plan.cells[i];
        struct run_argv ra;
        sweep_build_argv(c, "concbench", &ra);
        printf("%4zu %-11s est %7.3f s  ", i, sweep_part_name(c->part), c->est_run_s);
        for (int k = 0; ra.argv[k]; k++)
            printf("%s%s", k ? " " : "", ra.argv[k]);
        printf("\n");
    }
}
