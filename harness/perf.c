/* perf.c — `concbench perf`: the promised figures (perf/checks.c), each measured R times beside
 * the machine's own limit, rounds interleaved across checks (round r of every check before
 * round r + 1, so a machine that drifts biases none), a single-thread spin between checks to
 * tell an idle machine from a busy one, then the verdicts (perf_verdict.c), the table and, with
 * --publish, docs/performance.md (perf_publish.c). Every run and every probe is a child process
 * started by proc_run; Ctrl-C stops the child and the session (exit 130). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "harness/catalog.h"
#include "harness/cli.h"
#include "harness/machine.h"
#include "harness/noise.h"
#include "harness/perf.h"
#include "harness/proc.h"
#include "harness/signals.h"
#include "harness/text.h"
#include "models/model.h"
#include "runtime/clock.h"
#include "runtime/event.h"
#include "workloads/workload.h"

const struct command cmd_perf_ = { "perf", "every promised performance figure beside the "
                                   "machine's own limit, judged (make perf)", cmd_perf };

#define MAX_CHECKS 256
#define MAX_JOBS 512

static void usage(FILE *f)
{
    fprintf(f,
        "usage: concbench perf [--runs R] [--only NAME[,NAME...]] [--all] [--publish DIR]\n"
        "                      [--bin PATH] [--list]\n\n"
        "Runs every performance figure concbench promises as a named check: the figure measured\n"
        "R times (median, min-max; rounds interleaved across checks), the machine's own limit\n"
        "measured in the same session by a minimal probe (or the run's ideal, or a promised\n"
        "figure), their ratio, the budget and the verdict. A 50 ms single-thread spin between\n"
        "checks tells an idle machine from a busy one: a check whose spins got less than %.0f %%\n"
        "of a CPU (median over its rounds) is inconclusive, whatever its figures.\n\n"
        "  -r, --runs R        rounds (default 5, at most %d)\n"
        "      --only LIST     only these checks (comma-separated names, see below)\n"
        "      --all           also the slow checks (the quick sweep's duration)\n"
        "      --publish DIR   also write DIR/performance.md (atomically) from this session\n"
        "      --bin PATH      the concbench binary whose runs are measured (default: this one;\n"
        "                      the probes always run from this one)\n"
        "      --list          print the checks and exit\n"
        "      --probe NAME ARGS...\n"
        "                      internal: run one probe and print its JSON line (below)\n"
        "  -h, --help          this text\n\n"
        "Progress goes to stderr, the table to stdout.\n"
        "exit codes: 0 every judged budget met, 1 a budget missed (or a run failed) on an idle\n"
        "machine, 4 inconclusive only (busy machine), 2 usage error, 3 the environment failed,\n"
        "130 interrupted.\n\nchecks:\n",
        PERF_BUSY_SHARE * 100, PERF_MAX_RUNS);
    for (size_t i = 0; i < perf_check_count; i++) {
        const struct perf_check_def *d = &perf_check_table[i];
        fprintf(f, "  %-24s %s%s\n", d->name, d->what,
                d->flags & PERF_ALL_ONLY ? " (--all)" : "");
    }
    fprintf(f, "  ({m}: every model that runs the workload in parallel, from the registry)\n\n"
               "probes (the machine's limits):\n");
    perf_probe_help(f);
}

/* ---- expanding the table into this binary's checks ---- */

static void expand(char *dst, size_t len, const char *src, unsigned cores, const char *model)
{
    dst[0] = '\0';
    for (const char *p = src ? src : ""; *p; p++) {
        if (strncmp(p, "{cores}", 7) == 0) {
            str_append(dst, len, "%u", cores);
            p += 6;
        } else if (strncmp(p, "{m}", 3) == 0) {
            str_append(dst, len, "%s", model);
            p += 2;
        } else {
            str_append(dst, len, "%c", *p);
        }
    }
}

