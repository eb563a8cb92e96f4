/* sweep.c — `concbench sweep`: run every cell of a profile R times (after a warm-up) as fresh
 * `concbench run --json` processes in a shuffled order, time the headline grid with hyperfine,
 * and write results/<UTC stamp>/ (runs.jsonl, runs.csv, summary.csv, timeline.csv,
 * hyperfine/, hyperfine.csv, metadata.json), every file through a temporary name. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/atomic_file.h"
#include "harness/cli.h"
#include "harness/proc.h"
#include "harness/signals.h"
#include "harness/stats.h"
#include "harness/sweep.h"
#include "models/model.h"
#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/json.h"
#include "workloads/workload.h"

#define SELF_EXE "/proc/self/exe"
#define RUN_TIMEOUT_MIN_S 30.0      /* a run is killed after max(this, 10 x its estimate) */
#define STDERR_KEPT 2000            /* bytes of a run's stderr kept in runs.jsonl */

uint64_t sweep_splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void sweep_shuffle(unsigned *a, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = n; i > 1; i--) {
        /* Unbiased index in [0, i): reject the top sliver of the 64-bit range. */
        uint64_t limit = UINT64_MAX - UINT64_MAX % i, r;
        do
            r = sweep_splitmix64(&s);
        while (r >= limit);
        size_t j = (size_t)(r % i);
        unsigned t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* ---- estimates ---- */

/* What one (workload, arguments) costs, from a calibration run of one task under single. */
struct calib {
    const char *workload;
    const char *args;
    double task_s;          /* one task's time */
    double overhead_s;      /* process start, setup and teardown of one run */
    bool measured;
};

static double opt_ms(const struct sweep_cell *c, const char *name, double def)
{
    char buf[32];
    const char *v = sweep_cell_arg(c, name, buf, sizeof buf);
    if (v)
        return strtod(v, NULL);
    const struct workload *w = workload_find(c->workload);
    for (const struct wopt *o = w ? w->opts : NULL; o && o->name; o++)
        if (strcmp(o->name, name) == 0 && o->def)
            return strtod(o->def, NULL);
    return def;
}

/* Per-task dispatch cost of a model, a rough figure for the estimate only. */
static double dispatch_s(const char *model)
{
    const struct model *m = model_find(model);
    if (m && m->forks && !m->pool)
        return 250e-6;
    if (strcmp(model, "threads") == 0)
        return 30e-6;
    return 3e-6;
}

static double estimate_run(const struct sweep_cell *c, const struct calib *k, unsigned cores)
{
    double t = k->task_s;
    if (c->io && !k->measured)
        t = opt_ms(c, "sleep-ms", 50) / 1000.0;
    unsigned par = c->concurrency ? c->concurrency : 1;
    if (strcmp(c->model, "single") == 0)
        par = 1;
    else if (!c->io && strcmp(c->model, "async") == 0)
        par = 1;
    else if (!c->io && par > cores)
        par = cores;
    double waves = ceil((double)c->tasks / par);
    /* CPU-bound work in parallel rarely gets every core to itself. */
    if (!c->io && par > 1)
        waves *= 1.25;
    return k->overhead_s + waves * t + c->tasks * dispatch_s(c->model);
}

/* Set by the signal watcher on SIGINT, SIGTERM or SIGHUP: every child is stopped, and what was
 * measured is written out as a partial sweep. */
static struct event sweep_cancel;

/* ---- the state of one sweep ---- */

struct sweep {
    struct sweep_plan plan;
    char exe[PATH_MAX];         /* the binary, for records and hyperfine */
    char dir[PATH_MAX];         /* results/<stamp> */
    char outdir[PATH_MAX];      /* results */
    char stamp[48];
    char started_utc[32];
    uint64_t seed;
    bool tty, use_hyperfine, dry_run;
    double run_timeout_s;       /* --run-timeout; 0: max(30 s, 10 x the estimate) */

    struct calib *calibs;
    size_t ncalibs;
    double estimate_s;

    struct sweep_run *runs;     /* every run done, in order */
    char **raw;                 /* parallel: the record text of runs we keep (timeline) */
    size_t nruns, runs_cap;
    bool *warmed;               /* per cell */
    unsigned *done;             /* measured runs done per cell */
    bool *keep_raw;             /* per cell: keep record texts (timeline sources) */

    struct afile jsonl, runs_csv;
    unsigned total_runs, runs_started;
    double t0, est_done, last_progress;
    unsigned cells_done;
};

static const char *calib_key_args(const struct sweep_cell *c)
{
    return c->args;
}

static struct calib *calib_for(struct sweep *s, const struct sweep_cell *c)
{
    for (size_t k = 0; k < s->ncalibs; k++)
        if (strcmp(s->calibs[k].workload, c->workload) == 0 &&
            strcmp(s->calibs[k].args, calib_key_args(c)) == 0)
            return &s->calibs[k];
    return NULL;
}

/* argv of `concbench run` for a cell: exec path first. Strings live in `store`. */
struct run_argv {
    char *argv[48];
    char store[512];
};

static void build_run_argv(const struct sweep_cell *c, const char *exe, struct run_argv *ra)
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

/* An I/O-bound task's time is D, known; its calibration measures the run's fixed cost (start,
 * setup such as a server, teardown) with D = 1 ms instead. */
static void io_calibration_args(struct sweep_cell *c)
{
    char copy[sizeof c->args], out[sizeof c->args], *save = NULL;
    size_t used = 0;
    bool next_is_d = false;
    snprintf(copy, sizeof copy, "%s", c->args);
    out[0] = '\0';
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        const char *w = next_is_d ? "1" : t;
        next_is_d = strcmp(t, "--sleep-ms") == 0;
        int n = snprintf(out + used, sizeof out - used, "%s%s", used ? " " : "", w);
        if (n > 0 && (size_t)n < sizeof out - used)
            used += (size_t)n;
    }
    snprintf(c->args, sizeof c->args, "%s", out);
}

