/* regress.c — ci/regress: the performance-regression gate. Builds two revisions in temporary
 * git worktrees (or takes two given binaries), runs the profile's cells alternating them ABBA,
 * and judges each cell: a rank test plus a bootstrap interval of the ratio against a threshold.
 * --baseline / --write-baseline check or refresh the theory-anchored baseline. The cells, runs,
 * table and baseline live in harness/gate*.c; processes, signals, files and numbers are the
 * harness's own (proc, signals, atomic_file, text, cli). */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/cli.h"
#include "harness/gate.h"
#include "harness/machine.h"
#include "harness/proc.h"
#include "harness/signals.h"
#include "harness/text.h"
#include "runtime/clock.h"
#include "runtime/event.h"

#define DEFAULT_RUNS 20

static struct {
    const char *base_rev, *head_rev, *profile, *thresholds, *output, *baseline,
        *write_baseline, *bin, *base_bin, *head_bin;
    bool keep;
} opt = { .output = "regress.json" };

static struct gate g = {
    .warmup = 1, .alpha = 0.01, .threshold = 0.10, .seed = COMPARE_BOOT_SEED,
};
static struct event cancel;
static char top[PATH_MAX];          /* the repository's top level */
static char tmp[1024];              /* this run's temporary folder */
static char worktrees[2][1100];     /* worktrees to remove ("" when none) */
static char side_desc[2][PATH_MAX + 64];    /* "`abc123def456` (main)", "the working tree" */

/* ---- git, worktrees, builds ---- */

