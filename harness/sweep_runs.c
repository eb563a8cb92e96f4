/* sweep_runs.c — the sweep's runs: every (cell, run) in the seed's shuffled order as a fresh
 * `concbench run --json` process, each journaled as it ends, with progress and an ETA. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/signals.h"
#include "harness/stats.h"
#include "harness/sweep_internal.h"
#include "runtime/clock.h"

#define RUN_TIMEOUT_MIN_S 30.0      /* a run is killed after max(this, 10 x its estimate) */

void sweep_build_argv(const struct sweep_cell *c, const char *exe, struct run_argv *ra)
{
    size_t used = 0;
    int n = 0;
#define PUT(str)                                                                              \
    do {                                                                                      \
        size_t l_ = strlen(str) + 1;                                                          \
        if (used + l_ <= sizeof ra->store && n < 46) {                                        \
            memcpy(ra->store + used, (str), l_);                                              \
            ra->argv[n++] = ra->store + used;                                                 \
            used += l_;                                                                       \
        }                                                                                     \
    } while (0)
    char num[24];
    PUT(exe);
    PUT("run");
    PUT("-w");
    PUT(c->workload);
    PUT("-m");
    PUT(c->model);
    PUT("-n");
    snprintf(num, sizeof num, "%u", c->tasks);
    PUT(num);
    if (c->jobs) {
        PUT("-j");
        snprintf(num, sizeof num, "%u", c->jobs);
        PUT(num);
    }
    char copy[sizeof c->args], *save = NULL;
    snprintf(copy, sizeof copy, "%s", c->args);
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
        PUT(t);
    PUT("--json");
#undef PUT
    ra->argv[n] = NULL;
}

/* ---- progress ---- */

static void progress(struct sweep *s, const struct sweep_cell *c, unsigned run, bool cell_done)
{
    double now = clock_now(), el = now - s->t0;
    double remaining = sweep_remaining_s(s);
    /* Scale by how the estimate has fared so far. */
    double ratio = s->est_done > 1 ? el / s->est_done : 1;
    if (ratio < 0.3)
        ratio = 0.3;
    if (ratio > 5)
        ratio = 5;
    char eta[32], elapsed[32];
    sweep_fmt_duration(remaining * ratio, eta, sizeof eta);
    sweep_fmt_duration(el, elapsed, sizeof elapsed);
    if (s->tty) {
        if (!cell_done && now - s->last_progress < 0.1)
            return;
        s->last_progress = now;
        char what[32];
        if (run)
            snprintf(what, sizeof what, "run %u/%u", run, s->plan.runs);
        else
            snprintf(what, sizeof what, "warm-up");
        fprintf(stderr, "\r  [%u/%u runs] %s %s x %s n=%u j=%u: %s · %s, ETA %s\033[K",
                s->runs_started, s->total_runs, sweep_part_name(c->part), c->workload,
                c->model, c->tasks, c->concurrency, what, elapsed, eta);
        fflush(stderr);
        return;
    }
    if (!cell_done) {
        /* Runs are shuffled, so cells finish late: a line now and then meanwhile. */
        if (now - s->last_progress >= 15) {
            s->last_progress = now;
            fprintf(stderr, "  [%u/%u runs, %u/%zu cells complete] %s, ETA %s\n",
                    s->runs_started, s->total_runs, s->cells_done, s->plan.ncells, elapsed, eta);
        }
        return;
    }
    s->last_progress = now;
    double w[1024];
    size_t n = 0;
    unsigned total = 0;
    for (size_t k = 0; k < s->nruns; k++)
        if (s->runs[k].cell == c->id && s->runs[k].run > 0 &&
            s->runs[k].status != SR_INTERRUPTED) {
            total++;
            if (s->runs[k].status == SR_OK && n < 1024)
                w[n++] = s->runs[k].wall_s;
        }
    fprintf(stderr, "  [cell %u/%zu] %s %s x %s n=%u j=%u: ", s->cells_done, s->plan.ncells,
            sweep_part_name(c->part), c->workload, c->model, c->tasks, c->concurrency);
    if (n)
        fprintf(stderr, "median %.4f s, ", stats_median(w, n));
    fprintf(stderr, "%zu/%u ok (%s, ETA %s)\n", n, total, elapsed, eta);
}

/* ---- one run ---- */

static size_t trimmed_len(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    return n;
}

/* Run cell c once (run 0: its warm-up) and journal it. Returns 0, or -errno when the run
 * could not start or its journal line could not be written: the sweep stops. */