static void calibrate(struct sweep *s)
{
    s->calibs = calloc(s->plan.ncells ? s->plan.ncells : 1, sizeof *s->calibs);
    if (!s->calibs)
        return;
    for (size_t i = 0; i < s->plan.ncells; i++) {
        const struct sweep_cell *c = &s->plan.cells[i];
        if (calib_for(s, c))
            continue;
        struct calib *k = &s->calibs[s->ncalibs++];
        k->workload = c->workload;
        k->args = calib_key_args(c);
        k->task_s = c->io ? opt_ms(c, "sleep-ms", 50) / 1000.0 : 0.05;
        k->overhead_s = 0.01;
        if (sigwatch_signal())
            continue;
        struct sweep_cell one = *c;
        one.model = "single";
        one.tasks = 1;
        one.jobs = 0;
        if (c->io)
            io_calibration_args(&one);
        struct run_argv ra;
        build_run_argv(&one, SELF_EXE, &ra);
        /* The least of two runs (three when the first did one-time work, such as writing a
         * corpus into its cache): the machine is what it is, but a stray stall is not. */
        double best_task = INFINITY, best_over = INFINITY;
        int last_status = SR_OK, last_exit = 0;
        for (int attempt = 0, want = 2; attempt < want && !sigwatch_signal(); attempt++) {
            struct proc_child ch;
            struct proc_opts po = { .capture_out = true, .stop = &sweep_cancel,
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
            if (c->io) {
                /* I/O: D itself, plus what a 1 ms task measured beyond its 1 ms (at most
                 * 5 ms: one stall is not the rule). */
                double d = opt_ms(c, "sleep-ms", 50) / 1000.0, extra = best_task - 0.001;
                k->task_s = d + (extra < 0 ? 0 : extra > 0.005 ? 0.005 : extra);
            }
        } else if (!sigwatch_signal()) {
            fprintf(stderr, "concbench sweep: calibration run of %s (%s) ended %s (exit %d)\n",
                    c->workload, c->args[0] ? c->args : "defaults",
                    sweep_status_name(last_status), last_exit);
        }
    }
}

static void fmt_duration(double secs, char *buf, size_t len)
{
    if (!(secs >= 0))
        secs = 0;
    unsigned long t = (unsigned long)(secs + 0.5);
    if (t >= 60)
        snprintf(buf, len, "%lu min %02lu s", t / 60, t % 60);
    else
        snprintf(buf, len, "%.1f s", secs);
}

static double hyperfine_estimate(const struct sweep *s, const struct sweep_cell *c)
{
    return (1 + s->plan.runs) * c->est_run_s + 0.05;
}

static void estimate(struct sweep *s)
{
    double total = 0;
    for (size_t k = 0; k < s->ncalibs; k++)
        total += s->calibs[k].overhead_s + s->calibs[k].task_s;
    for (size_t i = 0; i < s->plan.ncells; i++) {
        struct sweep_cell *c = &s->plan.cells[i];
        const struct calib *k = calib_for(s, c);
        struct calib def = { .task_s = 0.05, .overhead_s = 0.01 };
        c->est_run_s = estimate_run(c, k ? k : &def, s->plan.cores);
        total += (1 + s->plan.runs) * c->est_run_s;
        if (c->hyperfine && s->use_hyperfine)
            total += hyperfine_estimate(s, c);
    }
    s->estimate_s = total;
}

static void print_plan(const struct sweep *s, FILE *f)
{
    unsigned per_part[SWEEP_NPARTS] = { 0 }, hf = 0;
    char est[32];
    for (size_t i = 0; i < s->plan.ncells; i++) {
        per_part[s->plan.cells[i].part]++;
        hf += s->plan.cells[i].hyperfine && s->use_hyperfine;
    }
    fmt_duration(s->estimate_s, est, sizeof est);
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

/* ---- recording ---- */

static void json_text_sanitized(struct json_out *j, const char *key, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max)
        n = max;
    char *copy = malloc(n + 1);
    if (!copy)
        return;
    for (size_t i = 0; i < n; i++)
        copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
    copy[n] = '\0';
    json_key_str(j, key, copy);
    free(copy);
}

static size_t trimmed_len(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    return n;
}

static void write_jsonl(struct sweep *s, const struct sweep_cell *c, const struct sweep_run *r,
                        char *const argv[], const struct proc_child *ch, bool record_ok,
                        unsigned order)
{
    struct json_out j;
    FILE *f = s->jsonl.f;
    json_init(&j, f);
    json_object_begin(&j);
    json_key_uint(&j, "sweep_schema", 1);
    json_key_uint(&j, "seed", s->seed);
    json_key_uint(&j, "order", order);
    json_key_uint(&j, "cell", c->id);
    json_key_str(&j, "part", sweep_part_name(c->part));
    json_key_str(&j, "workload", c->workload);
    json_key_str(&j, "model", c->model);
    json_key_uint(&j, "tasks", c->tasks);
    json_key_uint(&j, "concurrency", c->concurrency);
    json_key_uint(&j, "run", r->run);
    json_key_bool(&j, "warmup", r->run == 0);
    json_key_str(&j, "status", sweep_status_name(r->status));
    json_key_int(&j, "exit_code", r->exit_code);
    json_key_str(&j, "signal", ch->term_signal ? strsignal(ch->term_signal) : NULL);
    json_key_bool(&j, "timed_out", ch->timed_out);
    json_key_double(&j, "elapsed_s", r->elapsed_s);
    json_key_double(&j, "estimated_s", c->est_run_s);
    json_key(&j, "argv");
    json_array_begin(&j);
    json_str(&j, s->exe);
    for (int k = 1; argv[k]; k++)
        json_str(&j, argv[k]);
    json_array_end(&j);
    json_text_sanitized(&j, "stderr", ch->err ? ch->err : "", STDERR_KEPT);
    json_key(&j, "record");
    if (record_ok) {
        fwrite(ch->out, 1, trimmed_len(ch->out, ch->out_len), f);
        j.need_comma[j.depth] = true;
    } else {
        json_null(&j);
        json_text_sanitized(&j, "stdout", ch->out ? ch->out : "", STDERR_KEPT);
    }
    json_object_end(&j);
    fputc('\n', f);
}

static void write_runs_csv_row(FILE *f, const struct sweep_cell *c, const struct sweep_run *r)
{
    fprintf(f, "%s,%s,%s,%u,%u,%u,", c->workload, c->model, sweep_part_name(c->part), c->tasks,
            c->concurrency, r->run);
    sweep_csv_number(f, r->wall_s, 9);
    fprintf(f, ",%d\n", r->status == SR_OK ? 1 : 0);
}

/* ---- progress ---- */

static void progress(struct sweep *s, const struct sweep_cell *c, unsigned run, bool cell_done)
{
    double now = clock_now(), el = now - s->t0;
    double remaining = 0;
    for (size_t i = 0; i < s->plan.ncells; i++) {
        const struct sweep_cell *x = &s->plan.cells[i];
        unsigned left = s->plan.runs - s->done[i] + (s->warmed[i] ? 0 : 1);
        remaining += left * x->est_run_s;
        if (x->hyperfine && s->use_hyperfine)
            remaining += hyperfine_estimate(s, x);
    }
    /* Scale by how the estimate has fared so far. */
    double ratio = s->est_done > 1 ? el / s->est_done : 1;
    if (ratio < 0.3)
        ratio = 0.3;
    if (ratio > 5)
        ratio = 5;
    char eta[32], elapsed[32];
    fmt_duration(remaining * ratio, eta, sizeof eta);
    fmt_duration(el, elapsed, sizeof elapsed);
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

static int do_run(struct sweep *s, struct sweep_cell *c, unsigned run, unsigned order)
{
    struct run_argv ra;
    struct proc_child ch;
    build_run_argv(c, SELF_EXE, &ra);
    double limit = 10 * c->est_run_s;
    if (limit < RUN_TIMEOUT_MIN_S)
        limit = RUN_TIMEOUT_MIN_S;
    if (s->run_timeout_s > 0)
        limit = s->run_timeout_s;
    s->runs_started++;
    progress(s, c, run, false);
    struct proc_opts po = { .capture_out = true, .timeout_s = limit, .stop = &sweep_cancel };
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
    s->raw[s->nruns] = NULL;
    if (parsed && s->keep_raw[c->id] && r->status == SR_OK)
        s->raw[s->nruns] = strndup(ch.out, trimmed_len(ch.out, ch.out_len));
    s->nruns++;
    write_jsonl(s, c, r, ra.argv, &ch, parsed, order);
    if (run > 0 && r->status != SR_INTERRUPTED)
        write_runs_csv_row(s->runs_csv.f, c, r);
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
        if (run == 0)
            s->warmed[c->id] = true;
        else
            s->done[c->id]++;
        if (run > 0 && s->done[c->id] == s->plan.runs) {
            s->cells_done++;
            progress(s, c, run, true);
        }
    }
    return 0;
}

/* ---- hyperfine ---- */

/* Quote a word for hyperfine's shell-words splitting (single quotes when needed). */
static void shell_word(char *out, size_t len, const char *w)
{
    bool plain = *w != '\0';
    for (const char *p = w; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+-",
                    *p))
            plain = false;
    if (plain) {
        snprintf(out, len, "%s", w);
        return;
    }
    size_t n = 0;
    if (n + 1 < len)
        out[n++] = '\'';
    for (const char *p = w; *p && n + 5 < len; p++) {
        if (*p == '\'') {
            memcpy(out + n, "'\\''", 4);
            n += 4;
        } else {
            out[n++] = *p;
        }
    }
    if (n + 1 < len)
        out[n++] = '\'';
    out[n] = '\0';
}