/* The first line git prints for these arguments (run in the repository), "" on failure. */
static const char *git(char *out, size_t len, const char *a, const char *b, const char *c,
                       const char *d)
{
    char *argv[] = { "git", "-C", top, (char *)a, (char *)b, (char *)c, (char *)d, NULL };
    return proc_first_line(argv, out, len);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* Remove the worktrees and the temporary folder (also after a failure). */
static void cleanup(void)
{
    for (int s = 0; s < 2; s++) {
        if (!worktrees[s][0])
            continue;
        char *rm[] = { "git", "-C", top, "worktree", "remove", "--force", worktrees[s], NULL };
        struct proc_opts po = { .search = true, .timeout_s = 60 };
        struct proc_child ch;
        if (proc_run(rm, &po, &ch) == 0)
            proc_child_free(&ch);
        worktrees[s][0] = '\0';
    }
    char line[64];
    if (top[0])
        git(line, sizeof line, "worktree", "prune", NULL, NULL);
    if (tmp[0] && !opt.keep)
        nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    else if (tmp[0])
        fprintf(stderr, "regress: kept %s\n", tmp);
    tmp[0] = '\0';
    sigwatch_stop();
}

/* Print the reason, clean up, and return the "could not run" exit code. */
static int cannot(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int cannot(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "regress: cannot run: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    cleanup();
    gate_free(&g);
    return GATE_CANNOT;
}

/* The last lines of a build log, to stderr. */
static void print_tail(const char *path, int lines)
{
    char *text;
    size_t len;
    if (text_slurp(path, 0, &text, &len) < 0)
        return;
    size_t at = len;
    for (int n = 0; at > 0 && n <= lines; at--)
        n += text[at - 1] == '\n';
    for (char *l = strtok(text + at, "\n"); l; l = strtok(NULL, "\n"))
        fprintf(stderr, "    %s\n", l);
    free(text);
}

/* Build the tree at dir into <tmp>/<label>-build and -bin; the binary's path into out. */
static int build(const char *dir, const char *label, char *out, size_t outlen)
{
    char bvar[1200], binvar[1200], log[1100], jobs[32];
    snprintf(bvar, sizeof bvar, "BUILD=%s/%s-build", tmp, label);
    snprintf(binvar, sizeof binvar, "BIN=%s/%s-bin", tmp, label);
    snprintf(log, sizeof log, "%s/%s-build.log", tmp, label);
    snprintf(jobs, sizeof jobs, "-j%u", machine_cores());
    snprintf(out, outlen, "%s/concbench", binvar + 4);
    char *argv[] = { "make", "--no-print-directory", "-C", (char *)dir, jobs, bvar, binvar, out,
                     NULL };
    struct proc_opts po = { .search = true, .log_path = log, .stop = &cancel };
    struct proc_child ch;
    fprintf(stderr, "regress: building %s (%s)\n", label, dir);
    int err = proc_run(argv, &po, &ch);
    if (err < 0) {
        fprintf(stderr, "regress: cannot run make: %s\n", strerror(-err));
        return -1;
    }
    int code = ch.exit_code;
    proc_child_free(&ch);
    if (code != 0 || access(out, X_OK) != 0) {
        fprintf(stderr, "regress: the %s build failed (make exit %d); end of %s:\n", label, code,
                log);
        print_tail(log, 15);
        return -1;
    }
    return 0;
}

/* Check out rev in a new worktree <tmp>/<label> and build it. */
static int build_rev(int side, const char *rev, const char *label)
{
    snprintf(worktrees[side], sizeof worktrees[side], "%s/%s", tmp, label);
    char *argv[] = { "git", "-C", top, "worktree", "add", "--detach", "--quiet", worktrees[side],
                     (char *)rev, NULL };
    struct proc_opts po = { .search = true, .timeout_s = 120, .stop = &cancel };
    struct proc_child ch;
    int err = proc_run(argv, &po, &ch);
    if (err < 0 || ch.exit_code != 0) {
        fprintf(stderr, "regress: git worktree add %s failed: %s\n", rev,
                err < 0 ? strerror(-err) : ch.err);
        if (err == 0)
            proc_child_free(&ch);
        worktrees[side][0] = '\0';
        return -1;
    }
    proc_child_free(&ch);
    return build(worktrees[side], label, g.bins[side], sizeof g.bins[side]);
}

/* A revision's commit id, "" when git does not know it. */
static const char *resolve(const char *rev, char *sha, size_t len)
{
    char spec[512];
    snprintf(spec, sizeof spec, "%s^{commit}", rev);
    return git(sha, len, "rev-parse", "--verify", "--quiet", spec);
}

/* The default base: the merge-base with main (or origin/main); HEAD~1 when that is HEAD. */
static int default_base(char *sha, size_t len, char *desc, size_t dlen)
{
    char head[64], mb[64] = "", m[64];
    if (!resolve("HEAD", head, sizeof head)[0])
        return -1;
    const char *mains[] = { "main", "origin/main" };
    for (int k = 0; k < 2 && !mb[0]; k++)
        if (resolve(mains[k], m, sizeof m)[0] &&
            git(mb, sizeof mb, "merge-base", "HEAD", mains[k], NULL)[0])
            snprintf(desc, dlen, "merge-base with %s", mains[k]);
    if (mb[0] && strcmp(mb, head) != 0) {
        str_copy(sha, len, mb);
        return 0;
    }
    if (!resolve("HEAD~1", sha, len)[0])
        return -2;
    snprintf(desc, dlen, "HEAD~1");
    return 0;
}

/* ---- the ABBA loop and the verdict ---- */

/* R rounds; in each, every cell runs on both sides, base first in even rounds and head first
 * in odd ones: A B B A A B B A ... per cell, so a drift of the machine hits both sides alike. */
static void run_abba(void)
{
    for (unsigned r = 0; r < g.runs && !event_is_set(&cancel); r++) {
        for (int k = 0; k < g.ncells && !event_is_set(&cancel); k++) {
            struct gate_cell *c = &g.cells[k];
            int first = r % 2;
            if (gate_active(c) && gate_measure(&g, c, first) == 0)
                gate_measure(&g, c, 1 - first);
        }
        if (isatty(2))
            fprintf(stderr, "\rregress: run %u/%u%s", r + 1, g.runs, r + 1 == g.runs ? "\n" : "");
    }
}

struct verdict {
    int counts[4], code;
};

static void print_words(FILE *f, const char *label, char *const *a, int n)
{
    if (!n)
        return;
    fprintf(f, " %s: `", label);
    for (int k = 0; k < n; k++)
        fprintf(f, "%s%s", k ? " " : "", a[k]);
    fprintf(f, "`.");
}

static void write_report(FILE *f, void *arg)
{
    const struct verdict *v = arg;
    fprintf(f, "### concbench regression gate\n\n");
    fprintf(f, "base %s against head %s; %u runs each, ABBA order; figure: in-process "
               "`wall_s`; Mann–Whitney U two-sided, alpha %g; bootstrap 95 %% CI of the ratio "
               "of medians head/base (%d resamples, seed 0x%llx); threshold T %.0f %% unless "
               "the row says otherwise.", side_desc[0], side_desc[1], g.runs, g.alpha,
            COMPARE_BOOT_RESAMPLES, (unsigned long long)g.seed, g.threshold * 100);
    print_words(f, "Base args", g.side_args[0], g.side_nargs[0]);
    print_words(f, "Head args", g.side_args[1], g.side_nargs[1]);
    fprintf(f, "\n\n");
    gate_write_table(f, g.cells, g.ncells, "base", "head");
    gate_write_counts(f, v->counts, v->code);
}

/* ---- options ---- */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: ci/regress [--base REV] [--head REV] [--runs R] [--alpha A] [--threshold T]\n"
        "                  [--head-args \"...\"] [--base-args \"...\"] [--profile FILE]\n"
        "                  [--thresholds FILE] [--output FILE] [--seed N] [--warmup N] [--keep]\n"
        "       ci/regress --base-bin PATH --head-bin PATH [options as above]\n"
        "       ci/regress --baseline FILE [--bin PATH] [--runs R] ...\n"
        "       ci/regress --write-baseline FILE [--bin PATH] [--profile FILE] [--runs R] ...\n\n"
        "Builds REV (default: the merge-base with main, or HEAD~1 on main) in a temporary git\n"
        "worktree and the working tree (or --head REV) into two binaries, runs the profile's\n"
        "cells alternating them (ABBA) R times each (default: the profile's `runs`, else 20),\n"
        "and judges each cell's in-process wall_s: ratio of medians head/base, bootstrap 95 %%\n"
        "CI (10000 resamples, fixed seed), two-sided Mann-Whitney p. Regressed: p < A (0.01)\n"
        "and CI low > 1 + T (0.10); improved: p < A and CI high < 1 - T; no change: CI inside\n"
        "[1-T, 1+T]; otherwise inconclusive. Prints a Markdown table (also to\n"
        "$GITHUB_STEP_SUMMARY), writes regress.json (github-action-benchmark\n"
        "customSmallerIsBetter).\n\n"
        "  --base REV, --head REV  the revisions to build (head default: the working tree)\n"
        "  --base-bin PATH, --head-bin PATH  compare these concbench binaries instead of\n"
        "                      building that side (no git needed when both are given)\n"
        "  --runs R            measured runs per cell and side (3 to %d)\n"
        "  --alpha A           significance level (default 0.01)\n"
        "  --threshold T       default T (0.10); per cell: --thresholds\n"
        "  --profile FILE      the cells, in the profile format of profiles/README\n"
        "                      (default ci/profile; ci/baseline-profile with --write-baseline)\n"
        "  --thresholds FILE   per-cell T, 'NAME T' a line (default ci/thresholds.conf)\n"
        "  --head-args/--base-args \"...\"  extra run arguments for one side, split on blanks\n"
        "                      (calibration: --head-args \"--inject-overhead-pct 25\")\n"
        "  --output FILE       regress.json's path (default ./regress.json)\n"
        "  --seed N            the bootstrap's seed\n"
        "  --warmup N          unmeasured runs per cell and side first (default 1)\n"
        "  --baseline FILE     check the current build's theory-anchored figures (efficiency)\n"
        "                      against a committed baseline (results/baseline.json)\n"
        "  --write-baseline FILE  measure the baseline profile, write FILE\n"
        "  --bin PATH          baseline modes: check this binary instead of building one\n"
        "  --keep              keep the temporary folder\n"
        "  --help              this text\n\n"
        "exit codes: 0 no cell regressed, 1 a cell regressed, 2 could not run (with the reason;\n"
        "also when interrupted by SIGINT, SIGTERM or SIGHUP)\n", GATE_MAX_RUNS);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "regress: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nregress: try --help\n");
    return -1;
}

