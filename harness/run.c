/* run.c — `concbench run` and `concbench list`: one cell of the matrix, timed and recorded. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "harness/cli.h"
#include "harness/record.h"
#include "harness/signals.h"
#include "models/model.h"
#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/shm.h"

int cmd_list(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: concbench list\n\nPrints every workload (name, kind, summary) and every "
               "model (name, summary).\n");
        return EXIT_OK;
    }
    if (argc > 1)
        return cli_usage_error("list", "unexpected argument '%s'", argv[1]);
    printf("workloads:\n");
    for (const struct workload *const *w = workloads; *w; w++)
        if (!(*w)->hidden)
            printf("  %-12s %-10s %s\n", (*w)->name, (*w)->kind->label,
                   (*w)->summary);
    printf("models:\n");
    for (const struct model *const *m = models; *m; m++)
        printf("  %-12s %s\n", (*m)->name, (*m)->summary);
    return EXIT_OK;
}

/* Common options; workload options follow them in the getopt table. */
enum { OPT_JSON = 1000, OPT_TIMEOUT, OPT_CHUNK, OPT_INJECT, OPT_WORKLOAD_BASE = 2000 };

static const struct option common_opts[] = {
    { "workload", required_argument, NULL, 'w' },
    { "model", required_argument, NULL, 'm' },
    { "tasks", required_argument, NULL, 'n' },
    { "concurrency", required_argument, NULL, 'j' },
    { "json", no_argument, NULL, OPT_JSON },
    { "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
    { "chunk", required_argument, NULL, OPT_CHUNK },
    { "inject-overhead-pct", required_argument, NULL, OPT_INJECT },
    { "help", no_argument, NULL, 'h' },
};
#define N_COMMON (sizeof common_opts / sizeof common_opts[0])
#define MAX_WOPTS 64

/* Every distinct workload option, for getopt and --help. */
static unsigned collect_wopts(const struct wopt *out[MAX_WOPTS])
{
    unsigned n = 0;
    for (const struct workload *const *w = workloads; *w; w++)
        for (const struct wopt *o = (*w)->opts; o && o->name; o++) {
            unsigned k;
            for (k = 0; k < n && strcmp(out[k]->name, o->name) != 0; k++)
                ;
            if (k == n && n < MAX_WOPTS)
                out[n++] = o;
        }
    return n;
}

static void list_names(FILE *f, bool want_models)
{
    bool first = true;
    if (want_models) {
        for (const struct model *const *m = models; *m; m++, first = false)
            fprintf(f, "%s%s", first ? "" : ", ", (*m)->name);
    } else {
        for (const struct workload *const *w = workloads; *w; w++)
            if (!(*w)->hidden) {
                fprintf(f, "%s%s", first ? "" : ", ", (*w)->name);
                first = false;
            }
    }
}

static void run_help(void)
{
    printf("usage: concbench run -w WORKLOAD -m MODEL [-n TASKS] [-j CONCURRENCY] [--json]\n"
           "                     [--timeout-ms T] [workload options]\n\n"
           "Runs TASKS tasks of WORKLOAD under MODEL, times the batch (CLOCK_MONOTONIC around it,\n"
           "setup outside), verifies every result and prints one line (or one JSON record).\n\n"
           "  -w, --workload NAME     ");
    list_names(stdout, false);
    printf("\n  -m, --model NAME        ");
    list_names(stdout, true);
    printf("\n"
           "  -n, --tasks N           number of tasks (default 8)\n"
           "  -j, --concurrency K     pool size for the pools (default: online CPUs), cap on\n"
           "                          tasks in flight for threads, processes and async\n"
           "                          (default: no cap); single ignores it\n"
           "      --timeout-ms T      a task not done T ms after its own start times out; 0: no\n"
           "                          timeout (default: none; http: 30 s)\n"
           "      --chunk C           task indices per hand-out in the pools (default: auto)\n"
           "      --json              print one JSON record on one line instead of text\n"
           "      --inject-overhead-pct P\n"
           "                          calibration only: add busy work equal to P %% of each\n"
           "                          task's own duration (to prove the CI gate sees it)\n"
           "  -h, --help              this text\n\nworkload options:\n");
    for (const struct workload *const *w = workloads; *w; w++)
        for (const struct wopt *o = (*w)->opts; o && o->name; o++) {
            char left[48];
            snprintf(left, sizeof left, "--%s%s", o->name, o->type == WOPT_FLAG ? "" : " V");
            printf("  %-22s (%s) %s%s%s%s\n", left, (*w)->name, o->help, o->def ? " (default " : "",
                   o->def ? o->def : "", o->def ? ")" : "");
        }
    printf("\nexit codes: 0 ok, 1 a task failed or verification failed, 2 usage error,\n"
           "3 the environment failed, 130 interrupted (SIGINT/SIGTERM)\n");
}

static bool wopt_declared(const struct workload *w, const char *name)
{
    for (const struct wopt *o = w->opts; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return true;
    return false;
}

struct usage_snapshot {
    struct rusage self, children;
};

static void snapshot(struct usage_snapshot *s)
{
    getrusage(RUSAGE_SELF, &s->self);
    getrusage(RUSAGE_CHILDREN, &s->children);
}

static double tv(const struct timeval *t)
{
    return (double)t->tv_sec + (double)t->tv_usec * 1e-6;
}

/* CPU time, context switches and peak memory of the batch: self plus children, after − before. */
static void usage_delta(const struct usage_snapshot *a, const struct usage_snapshot *b,
                        struct record *rec)
{
    rec->cpu_user_s = tv(&b->self.ru_utime) - tv(&a->self.ru_utime) +
                      tv(&b->children.ru_utime) - tv(&a->children.ru_utime);
    rec->cpu_sys_s = tv(&b->self.ru_stime) - tv(&a->self.ru_stime) +
                     tv(&b->children.ru_stime) - tv(&a->children.ru_stime);
    rec->ctx_voluntary = (b->self.ru_nvcsw - a->self.ru_nvcsw) +
                         (b->children.ru_nvcsw - a->children.ru_nvcsw);
    rec->ctx_involuntary = (b->self.ru_nivcsw - a->self.ru_nivcsw) +
                           (b->children.ru_nivcsw - a->children.ru_nivcsw);
    rec->max_rss_kb = b->self.ru_maxrss;
    if (rec->stats.children_max_rss_kb == 0)
        rec->stats.children_max_rss_kb = b->children.ru_maxrss;
}

int cmd_run(int argc, char **argv)
{
    struct option longopts[N_COMMON + MAX_WOPTS + 1];
    const struct wopt *wopts[MAX_WOPTS];
    unsigned nw = collect_wopts(wopts);
    const char *wname = NULL, *mname = NULL;
    uint64_t tasks = 8, conc = 0, timeout_ms = 0, chunk = 0, inject = 0;
    bool json = false, conc_set = false, timeout_set = false;
    struct options opts = { 0 };
    int c, idx;

    memcpy(longopts, common_opts, sizeof common_opts);
    for (unsigned k = 0; k < nw; k++)
        longopts[N_COMMON + k] = (struct option){ wopts[k]->name,
            wopts[k]->type == WOPT_FLAG ? no_argument : required_argument, NULL,
            OPT_WORKLOAD_BASE + (int)k };
    memset(&longopts[N_COMMON + nw], 0, sizeof longopts[0]);

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":w:m:n:j:h", longopts, &idx)) != -1) {
        switch (c) {
        case 'w': wname = optarg; break;
        case 'm': mname = optarg; break;
        case 'n':
            if (!cli_parse_uint(optarg, 1, 10000000, &tasks))
                return cli_usage_error("run", "bad task count '%s' for -n: a whole number from 1 "
                                       "to 10000000", optarg);
            break;
        case 'j':
            if (!cli_parse_uint(optarg, 1, 100000, &conc))
                return cli_usage_error("run", "bad concurrency '%s' for -j: a whole number from "
                                       "1 to 100000", optarg);
            conc_set = true;
            break;
        case OPT_JSON: json = true; break;
        case OPT_TIMEOUT:
            if (!cli_parse_uint(optarg, 0, 86400000, &timeout_ms))
                return cli_usage_error("run", "bad --timeout-ms '%s': a whole number of ms from 0 "
                                       "(none) to 86400000", optarg);
            timeout_set = true;
            break;
        case OPT_CHUNK:
            if (!cli_parse_uint(optarg, 1, 10000000, &chunk))
                return cli_usage_error("run", "bad --chunk '%s': a whole number from 1 to "
                                       "10000000", optarg);
            break;
        case OPT_INJECT:
            if (!cli_parse_uint(optarg, 0, 10000, &inject))
                return cli_usage_error("run", "bad --inject-overhead-pct '%s': a whole number "
                                       "from 0 to 10000", optarg);
            break;
        case 'h': run_help(); return EXIT_OK;
        case ':': return cli_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
        case '?': return cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
        default: {
            const struct wopt *o = wopts[c - OPT_WORKLOAD_BASE];
            uint64_t v;
            if (o->type == WOPT_UINT && !cli_parse_uint(optarg, o->min, o->max, &v))
                return cli_usage_error("run", "bad value '%s' for --%s: a whole number from "
                                       "%llu to %llu", optarg, o->name,
                                       (unsigned long long)o->min, (unsigned long long)o->max);
            if (opts.n == OPTIONS_MAX)
                return cli_usage_error("run", "too many options");
            opts.kv[opts.n].name = o->name;
            opts.kv[opts.n].value = o->type == WOPT_FLAG ? "1" : optarg;
            opts.n++;
        }
        }
    }
    if (optind < argc)
        return cli_usage_error("run", "unexpected argument '%s'", argv[optind]);

    const struct workload *w = wname ? workload_find(wname) : NULL;
    const struct model *m = mname ? model_find(mname) : NULL;
    if (!wname || !w) {
        fprintf(stderr, "concbench run: ");
        if (wname)
            fprintf(stderr, "unknown workload '%s'; ", wname);
        else
            fprintf(stderr, "no workload given (-w); ");
        fprintf(stderr, "workloads: ");
        list_names(stderr, false);
        fprintf(stderr, "\n");
        return EXIT_USAGE;
    }
    if (!mname || !m) {
        fprintf(stderr, "concbench run: ");
        if (mname)
            fprintf(stderr, "unknown model '%s'; ", mname);
        else
            fprintf(stderr, "no model given (-m); ");
        fprintf(stderr, "models: ");
        list_names(stderr, true);
        fprintf(stderr, "\n");
        return EXIT_USAGE;
    }
    for (unsigned k = 0; k < opts.n; k++)
        if (!wopt_declared(w, opts.kv[k].name))
            return cli_usage_error("run", "option --%s does not apply to workload '%s'",
                                   opts.kv[k].name, w->name);

    /* The run. */
    struct record rec = { 0 };
    struct run_params p = {
        .tasks = (unsigned)tasks,
        .capped = conc_set,
        .chunk = (unsigned)chunk,
        .timeout_s = (double)timeout_ms / 1000.0,
        .timeout_set = timeout_set,
        .inject_pct = (double)inject,
        .stats = &rec.stats,
    };
    p.concurrency = model_concurrency(m, (unsigned)tasks, conc_set ? (unsigned)conc : 0,
                                      cli_online_cpus());

    rec.workload = w;
    rec.model = m;
    rec.params = &p;
    rec.opts = &opts;
    rec.argc = argc;
    rec.argv = argv;
    rec.timeout_ms = timeout_ms;

    struct event cancel;
    int err = event_init(&cancel);
    if (err < 0) {
        fprintf(stderr, "concbench run: cannot create the cancel event: %s\n", strerror(-err));
        return EXIT_ENV;
    }
    p.cancel = &cancel;
    if ((err = sigwatch_start(&cancel, true)) < 0) {
        fprintf(stderr, "concbench run: cannot watch signals: %s\n", strerror(-err));
        return EXIT_ENV;
    }

    size_t rsize = (size_t)tasks * sizeof(struct task_result);
    size_t esize = (size_t)tasks * sizeof(struct task_error);
    struct task_result *results = shm_alloc(rsize);
    struct task_error *errors = shm_alloc(esize);
    if (!results || !errors) {
        fprintf(stderr, "concbench run: cannot allocate results for %llu tasks: %s\n",
                (unsigned long long)tasks, strerror(errno));
        return EXIT_ENV;
    }
    for (unsigned i = 0; i < tasks; i++) {
        results[i].start_s = results[i].end_s = -1;
        results[i].index = i;
        results[i].err = &errors[i];
    }

    void *ctx = NULL;
    char why[512] = "";
    err = w->setup(&opts, &p, &ctx, why, sizeof why);
    if (err < 0) {
        fprintf(stderr, "concbench run: %s: %s\n", w->name, why[0] ? why : strerror(-err));
        sigwatch_stop();
        return err == -EINVAL ? EXIT_USAGE : EXIT_ENV;
    }

    struct usage_snapshot before, after;
    if (p.inject_pct > 0)
        model_calibrate_inject();
    snapshot(&before);
    p.t0 = clock_now();
    err = event_is_set(&cancel) ? 0 : m->run(w, ctx, &p, results);
    rec.wall_s = clock_now() - p.t0;
    snapshot(&after);
    usage_delta(&before, &after, &rec);
    rec.signal = sigwatch_signal();
    if (err < 0) {
        rec.model_error = err;
        if (!rec.stats.note[0])
            snprintf(rec.stats.note, sizeof rec.stats.note, "model %s failed: %s", m->name,
                     strerror(-err));
    }

    rec.results = results;
    rec.verified = w->verify(ctx, results, p.tasks, why, sizeof why);
    rec.verify_error = rec.verified ? NULL : why;
    rec.ctx = ctx;
    if (json)
        record_write_json(&rec, stdout);
    else
        record_write_text(&rec, stdout);
    fflush(stdout);
    w->teardown(ctx);
    sigwatch_stop();

    int code = record_exit_code(&rec);
    shm_free(results, rsize);
    shm_free(errors, esize);
    event_destroy(&cancel);
    return code;
}