static void hyperfine_name(const struct sweep_cell *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s-%s", c->workload, c->model);
}

/* Time the headline cells with hyperfine; returns how many JSON files were written. */
static unsigned run_hyperfine(struct sweep *s, const char **note)
{
    unsigned written = 0;
    char hdir[PATH_MAX + 16];
    snprintf(hdir, sizeof hdir, "%s/hyperfine", s->dir);
    if (mkdir(hdir, 0755) < 0 && errno != EEXIST) {
        *note = "cannot create the hyperfine folder";
        return 0;
    }
    for (size_t i = 0; i < s->plan.ncells && !sigwatch_signal(); i++) {
        struct sweep_cell *c = &s->plan.cells[i];
        if (!c->hyperfine)
            continue;
        struct run_argv ra;
        char cmd[2048], word[600], name[128], tmp[PATH_MAX + 200], final[PATH_MAX + 200];
        char warm[16], runs[16];
        size_t used = 0;
        build_run_argv(c, s->exe, &ra);
        cmd[0] = '\0';
        for (int k = 0; ra.argv[k]; k++) {
            shell_word(word, sizeof word, ra.argv[k]);
            int n = snprintf(cmd + used, sizeof cmd - used, "%s%s", k ? " " : "", word);
            if (n > 0 && (size_t)n < sizeof cmd - used)
                used += (size_t)n;
        }
        hyperfine_name(c, name, sizeof name);
        snprintf(tmp, sizeof tmp, "%s/.%s.json.tmp", hdir, name);
        snprintf(final, sizeof final, "%s/%s.json", hdir, name);
        snprintf(warm, sizeof warm, "%u", 1u);
        snprintf(runs, sizeof runs, "%u", s->plan.runs < 2 ? 2 : s->plan.runs);
        char *argv[] = { "hyperfine", "-N", "--warmup", warm, "--runs", runs, "--export-json",
                         tmp, cmd, NULL };
        struct proc_child ch;
        double limit = 10 * hyperfine_estimate(s, c);
        if (limit < 60)
            limit = 60;
        if (s->tty) {
            fprintf(stderr, "\r  hyperfine: %s x %s\033[K", c->workload, c->model);
            fflush(stderr);
        }
        struct proc_opts po = { .search = true, .timeout_s = limit, .stop = &sweep_cancel };
        if (proc_run(argv, &po, &ch) < 0) {
            *note = "hyperfine could not be started";
            break;
        }
        if (ch.exit_code == 0 && !ch.interrupted && rename(tmp, final) == 0) {
            written++;
            if (!s->tty)
                fprintf(stderr, "  hyperfine: %s x %s done\n", c->workload, c->model);
        } else {
            unlink(tmp);
            if (!ch.interrupted) {
                if (s->tty)
                    fputc('\n', stderr);
                fprintf(stderr, "  hyperfine failed for %s x %s (exit %d): %.300s\n",
                        c->workload, c->model, ch.exit_code, ch.err ? ch.err : "");
                *note = "hyperfine failed for some cells (see the sweep's stderr)";
            }
        }
        proc_child_free(&ch);
    }
    if (s->tty)
        fprintf(stderr, "\r\033[K");
    return written;
}

