/* run.c — `concbench run` and `concbench list`: one cell of the matrix, timed and recorded. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli.h"
#include "harness/batch.h"
#include "harness/opts.h"
#include "harness/record.h"
#include "harness/signals.h"
#include "models/model.h"
#include "runtime/event.h"

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
    for (const struct model *const *m = models; *m; m++) {
        char why[256];
        bool ok = model_available(*m, why, sizeof why);
        printf("  %-12s %s%s%s%s\n", (*m)->name, ok ? "" : "(unavailable: ", ok ? "" : why,
               ok ? "" : ") ", (*m)->summary);
    }
    return EXIT_OK;
}

/* Common options; the options of every workload and every model follow them in the getopt
 * table. */
enum { OPT_JSON = 1000, OPT_TIMEOUT, OPT_CHUNK, OPT_INJECT, OPT_READY_FD, OPT_CPUS,
       OPT_ENTRY_BASE = 2000 };

static const struct option common_opts[] = {
    { "workload", required_argument, NULL, 'w' },
    { "model", required_argument, NULL, 'm' },
    { "tasks", required_argument, NULL, 'n' },
    { "concurrency", required_argument, NULL, 'j' },
    { "json", no_argument, NULL, OPT_JSON },
    { "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
    { "chunk", required_argument, NULL, OPT_CHUNK },
    { "inject-overhead-pct", required_argument, NULL, OPT_INJECT },
    { "ready-fd", required_argument, NULL, OPT_READY_FD },
    { "cpus", required_argument, NULL, OPT_CPUS },
    { "help", no_argument, NULL, 'h' },
};
#define N_COMMON (sizeof common_opts / sizeof common_opts[0])
#define MAX_WOPTS 128

static void add_wopts(const struct wopt *table, const struct wopt *out[MAX_WOPTS], unsigned *n)
{
    for (const struct wopt *o = table; o && o->name; o++) {
        unsigned k;
        for (k = 0; k < *n && strcmp(out[k]->name, o->name) != 0; k++)
            ;
        if (k == *n && *n < MAX_WOPTS)
            out[(*n)++] = o;
    }
}

/* Every distinct option name of every workload and every model, for getopt. A name two entries
 * share is one getopt entry (the first one's kind of argument); its value is checked against
 * the chosen workload's and model's own declarations. */
static unsigned collect_wopts(const struct wopt *out[MAX_WOPTS])
{
    unsigned n = 0;
    for (const struct workload *const *w = workloads; *w; w++)
        add_wopts((*w)->opts, out, &n);
    for (const struct model *const *m = models; *m; m++)
        add_wopts((*m)->opts, out, &n);
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

static void help_opts(const char *owner, const struct wopt *table)
{
    for (const struct wopt *o = table; o && o->name; o++) {
        char left[48];
        snprintf(left, sizeof left, "--%s%s", o->name, o->type == WOPT_FLAG ? "" : " V");
        printf("  %-22s (%s) %s%s%s%s\n", left, owner, o->help, o->def ? " (default " : "",
               o->def ? o->def : "", o->def ? ")" : "");
    }
}

static void run_help(void)
{
    printf("usage: concbench run -w WORKLOAD -m MODEL [-n TASKS] [-j CONCURRENCY] [--json]\n"
           "                     [--timeout-ms T] [workload options] [model options]\n\n"
           "Runs TASKS tasks of WORKLOAD under MODEL, times the batch (CLOCK_MONOTONIC around it,\n"
           "setup outside), verifies every result and prints one line (or one JSON record).\n\n"
           "  -w, --workload NAME     ");
    list_names(stdout, false);
    printf("\n  -m, --model NAME        ");
    list_names(stdout, true);
    printf("\n"
           "  -n, --tasks N           number of tasks (default 8)\n"
           "  -j, --concurrency K     pool size for the pools (default: online CPUs), cap on\n"
           "                          tasks in flight for the others (default: no cap); the\n"
           "                          serial reference ignores it\n"
           "      --timeout-ms T      a task not done T ms after its own start times out; 0: no\n"
           "                          timeout (default: none; http: 30 s)\n"
           "      --chunk C           task indices per hand-out in the pools (default: auto)\n"
           "      --cpus LIST         run on these CPUs only (0, 0-1, 0,2): sched_setaffinity\n"
           "                          for the process and all it starts; \"cores\" is then\n"
           "                          their number (the pools' default -j, the CPU ideals)\n"
           "      --json              print one JSON record on one line instead of text\n"
           "      --inject-overhead-pct P\n"
           "                          calibration only: add busy work equal to P %% of each\n"
           "                          task's own duration (to prove the CI gate sees it)\n"
           "      --ready-fd FD       tests only: write a byte to descriptor FD once the first\n"
           "                          task has started (at least one byte; forked children may\n"
           "                          write one too)\n"
           "  -h, --help              this text\n\nworkload options:\n");
    for (const struct workload *const *w = workloads; *w; w++)
        help_opts((*w)->name, (*w)->opts);
    bool any = false;
    for (const struct model *const *m = models; *m; m++)
        any |= (*m)->opts && (*m)->opts->name;
    if (any) {
        printf("\nmodel options:\n");
        for (const struct model *const *m = models; *m; m++)
            help_opts((*m)->name, (*m)->opts);
    }
    printf("\nexit codes: 0 ok, 1 a task failed or verification failed, 2 usage error,\n"
           "3 the environment failed, 130 interrupted (SIGINT/SIGTERM/SIGHUP)\n");
}

/* Check an option's value against its declaration d and add it to o. */
static bool take_opt(const struct wopt *d, const char *value, struct options *o)
{
    char why[200];
    if (!wopt_check(d, d->type == WOPT_FLAG ? NULL : value, why, sizeof why)) {
        cli_usage_error("run", "%s", why);
        return false;
    }
    if (o->n == OPTIONS_MAX) {
        cli_usage_error("run", "too many options");
        return false;
    }
    o->kv[o->n].name = d->name;
    o->kv[o->n].value = d->type == WOPT_FLAG ? "1" : value;
    o->n++;
    return true;
}

static int unknown_entry(bool model, const char *name)
{
    fprintf(stderr, "concbench run: ");
    if (name)
        fprintf(stderr, "unknown %s '%s'; ", model ? "model" : "workload", name);
    else
        fprintf(stderr, "no %s given (%s); ", model ? "model" : "workload", model ? "-m" : "-w");
    fprintf(stderr, "%s: ", model ? "models" : "workloads");
    list_names(stderr, model);
    fprintf(stderr, "\n");
    return EXIT_USAGE;
}

int cmd_run(int argc, char **argv)
{
    struct option longopts[N_COMMON + MAX_WOPTS + 1];
    const struct wopt *wopts[MAX_WOPTS];
    unsigned nw = collect_wopts(wopts);
    const char *wname = NULL, *mname = NULL, *cpus = NULL;
    uint64_t tasks = 8, conc = 0, timeout_ms = 0, chunk = 0, inject = 0, ready_fd = 0;
    bool json = false, conc_set = false, ready_set = false, timeout_set = false;
    struct options given = { 0 }, opts = { 0 }, mopts = { 0 };
    int c, idx, err;

    memcpy(longopts, common_opts, sizeof common_opts);
    for (unsigned k = 0; k < nw; k++)
        longopts[N_COMMON + k] = (struct option){ wopts[k]->name,
            wopts[k]->type == WOPT_FLAG ? no_argument : required_argument, NULL,
            OPT_ENTRY_BASE + (int)k };
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
        case OPT_READY_FD:
            if (!cli_parse_uint(optarg, 0, 1000000, &ready_fd) ||
                fcntl((int)ready_fd, F_GETFL) < 0)
                return cli_usage_error("run", "bad --ready-fd '%s': an open descriptor", optarg);
            ready_set = true;
            break;
        case OPT_CPUS: cpus = optarg; break;
        case 'h': run_help(); return EXIT_OK;
        case ':': return cli_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
        case '?': return cli_usage_error("run", "unknown option '%s'", argv[optind - 1]);
        default:
            if (given.n == OPTIONS_MAX)
                return cli_usage_error("run", "too many options");
            given.kv[given.n].name = wopts[c - OPT_ENTRY_BASE]->name;
            given.kv[given.n].value = optarg;
            given.n++;
        }
    }
    if (optind < argc)
        return cli_usage_error("run", "unexpected argument '%s'", argv[optind]);

    const struct workload *w = wname ? workload_find(wname) : NULL;
    const struct model *m = mname ? model_find(mname) : NULL;
    if (!w)
        return unknown_entry(false, wname);
    if (!m)
        return unknown_entry(true, mname);
    /* Each option goes to the chosen workload, the chosen model, or both when both declare it,
     * checked against that entry's own bounds. */
    for (unsigned k = 0; k < given.n; k++) {
        const struct wopt *wd = wopt_find(w->opts, given.kv[k].name);
        const struct wopt *md = wopt_find(m->opts, given.kv[k].name);
        if (!wd && !md)
            return cli_usage_error("run", "option --%s does not apply to workload '%s' nor to "
                                   "model '%s'", given.kv[k].name, w->name, m->name);
        if ((wd && !take_opt(wd, given.kv[k].value, &opts)) ||
            (md && !take_opt(md, given.kv[k].value, &mopts)))
            return EXIT_USAGE;
    }

    /* Pinned before any thread or child is started: everything inherits the set. */
    if (cpus && (err = cli_set_cpus("run", cpus)) != EXIT_OK)
        return err;
    if (w->shared_state && m->remote)
        return cli_usage_error("run", "workload %s needs memory its tasks share, and model %s "
                               "may run them on other hosts: this pair is skipped", w->name,
                               m->name);
    char unavailable[256];
    if (!model_available(m, unavailable, sizeof unavailable)) {
        fprintf(stderr, "concbench run: model %s is unavailable here: %s\n", m->name,
                unavailable);
        return EXIT_ENV;
    }

    /* The run. */
    struct record rec = { 0 };
    struct run_params p = {
        .tasks = (unsigned)tasks,
        .capped = conc_set,
        .chunk = (unsigned)chunk,
        .timeout_s = (double)timeout_ms / 1000.0,
        .timeout_set = timeout_set,
        .inject_pct = (double)inject,
        .model_opts = &mopts,
    };
    p.concurrency = model_concurrency(m, (unsigned)tasks, conc_set ? (unsigned)conc : 0,
                                      cli_cores());

    rec.workload = w;
    rec.model = m;
    rec.opts = &opts;
    rec.argc = argc;
    rec.argv = argv;
    rec.timeout_ms = timeout_ms;

    struct event cancel;
    err = event_init(&cancel);
    if (err < 0) {
        fprintf(stderr, "concbench run: cannot create the cancel event: %s\n", strerror(-err));
        return EXIT_ENV;
    }
    p.cancel = &cancel;
    if ((err = sigwatch_start(&cancel, true)) < 0) {
        fprintf(stderr, "concbench run: cannot watch signals: %s\n", strerror(-err));
        return EXIT_ENV;
    }
    if (ready_set)
        model_set_ready_fd((int)ready_fd);

    char why[512];
    err = batch_run(&rec, &p, why, sizeof why);
    if (err < 0) {
        fprintf(stderr, "concbench run: %s\n", why);
        sigwatch_stop();
        event_destroy(&cancel);
        return err == -EINVAL ? EXIT_USAGE : EXIT_ENV;
    }
    rec.signal = sigwatch_signal();
    if (json)
        record_write_json(&rec, stdout);
    else
        record_write_text(&rec, stdout);
    fflush(stdout);
    int code = record_exit_code(&rec);
    batch_end(&rec);
    sigwatch_stop();
    model_set_ready_fd(-1);
    event_destroy(&cancel);
    return code;
}
