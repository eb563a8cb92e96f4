/* sweep.c — `concbench sweep`: the command line, the results folder and the course of a sweep
 * (calibrate, journal every run, hyperfine, write the results), fresh or resumed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/atomic_file.h"
#include "harness/catalog.h"
#include "harness/cli.h"
#include "harness/signals.h"
#include "models/ext.h"
#include "harness/sweep_internal.h"
#include "harness/text.h"
#include "models/model.h"
#include "runtime/clock.h"
#include "runtime/json.h"
#include "workloads/workload.h"

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

/* Set by the signal watcher on SIGINT, SIGTERM or SIGHUP: every child is stopped, and what was
 * measured is written out as a partial sweep. */
static struct event sweep_cancel;

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

/* Before anything is measured: --out must be a folder (made if missing) we can write in.
 * Returns 0, EXIT_USAGE or EXIT_ENV (message printed). */
static int check_out(const char *out)
{
    struct stat st;
    char probe[PATH_MAX];
    if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
        return cli_usage_error("sweep", "--out '%s' is a file, not a folder: results go into "
                               "a folder", out);
    }
    int err = mkdir_p(out);
    if (err == 0 && snprintf(probe, sizeof probe, "%s/.concbench-probe.XXXXXX", out) >=
                        (int)sizeof probe)
        err = -ENAMETOOLONG;
    if (err == 0) {
        int fd = mkostemp(probe, O_CLOEXEC);
        if (fd < 0) {
            err = -errno;
        } else {
            close(fd);
            unlink(probe);
        }
    }
    if (err < 0) {
        fprintf(stderr, "concbench sweep: cannot write results in '%s': %s\n", out,
                strerror(-err));
        return EXIT_ENV;
    }
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
    printf("usage: concbench sweep [--profile NAME|FILE] [--out DIR] [--seed S]\n"
           "                       [--runs R] [--run-timeout T] [--no-hyperfine] [--dry-run]\n"
           "       concbench sweep -w WORKLOADS [-m MODELS] [--tasks LIST] [--concurrency LIST]\n"
           "                       [--set NAME=VALUE]... [--run-args \"ARGS\"] [the options above]\n"
           "       concbench sweep --resume DIR [--run-timeout T] [--no-hyperfine]\n\n"
           "Runs the benchmark matrix: every cell R times (after one warm-up) as a fresh\n"
           "'concbench run --json' process, the runs of all cells in one shuffled order, and\n"
           "the headline grid also timed whole by hyperfine. Writes DIR/<UTC stamp>/ and points\n"
           "DIR/latest at it.\n\n"
           "  --profile P      a profile of profiles/ by name: default (within 10 minutes on\n"
           "                   2 cores), quick (within 60 s, every pair), test (a few seconds\n"
           "                   of probe and sleep, for the tests), test-faults (runs that fail,\n"
           "                   crash and hang); or the path of a profile file of your own\n"
           "                   (format: profiles/README; part `user` for your own cells)\n"
           "  --out DIR        where results go (default: results)\n"
           "  --seed S         seed of the run order (default: random; recorded)\n"
           "  --runs R         measured runs per cell (default: 5; quick 3; test 2)\n"
           "  --no-hyperfine   do not time the headline grid with hyperfine\n"
           "  --run-timeout T  kill a run after T s (default: max(30 s, 10 x its estimate));\n"
           "                   a killed run is recorded as a timeout and the sweep goes on\n"
           "  --dry-run        print the cells, their commands and the estimate; run nothing\n"
           "                   but the calibration (one task of each workload)\n"
           "  --cpus LIST      run everything on these CPUs (0, 0-1, 0,2): \"cores\" is then\n"
           "                   their number (pools' default -j, CPU ideals, the charts)\n"
           "  --resume DIR     continue the sweep whose folder is DIR (stopped by a signal, a\n"
           "                   kill, a full disk or a power loss) with its profile, seed and\n"
           "                   order, skipping the runs its journal already holds\n"
           "  --with-reference LANG  add another language's reference implementations of the\n"
           "                   models as extra rows (python: the CPython programs of\n"
           "                   ref/python, the tutorial's style; docs/external.md)\n"
           "  -h, --help       this text\n\n"
           "A sweep of your own (every cell has part `user`; instead of --profile):\n"
           "  -w, --workload LIST    workloads, comma-separated: names, @all, @io, @cpu\n"
           "  -m, --model LIST       models: names, @all, @pool, @forks, @serial, @cpu_inline,\n"
           "                         negated with ! and joined with + (default: @all)\n"
           "  -n, --tasks LIST       task counts (default: 16)\n"
           "  -j, --concurrency LIST -j of every model that takes one (default: each model's\n"
           "                         own: cores for the pools, N for the others); `cores`\n"
           "  --set NAME=VALUE       a workload's or model's option (`concbench run --help`\n"
           "                         lists them), given to every swept workload and model that\n"
           "                         takes it and checked against its table; a number LIST is\n"
           "                         one more dimension of the sweep (summary.csv gets a\n"
           "                         parameter_NAME column); a text option takes one value; a\n"
           "                         flag takes none (--set no-reuse). Repeat for more options.\n"
           "  --run-args \"ARGS\"      more `run` options for every run: --timeout-ms T,\n"
           "                         --chunk C, --inject-overhead-pct P\n"
           "  A LIST is numbers and ranges joined by commas: 1,10,100; 1..8 (every number);\n"
           "  10..50+10 (step 10: 10,20,30,40,50); 1..10000x10 (times 10: 1,10,...,10000).\n"
           "  Example: concbench sweep -w http,sleep -m threads,async --tasks 1..1000x10 \\\n"
           "             --concurrency 16,64 --runs 7 --set sleep-ms=20\n"
           "  The headline subset (each workload x model at its largest N) is also timed by\n"
           "  hyperfine unless --no-hyperfine. `concbench report DIR` draws wall time\n"
           "  against each swept dimension.\n\n"
           "Cells are (workload, model, tasks, concurrency, params) in four parts: headline\n"
           "(every pair at N = 16), tasks (wall time against N), concurrency (against -j at\n"
           "fixed N), overhead (no-op tasks), plus the timeline configuration (N = 16, -j 4).\n"
           "Files: plan.json (the cells, seed and order, written first), runs.jsonl (one line\n"
           "per run, written and synced as each run ends), runs.csv, summary.csv, models.csv,\n"
           "workloads.csv, timeline.csv, hyperfine/*.json, hyperfine.csv, metadata.json\n"
           "(written last, listing the files beside it); each appears whole. If the sweep is\n"
           "killed, `concbench report DIR` rebuilds the results from runs.jsonl.\n\n"
           "exit codes: 0 every run ok, 1 some run failed (kept in the records, left out of\n"
           "the statistics), 2 usage error, 3 the results could not be written (the sweep\n"
           "stops at the first failed write), 130 interrupted by SIGINT, SIGTERM or SIGHUP\n"
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

/* The cells' params keys and names, when the plan builder left them empty. */
static void complete_cells(struct sweep_plan *plan)
{
    for (size_t i = 0; i < plan->ncells; i++) {
        struct sweep_cell *c = &plan->cells[i];
        if (!c->params[0])
            catalog_params(workload_find(c->workload), model_find(c->model), c->args,
                           c->params, sizeof c->params);
        if (!c->name[0]) {
            snprintf(c->name, sizeof c->name, "%s-%s-n%u", c->workload, c->model, c->tasks);
            if (c->jobs)
                str_append(c->name, sizeof c->name, "-j%u", c->jobs);
        }
    }
}

/* What the tools say, before the sweep starts (once interrupted it starts no more process);
 * without hyperfine the headline grid is timed in-process only. */
static void collect_tools(struct sweep *s, struct sweep_tools *tools)
{
    sweep_collect_tools(tools);
    if (s->use_hyperfine && !tools->hyperfine[0]) {
        fprintf(stderr, "concbench sweep: hyperfine not found: the headline grid is timed "
                        "in-process only\n");
        s->use_hyperfine = false;
    }
}

/* A fresh sweep's plan, calibration, estimate and folder (plan.json written, journal open).
 * Returns -1 to go on, else the exit code. */
/* Append the cells (and notes) of src to dst, renumbered; src is emptied. 0 or -ENOMEM. */
static int plan_append(struct sweep_plan *dst, struct sweep_plan *src)
{
    struct sweep_cell *c = realloc(dst->cells, (dst->ncells + src->ncells + 1) * sizeof *c);
    if (!c)
        return -ENOMEM;
    dst->cells = c;
    for (size_t k = 0; k < src->ncells; k++) {
        dst->cells[dst->ncells] = src->cells[k];
        dst->cells[dst->ncells].id = (unsigned)dst->ncells;
        dst->ncells++;
    }
    for (unsigned k = 0; k < src->nnotes && dst->nnotes < SWEEP_MAX_NOTES; k++) {
        dst->notes[dst->nnotes++] = src->notes[k];
        src->notes[k] = NULL;
    }
    for (unsigned k = 0; k < src->nskipped && dst->nskipped < SWEEP_MAX_NOTES; k++) {
        dst->skipped[dst->nskipped++] = src->skipped[k];
        src->skipped[k] = NULL;
    }
    sweep_plan_free(src);
    return 0;
}

/* --with-reference LANG: the reference rows of another language's implementations
 * (ref/LANG/profile) join the plan. */
static int add_reference(struct sweep *s, const char *lang, unsigned runs)
{
    char path[4096], msg[1024];
    struct sweep_plan more;
    if (ext_reference_profile(lang, path, sizeof path, msg, sizeof msg) < 0)
        return cli_usage_error("sweep", "--with-reference %s: %s", lang, msg);
    int err = sweep_plan_build(path, runs ? runs : s->plan.runs, cli_cores(), &more, msg,
                               sizeof msg);
    if (err == -EINVAL)
        return cli_usage_error("sweep", "--with-reference %s: %s", lang, msg);
    if (err < 0 || plan_append(&s->plan, &more) < 0) {
        fprintf(stderr, "concbench sweep: --with-reference %s: %s\n", lang,
                err < 0 ? msg : "out of memory");
        return EXIT_ENV;
    }
    char *name = NULL;
    if (asprintf(&name, "%s+%s", s->plan.profile ? s->plan.profile : "?", lang) > 0) {
        free((char *)s->plan.profile);
        s->plan.profile = name;
    }
    return -1;
}

static int start_fresh(struct sweep *s, const char *profile, const struct sweep_user *user,
                       unsigned runs, struct sweep_tools *tools)
{
    char msg[1024];
    int err = user ? sweep_user_plan(user, s->exe, runs ? runs : 5, cli_cores(),
                                     s->use_hyperfine, &s->plan, msg, sizeof msg)
                   : sweep_plan_build(profile, runs, cli_cores(), &s->plan, msg,
                                      sizeof msg);
    if (err == 0 && s->reference) {
        int rc = add_reference(s, s->reference, runs);
        if (rc >= 0)
            return rc;
    }
    if (err == -EINVAL)
        return cli_usage_error("sweep", "%s", msg);
    if (err < 0) {
        fprintf(stderr, "concbench sweep: %s\n", msg);
        return EXIT_ENV;
    }
    complete_cells(&s->plan);
    s->use_hyperfine = s->use_hyperfine && s->plan.hyperfine;
    if (!s->dry_run && (err = check_out(s->outdir)) != 0)
        return err;
    collect_tools(s, tools);
    fprintf(stderr, "concbench sweep: calibrating (one task of each workload, a few seconds)\n");
    sweep_calibrate(s);
    sweep_estimate(s);
    sweep_print_plan(s, stderr);
    if (s->dry_run) {
        sweep_print_cells(s);
        return sigwatch_signal() ? EXIT_INTERRUPTED : EXIT_OK;
    }
    if (sweep_alloc(s, 0) < 0) {
        fprintf(stderr, "concbench sweep: out of memory\n");
        return EXIT_ENV;
    }
    if ((err = make_run_dir(s)) < 0) {
        fprintf(stderr, "concbench sweep: cannot create a results folder in '%s': %s\n",
                s->outdir, strerror(-err));
        return EXIT_ENV;
    }
    if (sweep_plan_save(s) < 0 || sweep_journal_open(s) < 0) {
        fprintf(stderr, "concbench sweep: cannot write %s/%s: %s\n", s->dir, s->werr_what,
                strerror(-s->werr));
        return EXIT_ENV;
    }
    fprintf(stderr, "  results: %s\n", s->dir);
    return -1;
}

/* The folder's metadata.json says the sweep ended and was not interrupted. */
static bool complete_folder(const char *dir)
{
    char path[PATH_MAX + 32], perr[64], *buf;
    size_t len;
    snprintf(path, sizeof path, "%s/metadata.json", dir);
    if (text_slurp(path, 16u << 20, &buf, &len) < 0)
        return false;
    struct json_value *v = json_parse(buf, len, perr, sizeof perr);
    free(buf);
    const struct json_value *p = json_get(v, "partial");
    bool done = p && p->type == JSON_BOOL && !p->boolean;
    json_free(v);
    return done;
}

/* A resumed sweep: plan.json and the journal of DIR read back. Returns -1 to go on, else the
 * exit code. */
static int start_resume(struct sweep *s, const char *dir, struct sweep_tools *tools)
{
    char msg[PATH_MAX + 200], real[PATH_MAX];
    if (!realpath(dir, real)) {
        fprintf(stderr, "concbench sweep: --resume '%s': %s\n", dir, strerror(errno));
        return EXIT_ENV;
    }
    str_copy(s->dir, sizeof s->dir, real);
    str_copy(s->outdir, sizeof s->outdir, dirname(real));
    bool hf = s->use_hyperfine;
    double timeout = s->run_timeout_s;
    int err = sweep_plan_load(s, s->dir, true, msg, sizeof msg);
    if (err < 0) {
        fprintf(stderr, "concbench sweep: cannot resume %s: %s\n", s->dir, msg);
        return err == -EINVAL ? EXIT_USAGE : EXIT_ENV;
    }
    s->use_hyperfine = hf && s->plan.hyperfine;
    if (timeout > 0)
        s->run_timeout_s = timeout;
    s->resumed++;
    if ((err = check_out(s->dir)) != 0)
        return err;
    collect_tools(s, tools);
    err = sweep_journal_load(s, s->plan.ncells * (s->plan.runs + 1), false, true, false, msg,
                             sizeof msg);
    if (err == -ENOENT)
        err = sweep_alloc(s, 0);        /* stopped before its first run */
    if (err < 0) {
        fprintf(stderr, "concbench sweep: cannot resume %s: %s\n", s->dir, msg);
        return err == -EINVAL ? EXIT_USAGE : EXIT_ENV;
    }
    unsigned have = 0;
    for (size_t i = 0; i < s->plan.ncells; i++)
        have += s->done[i];
    if (have == s->plan.ncells * s->plan.runs && complete_folder(s->dir)) {
        fprintf(stderr, "concbench sweep: %s is complete: nothing to resume\n", s->dir);
        printf("%s\n", s->dir);
        return EXIT_OK;
    }
    fprintf(stderr, "concbench sweep: resuming %s: %u of %zu measured runs journaled\n",
            s->dir, have, s->plan.ncells * s->plan.runs);
    sweep_print_plan(s, stderr);
    if (sweep_plan_save(s) < 0 || sweep_journal_open(s) < 0) {
        fprintf(stderr, "concbench sweep: cannot write %s/%s: %s\n", s->dir, s->werr_what,
                strerror(-s->werr));
        return EXIT_ENV;
    }
    return -1;
}

int cmd_sweep(int argc, char **argv)
{
    enum { OPT_PROFILE = 1000, OPT_OUT, OPT_SEED, OPT_RUNS, OPT_NO_HF, OPT_DRY, OPT_TIMEOUT,
           OPT_RESUME, OPT_SET, OPT_RUN_ARGS, OPT_REFERENCE, OPT_CPUS };
    static const struct option longopts[] = {
        { "profile", required_argument, NULL, OPT_PROFILE },
        { "out", required_argument, NULL, OPT_OUT },
        { "seed", required_argument, NULL, OPT_SEED },
        { "runs", required_argument, NULL, OPT_RUNS },
        { "no-hyperfine", no_argument, NULL, OPT_NO_HF },
        { "dry-run", no_argument, NULL, OPT_DRY },
        { "run-timeout", required_argument, NULL, OPT_TIMEOUT },
        { "resume", required_argument, NULL, OPT_RESUME },
        { "workload", required_argument, NULL, 'w' },
        { "model", required_argument, NULL, 'm' },
        { "tasks", required_argument, NULL, 'n' },
        { "concurrency", required_argument, NULL, 'j' },
        { "set", required_argument, NULL, OPT_SET },
        { "run-args", required_argument, NULL, OPT_RUN_ARGS },
        { "with-reference", required_argument, NULL, OPT_REFERENCE },
        { "cpus", required_argument, NULL, OPT_CPUS },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct sweep s;
    const char *profile = "default", *out = "results", *resume = NULL, *fixed = NULL;
    uint64_t seed = 0, runs = 0;
    bool seed_set = false, profile_set = false;
    struct sweep_user user = { 0 };
    int c, idx, code, err;

    memset(&s, 0, sizeof s);
    s.journal_fd = -1;
    s.cancel = &sweep_cancel;
    s.use_hyperfine = true;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hw:m:n:j:", longopts, &idx)) != -1) {
        switch (c) {
        case OPT_PROFILE: profile = optarg; fixed = "--profile"; profile_set = true; break;
        case 'w': user.workloads = optarg; fixed = "-w"; break;
        case 'm': user.models = optarg; fixed = "-m"; break;
        case 'n': user.tasks = optarg; fixed = "--tasks"; break;
        case 'j': user.concurrency = optarg; fixed = "--concurrency"; break;
        case OPT_SET:
            if (user.nsets == SWEEP_USER_MAX_SETS)
                return cli_usage_error("sweep", "more than %d --set options",
                                       SWEEP_USER_MAX_SETS);
            user.sets[user.nsets++] = optarg;
            fixed = "--set";
            break;
        case OPT_RUN_ARGS: user.run_args = optarg; fixed = "--run-args"; break;
        case OPT_REFERENCE: s.reference = optarg; break;
        case OPT_OUT:
            if (!*optarg)
                return cli_usage_error("sweep", "--out needs a folder");
            out = optarg;
            fixed = "--out";
            break;
        case OPT_SEED:
            if (!cli_parse_uint(optarg, 0, UINT64_MAX, &seed))
                return cli_usage_error("sweep", "bad --seed '%s': a whole number", optarg);
            seed_set = true;
            fixed = "--seed";
            break;
        case OPT_RUNS:
            if (!cli_parse_uint(optarg, 1, 1000, &runs))
                return cli_usage_error("sweep", "bad --runs '%s': a whole number from 1 to "
                                       "1000", optarg);
            fixed = "--runs";
            break;
        case OPT_NO_HF: s.use_hyperfine = false; break;
        case OPT_DRY: s.dry_run = true; fixed = "--dry-run"; break;
        case OPT_TIMEOUT: {
            uint64_t t;
            if (!cli_parse_uint(optarg, 1, 86400, &t))
                return cli_usage_error("sweep", "bad --run-timeout '%s': whole seconds from 1 "
                                       "to 86400", optarg);
            s.run_timeout_s = (double)t;
            break;
        }
        case OPT_RESUME:
            if (!*optarg)
                return cli_usage_error("sweep", "--resume needs a sweep's folder");
            resume = optarg;
            break;
        case OPT_CPUS:      /* pinned now, before any thread or child: every run inherits */
            if ((code = cli_set_cpus("sweep", optarg)) != EXIT_OK)
                return code;
            break;
        case 'h': sweep_help(); return EXIT_OK;
        case ':': return cli_usage_error("sweep", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("sweep", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("sweep", "unexpected argument '%s'", argv[optind]);
    if (resume && fixed)
        return cli_usage_error("sweep", "--resume continues with the folder's own profile, "
                               "seed, runs and place: %s cannot change them", fixed);
    bool own = sweep_user_given(&user);
    if (own && profile_set)
        return cli_usage_error("sweep", "--profile or a sweep of your own (-w, -m, --tasks, "
                               "--concurrency, --set, --run-args), not both: a profile file "
                               "takes `cell user ...` lines for that");
    if (strlen(out) >= sizeof s.outdir - 40)
        return cli_usage_error("sweep", "--out: folder name too long");
    str_copy(s.outdir, sizeof s.outdir, out);
    s.seed = seed_set ? seed : random_seed();
    s.tty = isatty(2);
    ssize_t n = readlink(SWEEP_SELF_EXE, s.exe, sizeof s.exe - 1);
    if (n <= 0) {
        fprintf(stderr, "concbench sweep: cannot read %s: %s\n", SWEEP_SELF_EXE,
                strerror(errno));
        return EXIT_ENV;
    }
    s.exe[n] = '\0';
    if ((err = event_init(&sweep_cancel)) < 0 || (err = sigwatch_start(&sweep_cancel, false)) < 0) {
        fprintf(stderr, "concbench sweep: cannot watch signals: %s\n", strerror(-err));
        return EXIT_ENV;
    }

    double t_start = clock_now();
    struct sweep_tools tools;
    code = resume ? start_resume(&s, resume, &tools)
                  : start_fresh(&s, profile, own ? &user : NULL, (unsigned)runs, &tools);
    if (code >= 0) {
        sweep_free(&s);
        return code;
    }

    sweep_run_all(&s);

    struct sweep_end e = { .tools = &tools, .argc = argc, .argv = argv };
    if (s.use_hyperfine && !sigwatch_signal() && !s.werr)
        e.hyperfine_written = sweep_run_hyperfine(&s, &e.hyperfine_note);
    else if (!s.use_hyperfine)
        e.hyperfine_note = s.plan.hyperfine ? "hyperfine not used (--no-hyperfine or not "
                                              "installed)"
                                            : "the profile does not use hyperfine";

    /* Everything below writes files only: no more child processes. */
    e.signal = sigwatch_signal();
    e.partial = e.signal != 0;
    if (e.partial && !e.hyperfine_note && s.use_hyperfine)
        e.hyperfine_note = "interrupted before or during hyperfine";
    e.duration_s = clock_now() - t_start;
    int werr = sweep_write_results(&s, &e);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/latest", s.outdir);
    if (!werr && (err = afile_symlink(strrchr(s.dir, '/') + 1, path)) < 0)
        fprintf(stderr, "concbench sweep: cannot point %s at %s: %s\n", path, s.stamp,
                strerror(-err));

    char real[32], est[32];
    sweep_fmt_duration(e.duration_s, real, sizeof real);
    sweep_fmt_duration(s.estimate_s, est, sizeof est);
    if (werr) {
        fprintf(stderr, "concbench sweep: cannot write %s/%s: %s; stopped%s. The runs "
                "journaled before it are in %s/%s: once there is room, `concbench sweep "
                "--resume %s` continues the sweep\n", s.dir, s.werr_what, strerror(-werr),
                e.partial ? " (interrupted too)" : "", s.dir, SWEEP_JOURNAL, s.dir);
        code = EXIT_ENV;
    } else {
        fprintf(stderr, "concbench sweep: %s%u runs ok, %u not ok%s in %s (estimated %s)\n",
                e.partial ? "INTERRUPTED, partial results: " : "", e.runs_ok, e.runs_not_ok,
                e.runs_not_ok ? " (kept in runs.jsonl, left out of the medians)" : "", real,
                est);
        printf("%s\n", s.dir);
        code = e.partial ? EXIT_INTERRUPTED : e.runs_not_ok ? EXIT_TASKS : EXIT_OK;
    }
    sweep_free(&s);
    return code;
}