/* hyperfine.csv: one row per headline cell timed by hyperfine, beside the in-process median. */
static int write_hyperfine_csv(struct sweep *s, const struct sweep_row *rows)
{
    struct afile a;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/hyperfine.csv", s->dir);
    int err = afile_open(&a, path);
    if (err < 0)
        return err;
    fprintf(a.f, "workload,model,tasks,concurrency,runs,mean_s,stddev_s,median_s,min_s,max_s,"
                 "inprocess_median_s\n");
    for (size_t i = 0; i < s->plan.ncells; i++) {
        const struct sweep_cell *c = &s->plan.cells[i];
        char name[128], file[PATH_MAX + 200], perr[128];
        if (!c->hyperfine)
            continue;
        hyperfine_name(c, name, sizeof name);
        snprintf(file, sizeof file, "%s/hyperfine/%s.json", s->dir, name);
        FILE *f = fopen(file, "r");
        if (!f)
            continue;
        char *text = NULL;
        size_t cap = 0, len = 0, n;
        char chunk[8192];
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
            if (len + n + 1 > cap) {
                cap = (len + n + 1) * 2;
                char *t = realloc(text, cap);
                if (!t)
                    break;
                text = t;
            }
            memcpy(text + len, chunk, n);
            len += n;
        }
        fclose(f);
        struct json_value *v = text ? json_parse(text, len, perr, sizeof perr) : NULL;
        free(text);
        const struct json_value *res = v ? json_get(v, "results") : NULL;
        if (res && res->type == JSON_ARRAY && res->n > 0) {
            const struct json_value *r0 = &res->items[0];
            const struct json_value *times = json_get(r0, "times");
            const char *keys[] = { "mean", "stddev", "median", "min", "max" };
            fprintf(a.f, "%s,%s,%u,%u,%zu", c->workload, c->model, c->tasks, c->concurrency,
                    times && times->type == JSON_ARRAY ? times->n : (size_t)0);
            for (int k = 0; k < 5; k++) {
                const struct json_value *x = json_get(r0, keys[k]);
                fputc(',', a.f);
                if (x && x->type == JSON_NUMBER)
                    sweep_csv_number(a.f, x->number, 9);
            }
            fputc(',', a.f);
            sweep_csv_number(a.f, rows[i].median_s, 9);
            fputc('\n', a.f);
        }
        json_free(v);
    }
    return afile_commit(&a);
}