static int do_run(struct sweep *s, struct sweep_cell *c, unsigned run)
{
    struct run_argv ra;
    struct proc_child ch;
    sweep_build_argv(c, SWEEP_SELF_EXE, &ra);
    double limit = 10 * c->est_run_s;
    if (limit < RUN_TIMEOUT_MIN_S)
        limit = RUN_TIMEOUT_MIN_S;
    if (s->run_timeout_s > 0)
        limit = s->run_timeout_s;
    s->runs_started++;
    progress(s, c, run, false);
    struct proc_opts po = { .capture_out = true, .timeout_s = limit, .stop = s->cancel };
    int err = proc_run(ra.argv, &po, &ch);
    if (err < 0) {
        fprintf(stderr, "\nconcbench sweep: cannot start a run: %s\n", strerror(-err));
        return err;
    }
    if (s->nruns == s->runs_cap) {
        fprintf(stderr, "\nconcbench sweep: more runs than planned (internal error)\n");
        proc_child_free(&ch);
        return -EOVERFLOW;
    }
    struct sweep_run *r = &s->runs[s->nruns];
    memset(r, 0, sizeof *r);
    r->cell = c->id;
    r->run = run;
    r->exit_code = ch.exit_code;
    r->elapsed_s = ch.elapsed_s;
    bool parsed = sweep_parse_record(ch.out, ch.out_len, r);
    if (ch.timed_out)
        r->status = SR_TIMEOUT;
    else if (ch.interrupted)
        r->status = SR_INTERRUPTED;
    else if (ch.term_signal)
        r->status = SR_CRASHED;
    if (ch.out)
        ch.out_len = trimmed_len(ch.out, ch.out_len);
    char *line = NULL;
    bool keep = parsed && s->keep_raw[c->id] && r->status == SR_OK;
    if ((err = sweep_journal_append(s, c, r, ra.argv, &ch, parsed, keep ? &line : NULL)) < 0) {
        proc_child_free(&ch);
        return err;
    }
    s->raw[s->nruns] = line;
    s->nruns++;
    if (r->status != SR_OK && r->status != SR_INTERRUPTED) {
        if (s->tty)
            fputc('\n', stderr);
        fprintf(stderr, "  run failed: %s x %s n=%u j=%u (%s): %s, exit %d%s%.200s\n",
                c->workload, c->model, c->tasks, c->concurrency, sweep_part_name(c->part),
                sweep_status_name(r->status), r->exit_code, ch.err && ch.err[0] ? ": " : "",
                ch.err ? ch.err : "");
    }
    bool ch_interrupted = ch.interrupted;
    proc_child_free(&ch);
    /* A run counts as made unless the sweep itself stopped it (a run that exits 130 on its
     * own is not retried, so a cell never takes more than its warm-up and R runs). */
    if (!ch_interrupted || !sigwatch_signal()) {
        s->est_done += c->est_run_s;
        if (run == 0) {
            s->warmed[c->id] = true;
        } else {
            s->done[c->id]++;
            s->have[(size_t)c->id * s->plan.runs + run - 1] = 1;
        }
        if (run > 0 && s->done[c->id] == s->plan.runs) {
            s->cells_done++;
            progress(s, c, run, true);
        }
    }
    return 0;
}

void sweep_run_all(struct sweep *s)
{
    size_t norder = s->plan.ncells * s->plan.runs;
    unsigned *order = calloc(norder ? norder : 1, sizeof *order);
    if (!order) {
        sweep_write_failed(s, "memory", -ENOMEM);
        return;
    }
    for (size_t k = 0; k < norder; k++)
        order[k] = (unsigned)k;
    sweep_shuffle(order, norder, s->seed);
    s->total_runs = 0;
    for (size_t i = 0; i < s->plan.ncells; i++) {
        unsigned left = s->plan.runs > s->done[i] ? s->plan.runs - s->done[i] : 0;
        s->total_runs += left + (left ? 1 : 0);
        s->cells_done += left == 0;
    }
    s->t0 = clock_now();
    for (size_t k = 0; k < norder && !sigwatch_signal() && !s->werr; k++) {
        struct sweep_cell *cell = &s->plan.cells[order[k] / s->plan.runs];
        unsigned run = order[k] % s->plan.runs + 1;
        if (s->have[order[k]])
            continue;                   /* journaled before a resume */
        if (!s->warmed[cell->id]) {
            if (do_run(s, cell, 0) < 0)
                break;
            if (sigwatch_signal())
                break;
        }
        if (do_run(s, cell, run) < 0)
            break;
    }
    free(order);
    if (s->tty)
        fprintf(stderr, "\r\033[K");
}