static bool in_path(const char *prog)
{
    const char *path = getenv("PATH");
    char dir[PATH_MAX], full[PATH_MAX + 64];
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(dir, sizeof dir, "%.*s", (int)n, p);
        snprintf(full, sizeof full, "%s/%s", n ? dir : ".", prog);
        if (access(full, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}

/* The -n of an args string (0: none). */
static unsigned args_tasks(const char *args)
{
    const char *p = strstr(args, "-n ");
    return p ? (unsigned)strtoul(p + 3, NULL, 10) : 0;
}

static struct perf_check *add_check(struct perf_check *cs, size_t *n,
                                    const struct perf_check_def *d, const char *model,
                                    unsigned cores)
{
    if (*n == MAX_CHECKS)
        return NULL;
    struct perf_check *c = &cs[(*n)++];
    memset(c, 0, sizeof *c);
    c->def = d;
    c->model = model;
    expand(c->name, sizeof c->name, d->name, cores, model);
    expand(c->args, sizeof c->args, d->args, cores, model);
    if (d->workload)
        snprintf(c->run_cmd, sizeof c->run_cmd, "run -w %s -m %s %s", d->workload, model,
                 c->args);
    else
        snprintf(c->run_cmd, sizeof c->run_cmd, "perf --probe %s", d->probe);
    return c;
}

static size_t build_checks(struct perf_check *cs, bool all, bool wrk, unsigned cores)
{
    size_t n = 0;
    for (size_t i = 0; i < perf_check_count; i++) {
        const struct perf_check_def *d = &perf_check_table[i];
        const struct workload *w = d->workload ? workload_find(d->workload) : NULL;
        struct perf_check *c;
        if (d->workload && strcmp(d->model, "@parallel") == 0) {
            const struct model *serial = model_serial();
            bool any = false;
            for (const struct model *const *m = models; w && serial && *m; m++) {
                unsigned conc = model_concurrency(*m, args_tasks(d->args) ? cores : cores,
                                                  cores, cores);
                if ((*m)->serial || model_parallelism(*m, w, conc) < 2)
                    continue;
                any = true;
                add_check(cs, &n, d, (*m)->name, cores);
            }
            if (!any && (c = add_check(cs, &n, d, "*", cores)))
                snprintf(c->skip, sizeof c->skip, "%s", !w ? "its workload is not in this binary"
                         : !serial ? "no serial reference model in this binary"
                                   : "no parallel model in this binary");
            continue;
        }
        if (!(c = add_check(cs, &n, d, d->workload ? d->model : "", cores)))
            break;
        if (d->workload && !w)
            snprintf(c->skip, sizeof c->skip, "workload %s is not in this binary", d->workload);
        else if (d->workload && !model_find(d->model))
            snprintf(c->skip, sizeof c->skip, "model %s is not in this binary", d->model);
        else if ((d->flags & PERF_NEEDS_WRK) && !wrk)
            snprintf(c->skip, sizeof c->skip, "wrk is not installed (apt-get install wrk)");
        else if ((d->flags & PERF_NEEDS_2CPUS) && cores < 2)
            snprintf(c->skip, sizeof c->skip, "needs 2 CPUs, this process may use %u", cores);
        else if ((d->flags & PERF_ALL_ONLY) && !all)
            snprintf(c->skip, sizeof c->skip, "only with --all");
    }
    return n;
}

/* ---- jobs: one child each, at most once per round ---- */

struct job {
    char key[400];
    char *out;              /* stdout: a JSON record or a probe's JSON line */
    char err[200];          /* why it failed; "" when it did not */
};
struct round_cache {
    struct job jobs[MAX_JOBS];
    size_t n;
};

static void cache_clear(struct round_cache *rc)
{
    for (size_t i = 0; i < rc->n; i++)
        free(rc->jobs[i].out);
    rc->n = 0;
}

struct ctx {
    const char *bin, *self;
    struct event *stop;
    bool interrupted;
};

/* Run `PROG WORDS...` (run: concbench run ... --json from bin; probe: perf --probe from self).
 * Returns the job (cached by its words within a round), or NULL when the cache is full. */
static struct job *job(struct ctx *x, struct round_cache *rc, bool probe, const char *words)
{
    char key[400];
    snprintf(key, sizeof key, "%s %.380s", probe ? "probe" : "run", words);
    for (size_t i = 0; i < rc->n; i++)
        if (strcmp(rc->jobs[i].key, key) == 0)
            return &rc->jobs[i];
    if (rc->n == MAX_JOBS)
        return NULL;
    struct job *j = &rc->jobs[rc->n++];
    memset(j, 0, sizeof *j);
    str_copy(j->key, sizeof j->key, key);

    char store[400], *argv[72];
    int argc = 0;
    str_copy(store, sizeof store, words);
    argv[argc++] = (char *)(probe ? x->self : x->bin);
    if (probe) {
        argv[argc++] = "perf";
        argv[argc++] = "--probe";
    } else {
        argv[argc++] = "run";
    }
    char *save = NULL;
    for (char *t = strtok_r(store, " ", &save); t && argc < 68; t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    if (!probe)
        argv[argc++] = "--json";
    argv[argc] = NULL;

    struct proc_opts o = { .capture_out = true, .timeout_s = 1800, .stop = x->stop };
    struct proc_child ch;
    int e = proc_run(argv, &o, &ch);
    if (e < 0) {
        snprintf(j->err, sizeof j->err, "cannot start %s: %s", argv[0], strerror(-e));
        return j;
    }
    if (ch.interrupted)
        x->interrupted = true;
    if (ch.exit_code != 0 || !ch.out) {
        char first[160] = "";
        if (ch.err)
            snprintf(first, sizeof first, "%.*s", (int)strcspn(ch.err, "\n"), ch.err);
        snprintf(j->err, sizeof j->err, "`%.100s` exited %d%s%.80s", key, ch.exit_code,
                 first[0] ? ": " : "", first);
    } else if (!probe && !strstr(ch.out, "\"verified\":true")) {
        snprintf(j->err, sizeof j->err, "`%.150s`: not verified", key);
    } else {
        j->out = ch.out;
        ch.out = NULL;
    }
    proc_child_free(&ch);
    return j;
}

static void fail(struct perf_check *c, const char *why)
{
    if (!c->error[0])
        str_copy(c->error, sizeof c->error, why);
}

/* Round r of check c: its figures into measured[r], limit[r], ideal[r], extra[k][r]. */
static void run_round(struct ctx *x, struct round_cache *rc, struct perf_check *c, unsigned r,
                      unsigned cores)
{
    const struct perf_check_def *d = c->def;
    c->measured[r] = c->limit[r] = c->ideal[r] = NAN;
    for (unsigned k = 0; k < c->nextra; k++)
        c->extra[k][r] = NAN;
    char words[400], lim[200];
    if (d->workload)
        snprintf(words, sizeof words, "-w %s -m %s %s", d->workload, c->model, c->args);
    else
        expand(words, sizeof words, d->probe, cores, c->model);
    struct job *m = job(x, rc, d->workload == NULL, words);
    if (!m || x->interrupted)
        return;
    if (m->err[0])
        return fail(c, m->err);
    if (strcmp(d->figure, "speedup") == 0) {
        snprintf(words, sizeof words, "-w %s -m %s %s", d->workload, model_serial()->name,
                 c->args);
        struct job *ref = job(x, rc, false, words);
        if (!ref || x->interrupted)
            return;
        if (ref->err[0])
            return fail(c, ref->err);
        c->measured[r] = perf_figure(ref->out, "wall_s") / perf_figure(m->out, "wall_s");
    } else {
        c->measured[r] = perf_figure(m->out, d->figure);
    }
    if (d->workload) {
        double t = perf_figure(m->out, "tasks"), conc = perf_figure(m->out, "concurrency");
        c->tasks = isnan(t) ? 0 : (unsigned)t;
        if (d->basis == PERF_BASIS_IDEAL && !isnan(t) && !isnan(conc))
            c->ideal[r] = catalog_ideal_s(workload_find(d->workload), model_find(c->model),
                                          c->args, (unsigned)t, (unsigned)conc, cores, NAN);
    } else {
        c->tasks = 0;
    }
    for (unsigned k = 0; k < c->nextra; k++) {
        char names[256], *save = NULL, *t;
        str_copy(names, sizeof names, d->extras);
        t = strtok_r(names, " ", &save);
        for (unsigned i = 0; t && i < k; i++)
            t = strtok_r(NULL, " ", &save);
        if (t)
            c->extra[k][r] = perf_figure(m->out, t);
    }
    if (d->limit_figure && d->limit_figure[0] == '=') {
        c->limit[r] = perf_figure(m->out, d->limit_figure + 1);
    } else if (d->limit_probe) {
        expand(lim, sizeof lim, d->limit_probe, cores, c->model);
        bool lrun = strncmp(lim, "run ", 4) == 0;   /* the limit is another model's run */
        struct job *l = job(x, rc, !lrun, lrun ? lim + 4 : lim);
        if (!l || x->interrupted)
            return;
        if (l->err[0])
            return fail(c, l->err);
        c->limit[r] = perf_figure(l->out, d->limit_figure);
    }
}

static void load_avg(char *buf, size_t len)
{
    char *t = NULL;
    buf[0] = '\0';
    if (text_slurp("/proc/loadavg", 4096, &t, NULL) == 0) {
        int k = 0;
        for (char *p = t; *p && k < 3; p++) {
            if (*p == ' ')
                k++;
            if (k < 3)
                str_append(buf, len, "%c", *p);
        }
        free(t);
    }
}

static void session_facts(struct perf_session *s)
{
    machine_cpuinfo("model name", s->machine, sizeof s->machine);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(s->kernel, sizeof s->kernel, "%.40s %.80s", u.sysname, u.release);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(s->date, sizeof s->date, "%Y-%m-%d %H:%M UTC", &tm);
    char *rev[] = { "git", "rev-parse", "--short", "HEAD", NULL };
    char *dirty[] = { "git", "status", "--porcelain", "--untracked-files=no", NULL };
    char buf[128];
    proc_first_line(rev, s->revision, sizeof s->revision);
    if (!s->revision[0])
        str_copy(s->revision, sizeof s->revision, "unknown");
    else if (proc_first_line(dirty, buf, sizeof buf)[0])
        str_append(s->revision, sizeof s->revision, "-dirty");
}

/* What pinning does to the spread: the checks flagged PERF_PINNING side by side, median,
 * min-max and the spread as a share of the median, for the same figure and the limit. */
static void pinning_note(FILE *f, const struct perf_check *cs, size_t n)
{
    bool any = false;
    char a[40], b[40], m[40];
    for (size_t i = 0; i < n; i++) {
        const struct perf_check *c = &cs[i];
        if (!(c->def->flags & PERF_PINNING) || c->skip[0] || c->rounds == 0 || isnan(c->med))
            continue;
        if (!any)
            fprintf(f, "\npinning (the same hand-off with --cpus; spread = (max - min) / "
                       "median):\n");
        any = true;
        fprintf(f, "  %-24s %s (%s–%s), spread %.0f %%", c->name,
                perf_fmt(c->def->unit, c->med, m, sizeof m),
                perf_fmt(c->def->unit, c->min, a, sizeof a),
                perf_fmt(c->def->unit, c->max, b, sizeof b),
                c->med > 0 ? 100 * (c->max - c->min) / c->med : NAN);
        if (!isnan(c->lim_med) && c->lim_med > 0)
            fprintf(f, "; bare %s (%s–%s), spread %.0f %%",
                    perf_fmt(c->def->unit, c->lim_med, m, sizeof m),
                    perf_fmt(c->def->unit, c->lim_min, a, sizeof a),
                    perf_fmt(c->def->unit, c->lim_max, b, sizeof b),
                    100 * (c->lim_max - c->lim_min) / c->lim_med);
        fprintf(f, "%s%s\n", c->noise[0] ? "; " : "", c->noise);
    }
}

int cmd_perf(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--probe") == 0)
        return perf_probe_main(argc - 2, argv + 2);

    static const struct option opts[] = {
        { "runs", required_argument, NULL, 'r' },
        { "only", required_argument, NULL, 'o' },
        { "all", no_argument, NULL, 'a' },
        { "publish", required_argument, NULL, 'p' },
        { "bin", required_argument, NULL, 'b' },
        { "list", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t runs = 5;
    const char *only = NULL, *publish = NULL, *bin = NULL;
    bool all = false, list = false;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":r:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'r':
            if (!cli_parse_uint(optarg, 1, PERF_MAX_RUNS, &runs))
                return cli_usage_error("perf", "bad --runs '%s' (1 to %d)", optarg,
                                       PERF_MAX_RUNS);
            break;
        case 'o': only = optarg; break;
        case 'a': all = true; break;
        case 'p': publish = optarg; break;
        case 'b': bin = optarg; break;
        case 'l': list = true; break;
        case 'h': usage(stdout); return EXIT_OK;
        case ':':
            return cli_usage_error("perf", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("perf", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("perf", "unexpected argument '%s'", argv[optind]);

    unsigned cores = cli_cores();
    static struct perf_check cs[MAX_CHECKS];
    size_t n = build_checks(cs, all, in_path("wrk"), cores);

    if (only) {
        /* Every name must be known; named checks run even when --all would be needed. */
        char names[1024], *save = NULL;
        bool keep[MAX_CHECKS] = { false };
        str_copy(names, sizeof names, only);
        for (char *t = strtok_r(names, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            bool found = false;
            for (size_t i = 0; i < n; i++)
                if (strcmp(cs[i].name, t) == 0) {
                    keep[i] = found = true;
                    if (strcmp(cs[i].skip, "only with --all") == 0)
                        cs[i].skip[0] = '\0';
                }
            if (!found) {
                fprintf(stderr, "concbench perf: unknown check '%s'; the checks of this "
                                "binary:\n", t);
                for (size_t i = 0; i < n; i++)
                    fprintf(stderr, "  %s\n", cs[i].name);
                return EXIT_USAGE;
            }
        }
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (keep[i])
                cs[k++] = cs[i];
        n = k;
    }
    if (list) {
        for (size_t i = 0; i < n; i++)
            printf("%-24s %s%s%s\n", cs[i].name, cs[i].def->what, cs[i].skip[0] ? " — skipped: "
                   : "", cs[i].skip);
        return EXIT_OK;
    }

    char self[PATH_MAX];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        fprintf(stderr, "concbench perf: cannot find this binary: %s\n", strerror(errno));
        return EXIT_ENV;
    }
    self[sl] = '\0';
    if (bin && access(bin, X_OK) != 0)
        return cli_usage_error("perf", "--bin %s: %s", bin, strerror(errno));

    if (publish) {
        char probe[PATH_MAX];
        snprintf(probe, sizeof probe, "%s/.", publish);
        if (access(probe, W_OK) != 0) {
            fprintf(stderr, "concbench perf: --publish %s: %s\n", publish, strerror(errno));
            return EXIT_ENV;
        }
    }

    struct event cancel;
    int err = event_init(&cancel);
    if (err < 0 || (err = sigwatch_start(&cancel, true)) < 0) {
        fprintf(stderr, "concbench perf: cannot watch signals: %s\n", strerror(-err));
        return EXIT_ENV;
    }
    struct ctx x = { .bin = bin ? bin : self, .self = self, .stop = &cancel };
    struct perf_session s = { .cores = cores, .runs = (unsigned)runs, .bin = x.bin };
    session_facts(&s);
    load_avg(s.load_before, sizeof s.load_before);
    double t0 = clock_now();

    size_t active = 0;
    for (size_t i = 0; i < n; i++) {
        if (cs[i].skip[0])
            continue;
        active++;
        const char *e = cs[i].def->extras;
        for (cs[i].nextra = 0; e && *e && cs[i].nextra < PERF_MAX_EXTRAS; cs[i].nextra++) {
            e += strspn(e, " ");
            e += strcspn(e, " ");
            e += strspn(e, " ");
        }
    }
    fprintf(stderr, "perf: %zu checks (%zu skipped), %llu rounds, %u CPUs, load %s\n", active,
            n - active, (unsigned long long)runs, cores, s.load_before);

    /* Warm-up: the first flagged check of each workload runs once, outside any round (a
     * cache to fill: the thumbnail corpus). */
    static struct round_cache rc;
    for (size_t i = 0; i < n && !x.interrupted; i++) {
        if (cs[i].skip[0] || !(cs[i].def->flags & PERF_WARMUP))
            continue;
        bool done = false;
        for (size_t k = 0; k < i; k++)
            done |= !cs[k].skip[0] && (cs[k].def->flags & PERF_WARMUP) &&
                    strcmp(cs[k].def->workload, cs[i].def->workload) == 0;
        if (done)
            continue;
        fprintf(stderr, "perf: warm-up: %s\n", cs[i].name);
        char words[400];
        snprintf(words, sizeof words, "-w %s -m %s %s", cs[i].def->workload, cs[i].model,
                 cs[i].args);
        job(&x, &rc, false, words);
    }
    cache_clear(&rc);

    for (unsigned r = 0; r < runs && !x.interrupted; r++) {
        double spin = noise_spin_share(PERF_SPIN_S);
        for (size_t i = 0; i < n && !x.interrupted; i++) {
            struct perf_check *c = &cs[i];
            if (c->skip[0] || (r > 0 && (c->def->flags & PERF_ONCE)))
                continue;
            fprintf(stderr, "perf: round %u/%llu: %s\n", r + 1, (unsigned long long)runs,
                    c->name);
            run_round(&x, &rc, c, r, cores);
            if (x.interrupted || event_is_set(&cancel)) {
                x.interrupted = true;
                break;
            }
            double after = noise_spin_share(PERF_SPIN_S);
            c->share[r] = fmin(spin, after);
            spin = after;
            c->rounds = r + 1;
        }
        cache_clear(&rc);
    }
    sigwatch_stop();

    s.seconds = clock_now() - t0;
    load_avg(s.load_after, sizeof s.load_after);
    enum perf_verdict v[MAX_CHECKS];
    for (size_t i = 0; i < n; i++) {
        perf_conclude(&cs[i]);
        v[i] = cs[i].verdict;
    }
    perf_print_table(stdout, &s, cs, n, false);
    pinning_note(stdout, cs, n);
    if (x.interrupted) {
        fprintf(stderr, "perf: interrupted; the table holds the rounds done\n");
        return EXIT_INTERRUPTED;
    }
    int rc_exit = perf_exit_code(v, n);
    if (publish) {
        int e = perf_publish(publish, &s, cs, n);
        if (e < 0) {
            fprintf(stderr, "concbench perf: cannot write %s/performance.md: %s\n", publish,
                    strerror(-e));
            return EXIT_ENV;
        }
        fprintf(stderr, "perf: wrote %s/performance.md\n", publish);
    }
    return rc_exit;
}