/* ---- timeline.csv ---- */

static void timeline_rows(FILE *f, const struct sweep *s, const struct sweep_cell *c)
{
    size_t idx[1024], n = 0;
    for (size_t k = 0; k < s->nruns && n < 1024; k++)
        if (s->runs[k].cell == c->id && s->runs[k].run > 0 && s->runs[k].status == SR_OK &&
            s->raw[k])
            idx[n++] = k;
    if (!n)
        return;
    /* The median run: sort by wall time, take the lower middle. */
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && s->runs[idx[b]].wall_s < s->runs[idx[b - 1]].wall_s; b--) {
            size_t t = idx[b];
            idx[b] = idx[b - 1];
            idx[b - 1] = t;
        }
    const char *text = s->raw[idx[(n - 1) / 2]];
    char err[128];
    struct json_value *v = json_parse(text, strlen(text), err, sizeof err);
    if (!v)
        return;
    const struct json_value *st = json_get(v, "task_status");
    const struct json_value *t0 = json_get(v, "task_start_s");
    const struct json_value *t1 = json_get(v, "task_end_s");
    if (st && t0 && t1 && st->type == JSON_ARRAY && t0->type == JSON_ARRAY &&
        t1->type == JSON_ARRAY && st->n == t0->n && st->n == t1->n) {
        for (size_t i = 0; i < st->n; i++) {
            fprintf(f, "%s,%s,%zu,", c->workload, c->model, i);
            if (t0->items[i].type == JSON_NUMBER)
                sweep_csv_number(f, t0->items[i].number, 9);
            fputc(',', f);
            if (t1->items[i].type == JSON_NUMBER)
                sweep_csv_number(f, t1->items[i].number, 9);
            fprintf(f, ",%s\n",
                    st->items[i].type == JSON_STRING ? st->items[i].string : "unknown");
        }
    }
    json_free(v);
}

/* Cells whose median run's tasks go into timeline.csv: the timeline part, and single's
 * headline cell of the same workload when the timeline part has no single of its own. */
static void mark_timeline_sources(struct sweep *s)
{
    const struct sweep_plan *p = &s->plan;
    for (size_t i = 0; i < p->ncells; i++) {
        const struct sweep_cell *c = &p->cells[i];
        if (c->part == SWEEP_TIMELINE) {
            s->keep_raw[i] = true;
            continue;
        }
        if (c->part != SWEEP_HEADLINE || strcmp(c->model, "single") != 0)
            continue;
        bool has_timeline = false, has_single = false;
        unsigned tn = 0;
        for (size_t k = 0; k < p->ncells; k++)
            if (p->cells[k].part == SWEEP_TIMELINE &&
                strcmp(p->cells[k].workload, c->workload) == 0) {
                has_timeline = true;
                tn = p->cells[k].tasks;
                has_single |= strcmp(p->cells[k].model, "single") == 0;
            }
        s->keep_raw[i] = has_timeline && !has_single && tn == c->tasks;
    }
}

static int write_timeline(struct sweep *s)
{
    struct afile a;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/timeline.csv", s->dir);
    int err = afile_open(&a, path);
    if (err < 0)
        return err;
    fprintf(a.f, "workload,model,task,start_s,end_s,status\n");
    /* Per workload, single first, then the timeline cells in plan order. */
    for (size_t i = 0; i < s->plan.ncells; i++) {
        const struct sweep_cell *c = &s->plan.cells[i];
        if (!s->keep_raw[i])
            continue;
        bool first_of_workload = true;
        for (size_t k = 0; k < i; k++)
            if (s->keep_raw[k] && strcmp(s->plan.cells[k].workload, c->workload) == 0)
                first_of_workload = false;
        if (!first_of_workload)
            continue;
        for (size_t k = 0; k < s->plan.ncells; k++)
            if (s->keep_raw[k] && strcmp(s->plan.cells[k].workload, c->workload) == 0 &&
                strcmp(s->plan.cells[k].model, "single") == 0)
                timeline_rows(a.f, s, &s->plan.cells[k]);
        for (size_t k = 0; k < s->plan.ncells; k++)
            if (s->keep_raw[k] && strcmp(s->plan.cells[k].workload, c->workload) == 0 &&
                strcmp(s->plan.cells[k].model, "single") != 0)
                timeline_rows(a.f, s, &s->plan.cells[k]);
    }
    return afile_commit(&a);
}

/* ---- the results folder ---- */

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int make_run_dir(struct sweep *s)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(s->stamp, sizeof s->stamp, "%Y%m%dT%H%M%SZ", &tm);
    strftime(s->started_utc, sizeof s->started_utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int err = mkdir_p(s->outdir);
    if (err < 0)
        return err;
    char base[24];
    snprintf(base, sizeof base, "%.20s", s->stamp);
    for (unsigned k = 2; k < 100; k++) {
        if (snprintf(s->dir, sizeof s->dir, "%s/%s", s->outdir, s->stamp) >= (int)sizeof s->dir)
            return -ENAMETOOLONG;
        if (mkdir(s->dir, 0755) == 0)
            return 0;
        if (errno != EEXIST)
            return -errno;
        snprintf(s->stamp, sizeof s->stamp, "%s-%u", base, k);
    }
    return -EEXIST;
}