static int parse_args(int argc, char **argv)
{
    enum { O_BASE = 1000, O_HEAD, O_RUNS, O_ALPHA, O_THRESHOLD, O_HEAD_ARGS, O_BASE_ARGS,
           O_PROFILE, O_THRESHOLDS, O_OUTPUT, O_SEED, O_BASELINE, O_WRITE_BASELINE, O_BIN,
           O_KEEP, O_WARMUP, O_BASE_BIN, O_HEAD_BIN };
    static const struct option longopts[] = {
        { "base", required_argument, NULL, O_BASE },
        { "head", required_argument, NULL, O_HEAD },
        { "runs", required_argument, NULL, O_RUNS },
        { "alpha", required_argument, NULL, O_ALPHA },
        { "threshold", required_argument, NULL, O_THRESHOLD },
        { "head-args", required_argument, NULL, O_HEAD_ARGS },
        { "base-args", required_argument, NULL, O_BASE_ARGS },
        { "profile", required_argument, NULL, O_PROFILE },
        { "thresholds", required_argument, NULL, O_THRESHOLDS },
        { "output", required_argument, NULL, O_OUTPUT },
        { "seed", required_argument, NULL, O_SEED },
        { "baseline", required_argument, NULL, O_BASELINE },
        { "write-baseline", required_argument, NULL, O_WRITE_BASELINE },
        { "bin", required_argument, NULL, O_BIN },
        { "base-bin", required_argument, NULL, O_BASE_BIN },
        { "head-bin", required_argument, NULL, O_HEAD_BIN },
        { "keep", no_argument, NULL, O_KEEP },
        { "warmup", required_argument, NULL, O_WARMUP },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    uint64_t v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case O_BASE: opt.base_rev = optarg; break;
        case O_HEAD: opt.head_rev = optarg; break;
        case O_RUNS:
            if (!cli_parse_uint(optarg, 3, GATE_MAX_RUNS, &v))
                return bad("bad --runs '%s': 3 to %d", optarg, GATE_MAX_RUNS);
            g.runs = (unsigned)v;
            break;
        case O_WARMUP:
            if (!cli_parse_uint(optarg, 0, 100, &v))
                return bad("bad --warmup '%s': 0 to 100", optarg);
            g.warmup = (unsigned)v;
            break;
        case O_ALPHA:
            if (!cli_parse_double(optarg, 0, 1, &g.alpha))
                return bad("bad --alpha '%s': 0 < A < 1", optarg);
            break;
        case O_THRESHOLD:
            if (!cli_parse_double(optarg, 0, 1, &g.threshold))
                return bad("bad --threshold '%s': 0 < T < 1", optarg);
            break;
        case O_HEAD_ARGS:
        case O_BASE_ARGS: {
            int side = c == O_HEAD_ARGS;
            char *copy = strdup(optarg), *save = NULL;
            for (int k = 0; k < g.side_nargs[side]; k++)
                free(g.side_args[side][k]);
            g.side_nargs[side] = 0;
            for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
                if (g.side_nargs[side] == GATE_MAX_ARGS) {
                    free(copy);
                    return bad("too many words in %s", argv[optind - 2]);
                }
                g.side_args[side][g.side_nargs[side]++] = strdup(t);
            }
            free(copy);
            break;
        }
        case O_PROFILE: opt.profile = optarg; break;
        case O_THRESHOLDS: opt.thresholds = optarg; break;
        case O_OUTPUT: opt.output = optarg; break;
        case O_SEED: {
            char *end;
            errno = 0;
            g.seed = strtoull(optarg, &end, 0);
            if (errno || *end || end == optarg || optarg[0] == '-')
                return bad("bad --seed '%s'", optarg);
            break;
        }
        case O_BASELINE: opt.baseline = optarg; break;
        case O_WRITE_BASELINE: opt.write_baseline = optarg; break;
        case O_BIN: opt.bin = optarg; break;
        case O_BASE_BIN: opt.base_bin = optarg; break;
        case O_HEAD_BIN: opt.head_bin = optarg; break;
        case O_KEEP: opt.keep = true; break;
        case 'h': usage(stdout); exit(0);
        case ':': return bad("option '%s' needs a value", argv[optind - 1]);
        default: return bad("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad("unexpected argument '%s'", argv[optind]);
    if (opt.baseline && opt.write_baseline)
        return bad("--baseline and --write-baseline exclude each other");
    if ((opt.base_bin && opt.base_rev) || (opt.head_bin && opt.head_rev))
        return bad("a side is a revision (--base/--head) or a binary (--base-bin/--head-bin)");
    return 0;
}

/* The repository: git's top level, else (two given binaries) the folder above this binary's. */
static int find_top(void)
{
    char *argv[] = { "git", "rev-parse", "--show-toplevel", NULL };
    if (proc_first_line(argv, top, sizeof top)[0] && top[0] == '/')
        return 0;
    ssize_t n = readlink("/proc/self/exe", top, sizeof top - 1);
    if (n <= 0 || !(opt.base_bin && opt.head_bin))
        return top[0] = '\0', -1;
    top[n] = '\0';
    for (int k = 0; k < 2 && strrchr(top, '/'); k++)
        *strrchr(top, '/') = '\0';
    return 0;
}

static const char *path_in_top(char *buf, size_t len, const char *given, const char *rel)
{
    if (given)
        return given;
    snprintf(buf, len, "%s/%s", top, rel);
    return buf;
}

/* Baseline modes: one binary (--bin, or the working tree built into the temporary folder). */
static int baseline_main(void)
{
    char path[PATH_MAX + 64], err[512], rev[64] = "";
    if (opt.bin)
        str_copy(g.bins[1], sizeof g.bins[1], opt.bin);
    else if (build(top, "current", g.bins[1], sizeof g.bins[1]) < 0)
        return cannot("the current tree does not build");
    int code;
    if (opt.write_baseline) {
        if (gate_load_profile(&g, path_in_top(path, sizeof path, opt.profile,
                                              "ci/baseline-profile"), err, sizeof err) < 0)
            return cannot("%s", err);
        g.runs = g.runs ? g.runs : DEFAULT_RUNS;
        code = gate_baseline_write(&g, opt.write_baseline, git(rev, sizeof rev, "rev-parse",
                                                               "HEAD", NULL, NULL));
    } else {
        g.runs = g.runs ? g.runs : DEFAULT_RUNS;
        code = gate_baseline_check(&g, opt.baseline);
    }
    cleanup();
    gate_free(&g);
    return code;
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) < 0)
        return GATE_CANNOT;
    int err = event_init(&cancel);
    if (err < 0 || (err = sigwatch_start(&cancel, false)) < 0)
        return cannot("cannot watch signals: %s", strerror(-err));
    g.stop = &cancel;
    if (find_top() < 0)
        return cannot("not inside a git repository");
    const char *t = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/concbench-regress.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmp)) {
        int e = errno;
        tmp[0] = '\0';
        return cannot("no temporary folder: %s", strerror(e));
    }
    g.tmp = tmp;
    if (opt.baseline || opt.write_baseline)
        return baseline_main();

    /* The cells. */
    char path[PATH_MAX + 64], msg[512];
    if (gate_load_profile(&g, path_in_top(path, sizeof path, opt.profile, "ci/profile"), msg,
                          sizeof msg) < 0)
        return cannot("%s", msg);
    if (gate_load_thresholds(&g, path_in_top(path, sizeof path, opt.thresholds,
                                             "ci/thresholds.conf"), opt.thresholds != NULL) < 0)
        return cannot("bad thresholds file");
    g.runs = g.runs ? g.runs : DEFAULT_RUNS;

    /* The two sides: given binaries, or revisions built in worktrees. */
    char base_sha[64] = "", head_sha[64] = "", desc[128] = "";
    double t0 = clock_now();
    if (opt.base_bin) {
        str_copy(g.bins[0], sizeof g.bins[0], opt.base_bin);
        snprintf(side_desc[0], sizeof side_desc[0], "`%s`", opt.base_bin);
    } else {
        if (opt.base_rev && !resolve(opt.base_rev, base_sha, sizeof base_sha)[0])
            return cannot("git does not know the base revision '%s'", opt.base_rev);
        if (opt.base_rev)
            str_copy(desc, sizeof desc, opt.base_rev);
        int r = opt.base_rev ? 0 : default_base(base_sha, sizeof base_sha, desc, sizeof desc);
        if (r == -1)
            return cannot("no HEAD commit");
        if (r == -2)
            return cannot("HEAD has no parent to compare with; pass --base HEAD for an A/A run");
        snprintf(side_desc[0], sizeof side_desc[0], "`%.12s` (%s)", base_sha, desc);
    }
    if (opt.head_bin) {
        str_copy(g.bins[1], sizeof g.bins[1], opt.head_bin);
        snprintf(side_desc[1], sizeof side_desc[1], "`%s`", opt.head_bin);
    } else if (opt.head_rev) {
        if (!resolve(opt.head_rev, head_sha, sizeof head_sha)[0])
            return cannot("git does not know the head revision '%s'", opt.head_rev);
        snprintf(side_desc[1], sizeof side_desc[1], "`%.12s` (%s)", head_sha, opt.head_rev);
    } else {
        snprintf(side_desc[1], sizeof side_desc[1], "the working tree");
    }
    fprintf(stderr, "regress: base %s, head %s\n", side_desc[0], side_desc[1]);
    if (!opt.base_bin && build_rev(0, base_sha, "base") < 0)
        return cannot("the base revision %.12s does not build", base_sha);
    if (!opt.head_bin && (opt.head_rev ? build_rev(1, head_sha, "head")
                                       : build(top, "head", g.bins[1], sizeof g.bins[1])) < 0)
        return cannot("the head does not build");

    /* Measure. */
    if (gate_check_support(&g, 0, "base") < 0 || gate_check_support(&g, 1, "head") < 0)
        return cannot("'concbench list' failed on a binary");
    gate_alloc_samples(&g);
    gate_warm_up(&g, 0);
    run_abba();
    if (event_is_set(&cancel))
        return cannot("interrupted by signal %d", sigwatch_signal());

    /* The verdict. */
    struct verdict v = { { 0 }, GATE_OK };
    gate_decide(&g, g.cells, g.ncells, v.counts);
    int measured = v.counts[0] + v.counts[1] + v.counts[2] + v.counts[3];
    v.code = v.counts[VERDICT_REGRESSED] ? GATE_REGRESSED : measured == 0 ? GATE_CANNOT : GATE_OK;
    for (int k = 0; k < g.ncells && v.code == GATE_OK; k++)
        if (g.cells[k].failed)
            v.code = GATE_CANNOT;
    gate_publish(write_report, &v);
    if (gate_write_bench_json(&g, opt.output) < 0 && v.code == GATE_OK)
        v.code = GATE_CANNOT;
    fprintf(stderr, "regress: %.0f s in all; %s\n", clock_now() - t0,
            v.code == GATE_REGRESSED ? "a cell regressed"
            : v.code == GATE_OK ? "no cell regressed"
            : measured == 0 ? "no cell could be measured" : "a cell failed to run");
    cleanup();
    gate_free(&g);
    return v.code;
}