/* ---- the command ---- */

static void sweep_help(void)
{
    printf("usage: concbench sweep [--profile default|quick|test] [--out DIR] [--seed S]\n"
           "                       [--runs R] [--run-timeout T] [--no-hyperfine] [--dry-run]\n\n"
           "Runs the benchmark matrix: every cell R times (after one warm-up) as a fresh\n"
           "'concbench run --json' process, the runs of all cells in one shuffled order, and\n"
           "the headline grid also timed whole by hyperfine. Writes DIR/<UTC stamp>/ and points\n"
           "DIR/latest at it.\n\n"
           "  --profile P      default (within 10 minutes on 2 cores), quick (within 60 s, all\n"
           "                   24 pairs), test (a few seconds of probe and sleep, for the\n"
           "                   tests), test-faults (runs that fail, crash and hang)\n"
           "  --out DIR        where results go (default: results)\n"
           "  --seed S         seed of the run order (default: random; recorded)\n"
           "  --runs R         measured runs per cell (default: 5; quick 3; test 2)\n"
           "  --no-hyperfine   do not time the headline grid with hyperfine\n"
           "  --run-timeout T  kill a run after T s (default: max(30 s, 10 x its estimate));\n"
           "                   a killed run is recorded as a timeout and the sweep goes on\n"
           "  --dry-run        print the cells, their commands and the estimate; run nothing\n"
           "                   but the calibration (one task of each workload)\n"
           "  -h, --help       this text\n\n"
           "Cells are (workload, model, tasks, concurrency, workload arguments) in four parts:\n"
           "headline (every pair at N = 16), tasks (wall time against N), concurrency (against\n"
           "-j at fixed N), overhead (no-op tasks), plus the timeline configuration (N = 16,\n"
           "-j 4). Files: runs.jsonl, runs.csv, summary.csv, timeline.csv, hyperfine/*.json,\n"
           "hyperfine.csv, metadata.json; each appears whole (written, then renamed).\n\n"
           "exit codes: 0 every run ok, 1 some run failed (kept in the records, left out of\n"
           "the statistics), 2 usage error, 3 the results could not be written, 130 interrupted\n"
           "(what was measured is written, marked partial)\n");
}

static uint64_t random_seed(void)
{
    uint64_t seed = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &seed, sizeof seed) != (ssize_t)sizeof seed)
            seed = 0;
        close(fd);
    }
    if (!seed)
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(clock_now() * 1e9);
    return seed % 1000000000000ULL;     /* short enough to type back in */
}

static void free_sweep(struct sweep *s)
{
    for (size_t k = 0; k < s->nruns; k++)
        free(s->raw ? s->raw[k] : NULL);
    free(s->raw);
    free(s->runs);
    free(s->warmed);
    free(s->done);
    free(s->keep_raw);
    free(s->calibs);
    sweep_plan_free(&s->plan);
}

static void print_cells(const struct sweep *s)
{
    for (size_t k = 0; k < s->ncalibs; k++)
        printf("calibration %s (%s): %.4f s a task, %.4f s a run%s\n", s->calibs[k].workload,
               s->calibs[k].args[0] ? s->calibs[k].args : "defaults", s->calibs[k].task_s,
               s->calibs[k].overhead_s, s->calibs[k].measured ? "" : " (not measured)");
    for (size_t i = 0; i < s->plan.ncells; i++) {
        const struct sweep_cell *c = &s->plan.cells[i];
        struct run_argv ra;
        build_run_argv(c, "concbench", &ra);
        printf("%4zu %-11s est %7.3f s  ", i, sweep_part_name(c->part), c->est_run_s);
        for (int k = 0; ra.argv[k]; k++)
            printf("%s%s", k ? " " : "", ra.argv[k]);
        printf("\n");
    }
}

int cmd_sweep(int argc, char **argv)
{
    enum { OPT_PROFILE = 1000, OPT_OUT, OPT_SEED, OPT_RUNS, OPT_NO_HF, OPT_DRY, OPT_TIMEOUT };
    static const struct option longopts[] = {
        { "profile", required_argument, NULL, OPT_PROFILE },
        { "out", required_argument, NULL, OPT_OUT },
        { "seed", required_argument, NULL, OPT_SEED },
        { "runs", required_argument, NULL, OPT_RUNS },
        { "no-hyperfine", no_argument, NULL, OPT_NO_HF },
        { "dry-run", no_argument, NULL, OPT_DRY },
        { "run-timeout", required_argument, NULL, OPT_TIMEOUT },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct sweep s;
    const char *profile = "default", *out = "results";
    uint64_t seed = 0, runs = 0;
    bool seed_set = false;
    int c, idx, code = EXIT_OK, err;
    char msg[256];

    memset(&s, 0, sizeof s);
    s.use_hyperfine = true;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, &idx)) != -1) {
        switch (c) {
        case OPT_PROFILE: profile = optarg; break;
        case OPT_OUT:
            if (!*optarg)
                return cli_usage_error("sweep", "--out needs a folder");
            out = optarg;
            break;
        case OPT_SEED:
            if (!cli_parse_uint(optarg, 0, UINT64_MAX, &seed))
                return cli_usage_error("sweep", "bad --seed '%s': a whole number", optarg);
            seed_set = true;
            break;
        case OPT_RUNS:
            if (!cli_parse_uint(optarg, 1, 1000, &runs))
                return cli_usage_error("sweep", "bad --runs '%s': a whole number from 1 to "
                                       "1000", optarg);
            break;
        case OPT_NO_HF: s.use_hyperfine = false; break;
        case OPT_DRY: s.dry_run = true; break;
        case OPT_TIMEOUT: {
            uint64_t t;
            if (!cli_parse_uint(optarg, 1, 86400, &t))
                return cli_usage_error("sweep", "bad --run-timeout '%s': whole seconds from 1 "
                                       "to 86400", optarg);
            s.run_timeout_s = (double)t;
            break;
        }
        case 'h': sweep_help(); return EXIT_OK;
        case ':': return cli_usage_error("sweep", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("sweep", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("sweep", "unexpected argument '%s'", argv[optind]);

    err = sweep_plan_build(profile, (unsigned)runs, cli_online_cpus(), &s.plan, msg,
                           sizeof msg);
    if (err == -EINVAL)
        return cli_usage_error("sweep", "%s", msg);
    if (err < 0) {
        fprintf(stderr, "concbench sweep: %s\n", msg);
        return EXIT_ENV;
    }
    s.use_hyperfine = s.use_hyperfine && s.plan.hyperfine;
    s.seed = seed_set ? seed : random_seed();
    s.tty = isatty(2);
    if (strlen(out) >= sizeof s.outdir - 40) {
        free_sweep(&s);
        return cli_usage_error("sweep", "--out: folder name too long");
    }
    snprintf(s.outdir, sizeof s.outdir, "%s", out);
    ssize_t n = readlink(SELF_EXE, s.exe, sizeof s.exe - 1);
    if (n <= 0) {
        fprintf(stderr, "concbench sweep: cannot read %s: %s\n", SELF_EXE, strerror(errno));
        free_sweep(&s);
        return EXIT_ENV;
    }
    s.exe[n] = '\0';
    if ((err = event_init(&sweep_cancel)) < 0 || (err = sigwatch_start(&sweep_cancel, false)) < 0) {
        fprintf(stderr, "concbench sweep: cannot watch signals: %s\n", strerror(-err));
        free_sweep(&s);
        return EXIT_ENV;
    }

    struct sweep_tools tools;
    sweep_collect_tools(&tools);
    if (s.use_hyperfine && !tools.hyperfine[0]) {
        fprintf(stderr, "concbench sweep: hyperfine not found: the headline grid is timed "
                        "in-process only\n");
        s.use_hyperfine = false;
    }
    double t_start = clock_now();
    fprintf(stderr, "concbench sweep: calibrating (one task of each workload, a few seconds)\n");
    calibrate(&s);
    estimate(&s);
    print_plan(&s, stderr);
    if (s.dry_run) {
        print_cells(&s);
        free_sweep(&s);
        return sigwatch_signal() ? EXIT_INTERRUPTED : EXIT_OK;
    }

    size_t cap = s.plan.ncells * (s.plan.runs + 1);
    s.runs = calloc(cap ? cap : 1, sizeof *s.runs);
    s.raw = calloc(cap ? cap : 1, sizeof *s.raw);
    s.runs_cap = cap;
    s.warmed = calloc(s.plan.ncells + 1, sizeof *s.warmed);
    s.done = calloc(s.plan.ncells + 1, sizeof *s.done);
    s.keep_raw = calloc(s.plan.ncells + 1, sizeof *s.keep_raw);
    size_t norder = s.plan.ncells * s.plan.runs;
    unsigned *order = calloc(norder ? norder : 1, sizeof *order);
    if (!s.runs || !s.raw || !s.warmed || !s.done || !s.keep_raw || !order) {
        fprintf(stderr, "concbench sweep: out of memory\n");
        free(order);
        free_sweep(&s);
        return EXIT_ENV;
    }
    mark_timeline_sources(&s);

    if ((err = make_run_dir(&s)) < 0) {
        fprintf(stderr, "concbench sweep: cannot create a results folder in '%s': %s\n",
                s.outdir, strerror(-err));
        free(order);
        free_sweep(&s);
        return EXIT_ENV;
    }
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/runs.jsonl", s.dir);
    if ((err = afile_open(&s.jsonl, path)) < 0 ||
        (snprintf(path, sizeof path, "%s/runs.csv", s.dir),
         (err = afile_open(&s.runs_csv, path)) < 0)) {
        fprintf(stderr, "concbench sweep: cannot write in %s: %s\n", s.dir, strerror(-err));
        afile_abort(&s.jsonl);
        free(order);
        free_sweep(&s);
        return EXIT_ENV;
    }
    fprintf(s.runs_csv.f, "workload,model,part,tasks,concurrency,run,wall_s,ok\n");
    fprintf(stderr, "  results: %s\n", s.dir);

    /* The runs: every (cell, run) once, shuffled; a cell's warm-up just before its first. */
    for (size_t k = 0; k < norder; k++)
        order[k] = (unsigned)k;
    sweep_shuffle(order, norder, s.seed);
    s.total_runs = (unsigned)cap;
    s.t0 = clock_now();
    unsigned seq = 0;
    for (size_t k = 0; k < norder && !sigwatch_signal(); k++) {
        struct sweep_cell *cell = &s.plan.cells[order[k] / s.plan.runs];
        unsigned run = order[k] % s.plan.runs + 1;
        if (!s.warmed[cell->id]) {
            if (do_run(&s, cell, 0, seq++) < 0)
                break;
            if (sigwatch_signal())
                break;
        }
        if (do_run(&s, cell, run, seq++) < 0)
            break;
    }
    free(order);
    if (s.tty)
        fprintf(stderr, "\r\033[K");

    const char *hf_note = NULL;
    unsigned hf_written = 0;
    if (s.use_hyperfine && !sigwatch_signal())
        hf_written = run_hyperfine(&s, &hf_note);
    else if (!s.use_hyperfine)
        hf_note = s.plan.hyperfine ? "hyperfine not used (--no-hyperfine or not installed)"
                                   : "the profile does not use hyperfine";

    /* Everything below writes files only: no more child processes. */
    int sig = sigwatch_signal();
    bool partial = sig != 0;
    if (partial && !hf_note && s.use_hyperfine)
        hf_note = "interrupted before or during hyperfine";
    unsigned ok = 0, bad = 0, intr = 0;
    for (size_t k = 0; k < s.nruns; k++) {
        if (s.runs[k].run == 0)
            continue;
        if (s.runs[k].status == SR_OK)
            ok++;
        else if (s.runs[k].status == SR_INTERRUPTED)
            intr++;
        else
            bad++;
    }

    struct sweep_row *rows = calloc(s.plan.ncells + 1, sizeof *rows);
    int werr = 0;
    if (!rows) {
        werr = -ENOMEM;
    } else {
        /* Default D for cells without --sleep-ms: the sleep workload's own default. */
        double dms = 100;
        const struct workload *sw = workload_find("sleep");
        for (const struct wopt *o = sw ? sw->opts : NULL; o && o->name; o++)
            if (strcmp(o->name, "sleep-ms") == 0 && o->def)
                dms = strtod(o->def, NULL);
        werr = sweep_summarize(s.plan.cells, s.plan.ncells, s.runs, s.nruns, dms, rows);
    }
    struct afile a;
    int e;
    if (!werr) {
        snprintf(path, sizeof path, "%s/summary.csv", s.dir);
        if ((e = afile_open(&a, path)) == 0) {
            sweep_write_summary_csv(a.f, rows, s.plan.ncells);
            e = afile_commit(&a);
        }
        werr = werr ? werr : e;
    }
    if ((e = afile_commit(&s.jsonl)) < 0 && !werr)
        werr = e;
    if ((e = afile_commit(&s.runs_csv)) < 0 && !werr)
        werr = e;
    if ((e = write_timeline(&s)) < 0 && !werr)
        werr = e;
    if (hf_written && rows && (e = write_hyperfine_csv(&s, rows)) < 0 && !werr)
        werr = e;
    if (partial) {
        snprintf(path, sizeof path, "%s/PARTIAL", s.dir);
        char text[200];
        int tl = snprintf(text, sizeof text, "interrupted by %s: %u of %u measured runs done; "
                          "see metadata.json\n", sig == 2 ? "SIGINT" : "SIGTERM", ok + bad,
                          (unsigned)norder);
        if ((e = afile_write(path, text, (size_t)tl)) < 0 && !werr)
            werr = e;
    }
    struct sweep_meta meta = {
        .tools = &tools,
        .profile = s.plan.profile,
        .seed = s.seed,
        .runs = s.plan.runs,
        .cells = (unsigned)s.plan.ncells,
        .cores = s.plan.cores,
        .estimated_s = s.estimate_s,
        .duration_s = clock_now() - t_start,
        .partial = partial,
        .signal = sig,
        .runs_ok = ok,
        .runs_not_ok = bad,
        .runs_interrupted = intr,
        .started_utc = s.started_utc,
        .stamp = s.stamp,
        .exe = s.exe,
        .argc = argc,
        .argv = argv,
        .plan = &s.plan,
        .hyperfine_ran = hf_written > 0,
        .hyperfine_note = hf_note,
    };
    snprintf(path, sizeof path, "%s/metadata.json", s.dir);
    if ((e = sweep_write_metadata(path, &meta)) < 0 && !werr)
        werr = e;
    snprintf(path, sizeof path, "%s/latest", s.outdir);
    if (!werr && (e = afile_symlink(s.stamp, path)) < 0)
        fprintf(stderr, "concbench sweep: cannot point %s at %s: %s\n", path, s.stamp,
                strerror(-e));
    free(rows);

    char real[32], est[32];
    fmt_duration(meta.duration_s, real, sizeof real);
    fmt_duration(s.estimate_s, est, sizeof est);
    if (werr) {
        fprintf(stderr, "concbench sweep: cannot write the results in %s: %s\n", s.dir,
                strerror(-werr));
        code = EXIT_ENV;
    } else {
        fprintf(stderr, "concbench sweep: %s%u runs ok, %u not ok%s in %s (estimated %s)\n",
                partial ? "INTERRUPTED, partial results: " : "", ok, bad,
                bad ? " (kept in runs.jsonl, left out of the medians)" : "", real, est);
        printf("%s\n", s.dir);
    }
    if (!werr)
        code = partial ? EXIT_INTERRUPTED : bad ? EXIT_TASKS : EXIT_OK;
    else if (partial)
        code = EXIT_INTERRUPTED;
    free_sweep(&s);
    return code;
}
