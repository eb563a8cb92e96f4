/* regress.c — ci/regress: the performance-regression gate (two builds on one machine, runs
 * interleaved ABBA, a rank test plus a bootstrap interval against a threshold) and the
 * theory-anchored baseline check (--baseline, --write-baseline). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness/compare.h"
#include "harness/stats.h"
#include "runtime/json.h"

enum { RG_OK = 0, RG_REGRESSED = 1, RG_CANNOT = 2 };

#define RG_MAX_CELLS 64
#define RG_MAX_ARGS 48
#define RG_MAX_RUNS 1000
#define RG_MAX_NAMES 32

/* One cell of a profile: a name and the `concbench run` arguments. */
struct cell {
    char name[64];
    char *args[RG_MAX_ARGS];
    int nargs;
    char figure[8];         /* baseline profile: "io", "cpu" or "ref"; else "" */
    double task_s;          /* io: the ideal time of one task */
    char ref[64];           /* cpu: the single-thread reference cell */
    double threshold;       /* per-cell T */
    bool skipped, failed;
    char why[512];          /* skipped or failed: the reason */
    double *samples[2];     /* wall_s per run: [0] base, [1] head */
    unsigned n[2];
    unsigned concurrency;   /* from the record */
    unsigned tasks;
    struct compare_result res;
};

static struct {
    const char *base_rev, *head_rev, *profile, *thresholds, *output, *baseline, *write_baseline;
    const char *bin;
    char *side_args[2][RG_MAX_ARGS];
    int side_nargs[2];
    unsigned runs, warmup;
    double alpha, threshold;
    uint64_t seed;
    bool keep, verbose;
    char top[4096];         /* the repository's top level */
    char tmp[1024];         /* this run's temporary directory */
    char bins[2][4200];     /* concbench of base, head */
    char worktrees[2][1100];/* worktrees to remove ("" when none) */
    char base_sha[64], head_desc[128];
    struct cell cells[RG_MAX_CELLS];
    int ncells;
} g = {
    .runs = 20, .warmup = 1, .alpha = 0.01, .threshold = 0.10, .seed = COMPARE_BOOT_SEED,
    .output = "regress.json",
};

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    g_stop = sig;
}

static void die_oom(void)
{
    fprintf(stderr, "regress: out of memory\n");
    exit(RG_CANNOT);
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        die_oom();
    return d;
}

/* ---- child processes (fork/execvp, no shell) ---- */

struct proc_out {
    int status;             /* exit code, 128 + signal, or 127 when it could not start */
    char *out, *err;        /* captured stdout/stderr (NUL-terminated), or NULL with a log */
    size_t out_len, err_len;
};

static void buf_append(char **b, size_t *len, size_t *cap, const char *d, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = (*len + n + 1) * 2;
        char *nb = realloc(*b, c);
        if (!nb)
            die_oom();
        *b = nb;
        *cap = c;
    }
    memcpy(*b + *len, d, n);
    *len += n;
    (*b)[*len] = '\0';
}

/* Run argv (argv[0] looked up in PATH) in directory cwd (NULL: here), stdin from /dev/null.
 * With a log path, stdout and stderr go to that file; otherwise both are captured into o.
 * Returns 0 (the child's status in o->status) or a negative errno when it could not be run.
 * Blocks until the child exits; on SIGINT/SIGTERM to us, passes SIGTERM on to the child. */
static int proc_run(char *const argv[], const char *cwd, const char *log, struct proc_out *o)
{
    int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, logfd = -1;
    memset(o, 0, sizeof *o);
    if (log) {
        logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (logfd < 0)
            return -errno;
    } else if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
        int e = -errno;
        if (po[0] >= 0) {
            close(po[0]);
            close(po[1]);
        }
        return e;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = -errno;
        if (logfd >= 0)
            close(logfd);
        else {
            close(po[0]); close(po[1]); close(pe[0]); close(pe[1]);
        }
        return e;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(log ? logfd : po[1], 1);
        dup2(log ? logfd : pe[1], 2);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (cwd && chdir(cwd) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    bool killed = false;
    if (log) {
        close(logfd);
    } else {
        close(po[1]);
        close(pe[1]);
        size_t oc = 0, ec = 0;
        buf_append(&o->out, &o->out_len, &oc, "", 0);
        buf_append(&o->err, &o->err_len, &ec, "", 0);
        struct pollfd fds[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
        int open_fds = 2;
        while (open_fds > 0) {
            if (g_stop && !killed) {
                kill(pid, SIGTERM);
                killed = true;
            }
            if (poll(fds, 2, 200) < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            for (int k = 0; k < 2; k++) {
                if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                char chunk[65536];
                ssize_t n = read(fds[k].fd, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0) {
                    close(fds[k].fd);
                    fds[k].fd = -1;
                    open_fds--;
                } else if (k == 0) {
                    buf_append(&o->out, &o->out_len, &oc, chunk, (size_t)n);
                } else {
                    buf_append(&o->err, &o->err_len, &ec, chunk, (size_t)n);
                }
            }
        }
        for (int k = 0; k < 2; k++)
            if (fds[k].fd >= 0)
                close(fds[k].fd);
    }
    int st;
    for (;;) {
        if (waitpid(pid, &st, 0) == pid)
            break;
        if (errno != EINTR)
            return -errno;
        if (g_stop && !killed) {
            kill(pid, SIGTERM);
            killed = true;
        }
    }
    o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

static void proc_free(struct proc_out *o)
{
    free(o->out);
    free(o->err);
}

/* Run a command and return its stdout's first line (trailing newline removed) in out; true
 * when it exited 0. */
static bool capture_line(char *out, size_t len, char *const argv[])
{
    struct proc_out o;
    out[0] = '\0';
    if (proc_run(argv, NULL, NULL, &o) < 0)
        return false;
    bool ok = o.status == 0;
    if (ok) {
        size_t n = strcspn(o.out, "\n");
        snprintf(out, len, "%.*s", (int)n, o.out);
    }
    proc_free(&o);
    return ok;
}

/* The last `lines` lines of a file, to stderr (a failed build's log). */
static void print_tail(const char *path, int lines)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *ring[64] = { 0 };
    char buf[1024];
    int n = 0;
    if (lines > 64)
        lines = 64;
    while (fgets(buf, sizeof buf, f)) {
        free(ring[n % lines]);
        ring[n % lines] = xstrdup(buf);
        n++;
    }
    fclose(f);
    for (int k = n > lines ? n - lines : 0; k < n; k++) {
        fprintf(stderr, "    %s", ring[k % lines]);
        free(ring[k % lines]);
    }
}

/* ---- temporary directory and worktrees ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

/* Remove the worktrees and the temporary directory (also after a failure). */
static void cleanup(void)
{
    for (int s = 0; s < 2; s++) {
        if (!g.worktrees[s][0])
            continue;
        char *rm[] = { "git", "-C", g.top, "worktree", "remove", "--force", g.worktrees[s], NULL };
        struct proc_out o;
        if (proc_run(rm, NULL, NULL, &o) == 0)
            proc_free(&o);
        g.worktrees[s][0] = '\0';
    }
    char *prune[] = { "git", "-C", g.top, "worktree", "prune", NULL };
    struct proc_out o;
    if (g.top[0] && proc_run(prune, NULL, NULL, &o) == 0)
        proc_free(&o);
    if (g.tmp[0] && !g.keep)
        nftw(g.tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    else if (g.tmp[0])
        fprintf(stderr, "regress: kept %s\n", g.tmp);
    g.tmp[0] = '\0';
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
    return RG_CANNOT;
}

static unsigned online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* Build the tree at `dir` into <tmp>/<label>-build and <tmp>/<label>-bin; out = the binary.
 * Returns 0, or -1 after printing the reason and the log's tail. */
static int build(const char *dir, const char *label, char *out, size_t outlen)
{
    char bdir[1100], bindir[1100], log[1100], jobs[32], bvar[1200], binvar[1200];
    snprintf(bdir, sizeof bdir, "%s/%s-build", g.tmp, label);
    snprintf(bindir, sizeof bindir, "%s/%s-bin", g.tmp, label);
    snprintf(log, sizeof log, "%s/%s-build.log", g.tmp, label);
    snprintf(jobs, sizeof jobs, "-j%u", online_cpus());
    snprintf(bvar, sizeof bvar, "BUILD=%s", bdir);
    snprintf(binvar, sizeof binvar, "BIN=%s", bindir);
    snprintf(out, outlen, "%s/concbench", bindir);
    char *argv[] = { "make", "--no-print-directory", "-C", (char *)dir, jobs, bvar, binvar,
                     out, NULL };
    struct proc_out o;
    fprintf(stderr, "regress: building %s (%s)\n", label, dir);
    int err = proc_run(argv, NULL, log, &o);
    if (err < 0) {
        fprintf(stderr, "regress: cannot run make: %s\n", strerror(-err));
        return -1;
    }
    if (o.status != 0 || access(out, X_OK) != 0) {
        fprintf(stderr, "regress: the %s build failed (make exit %d); end of %s:\n", label,
                o.status, log);
        print_tail(log, 15);
        return -1;
    }
    return 0;
}

/* Check out rev in a new worktree <tmp>/<label> and build it. */
static int build_rev(int side, const char *rev, const char *label)
{
    snprintf(g.worktrees[side], sizeof g.worktrees[side], "%s/%s", g.tmp, label);
    char *argv[] = { "git", "-C", g.top, "worktree", "add", "--detach", "--quiet",
                     g.worktrees[side], (char *)rev, NULL };
    struct proc_out o;
    if (proc_run(argv, NULL, NULL, &o) < 0 || o.status != 0) {
        fprintf(stderr, "regress: git worktree add %s failed: %s\n", rev, o.err ? o.err : "");
        if (o.out)
            proc_free(&o);
        g.worktrees[side][0] = '\0';
        return -1;
    }
    proc_free(&o);
    return build(g.worktrees[side], label, g.bins[side], sizeof g.bins[side]);
}

/* Resolve a revision to a commit id; false when git does not know it. */
static bool resolve(const char *rev, char *sha, size_t len)
{
    char spec[512];
    snprintf(spec, sizeof spec, "%s^{commit}", rev);
    char *argv[] = { "git", "-C", g.top, "rev-parse", "--verify", "--quiet", spec, NULL };
    return capture_line(sha, len, argv) && sha[0];
}

/* The default base: the merge-base with main (or origin/main); HEAD~1 when that is HEAD. */
static int default_base(char *sha, size_t len, char *desc, size_t dlen)
{
    char head[64], mb[64] = "";
    if (!resolve("HEAD", head, sizeof head))
        return -1;
    const char *mains[] = { "main", "origin/main" };
    for (int k = 0; k < 2 && !mb[0]; k++) {
        char m[64];
        if (!resolve(mains[k], m, sizeof m))
            continue;
        char *argv[] = { "git", "-C", g.top, "merge-base", "HEAD", (char *)mains[k], NULL };
        if (capture_line(mb, sizeof mb, argv) && mb[0])
            snprintf(desc, dlen, "merge-base with %s", mains[k]);
    }
    if (mb[0] && strcmp(mb, head) != 0) {
        snprintf(sha, len, "%s", mb);
        return 0;
    }
    if (!resolve("HEAD~1", sha, len))
        return -2;
    snprintf(desc, dlen, "HEAD~1");
    return 0;
}

/* ---- profiles ---- */

/* Split s (modified) on blanks into at most max words. Returns the count, or -1 when full. */
static int split_words(char *s, char **out, int max)
{
    int n = 0;
    for (char *tok = strtok(s, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
        if (n == max)
            return -1;
        out[n++] = tok;
    }
    return n;
}

/* Replace "{tmp}" in a profile argument with this run's temporary directory. */
static char *expand(const char *arg)
{
    const char *at = strstr(arg, "{tmp}");
    if (!at)
        return xstrdup(arg);
    char *r;
    if (asprintf(&r, "%.*s%s%s", (int)(at - arg), arg, g.tmp, at + 5) < 0)
        die_oom();
    return r;
}

/* Read a profile: "NAME ARGS..." a line (baseline profiles: "NAME io TASK_S ARGS...",
 * "NAME cpu REF ARGS...", "NAME ref - ARGS..."); '#' starts a comment. */
static int load_profile(const char *path, bool baseline)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "regress: cannot open profile %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[2048];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *w[RG_MAX_ARGS + 4];
        int n = split_words(line, w, RG_MAX_ARGS + 3);
        if (n == 0)
            continue;
        int first = baseline ? 3 : 1;
        if (n < 0 || n <= first || g.ncells == RG_MAX_CELLS) {
            fprintf(stderr, "regress: %s:%d: %s\n", path, lineno,
                    n < 0 ? "too many arguments" : g.ncells == RG_MAX_CELLS ? "too many cells"
                    : "expected a name and the run arguments");
            fclose(f);
            return -1;
        }
        struct cell *c = &g.cells[g.ncells++];
        memset(c, 0, sizeof *c);
        snprintf(c->name, sizeof c->name, "%s", w[0]);
        if (baseline) {
            snprintf(c->figure, sizeof c->figure, "%s", w[1]);
            if (strcmp(w[1], "io") == 0) {
                c->task_s = strtod(w[2], NULL);
            } else if (strcmp(w[1], "cpu") == 0) {
                snprintf(c->ref, sizeof c->ref, "%s", w[2]);
            } else if (strcmp(w[1], "ref") != 0) {
                fprintf(stderr, "regress: %s:%d: figure must be io, cpu or ref\n", path, lineno);
                fclose(f);
                return -1;
            }
        }
        for (int k = first; k < n; k++)
            c->args[c->nargs++] = expand(w[k]);
        c->threshold = g.threshold;
    }
    fclose(f);
    if (g.ncells == 0) {
        fprintf(stderr, "regress: %s has no cells\n", path);
        return -1;
    }
    return 0;
}

/* Per-cell thresholds: "CELL T" a line. A missing file is no overrides. */
static int load_thresholds(const char *path, bool required)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!required)
            return 0;
        fprintf(stderr, "regress: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *w[3];
        int n = split_words(line, w, 3);
        if (n == 0)
            continue;
        char *end;
        double t = n == 2 ? strtod(w[1], &end) : -1;
        if (n != 2 || *end || !(t > 0 && t < 1)) {
            fprintf(stderr, "regress: %s:%d: expected 'CELL THRESHOLD' with 0 < T < 1\n", path,
                    lineno);
            fclose(f);
            return -1;
        }
        for (int k = 0; k < g.ncells; k++)
            if (strcmp(g.cells[k].name, w[0]) == 0)
                g.cells[k].threshold = t;
    }
    fclose(f);
    return 0;
}

/* ---- what a binary supports ---- */

struct names {
    char workloads[RG_MAX_NAMES][32], models[RG_MAX_NAMES][32];
    int nw, nm;
};

/* Read `concbench list`: names under "workloads:" and "models:". */
static int list_names(const char *bin, struct names *n)
{
    memset(n, 0, sizeof *n);
    char *argv[] = { (char *)bin, "list", NULL };
    struct proc_out o;
    if (proc_run(argv, NULL, NULL, &o) < 0)
        return -1;
    if (o.status != 0) {
        proc_free(&o);
        return -1;
    }
    int section = 0;
    for (char *line = strtok(o.out, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "workloads:", 10) == 0)
            section = 1;
        else if (strncmp(line, "models:", 7) == 0)
            section = 2;
        else if (line[0] == ' ' && section) {
            char name[32];
            if (sscanf(line, "%31s", name) != 1)
                continue;
            if (section == 1 && n->nw < RG_MAX_NAMES)
                snprintf(n->workloads[n->nw++], 32, "%s", name);
            else if (section == 2 && n->nm < RG_MAX_NAMES)
                snprintf(n->models[n->nm++], 32, "%s", name);
        }
    }
    proc_free(&o);
    return 0;
}

static bool has_name(const char (*list)[32], int n, const char *name)
{
    for (int k = 0; k < n; k++)
        if (strcmp(list[k], name) == 0)
            return true;
    return false;
}

static const char *cell_opt(const struct cell *c, const char *s, const char *l)
{
    for (int k = 0; k + 1 < c->nargs; k++)
        if (strcmp(c->args[k], s) == 0 || strcmp(c->args[k], l) == 0)
            return c->args[k + 1];
    return NULL;
}

/* Mark cells whose model or workload a binary does not list as skipped. */
static void check_support(const struct names *n, const char *side)
{
    for (int k = 0; k < g.ncells; k++) {
        struct cell *c = &g.cells[k];
        const char *w = cell_opt(c, "-w", "--workload"), *m = cell_opt(c, "-m", "--model");
        if (c->skipped)
            continue;
        if (w && !has_name(n->workloads, n->nw, w)) {
            c->skipped = true;
            snprintf(c->why, sizeof c->why, "workload '%s' not in the %s binary", w, side);
        } else if (m && !has_name(n->models, n->nm, m)) {
            c->skipped = true;
            snprintf(c->why, sizeof c->why, "model '%s' not in the %s binary", m, side);
        }
    }
}

/* ---- one run ---- */

/* Run one cell on one side; on success the record's wall_s. Returns 0, 2 (usage error: the
 * binary does not support the cell), or -1 (failed; reason in why). */
static int run_cell(struct cell *c, int side, double *wall, char *why, size_t whylen)
{
    char *argv[2 * RG_MAX_ARGS + 4];
    int n = 0;
    argv[n++] = g.bins[side];
    argv[n++] = "run";
    for (int k = 0; k < c->nargs; k++)
        argv[n++] = c->args[k];
    for (int k = 0; k < g.side_nargs[side]; k++)
        argv[n++] = g.side_args[side][k];
    argv[n++] = "--json";
    argv[n] = NULL;

    struct proc_out o;
    int err = proc_run(argv, NULL, NULL, &o);
    if (err < 0) {
        snprintf(why, whylen, "cannot start %s: %s", g.bins[side], strerror(-err));
        return -1;
    }
    int ret = -1;
    if (o.status != 0) {
        size_t l = strcspn(o.err, "\n");
        snprintf(why, whylen, "exit %d: %.*s", o.status, (int)(l > 200 ? 200 : l), o.err);
        ret = o.status == 2 ? 2 : -1;
        goto out;
    }
    char perr[128];
    struct json_value *v = json_parse(o.out, o.out_len, perr, sizeof perr);
    const struct json_value *w = v ? json_get(v, "wall_s") : NULL;
    const struct json_value *ok = v ? json_get(v, "verified") : NULL;
    if (!w || w->type != JSON_NUMBER || !(w->number > 0)) {
        snprintf(why, whylen, "no wall_s in the record%s%s", v ? "" : ": ", v ? "" : perr);
    } else if (!ok || ok->type != JSON_BOOL || !ok->boolean) {
        snprintf(why, whylen, "the run was not verified");
    } else {
        const struct json_value *t = json_get(v, "tasks"), *cc = json_get(v, "concurrency");
        c->tasks = t && t->type == JSON_NUMBER ? (unsigned)t->number : 0;
        c->concurrency = cc && cc->type == JSON_NUMBER ? (unsigned)cc->number : 0;
        *wall = w->number;
        ret = 0;
    }
    json_free(v);
out:
    proc_free(&o);
    return ret;
}

/* A measured run, retried once when it fails (a shared machine has bad moments). */
static int measure(struct cell *c, int side)
{
    double wall;
    char why[256];
    int r = run_cell(c, side, &wall, why, sizeof why);
    if (r == -1 && !g_stop)
        r = run_cell(c, side, &wall, why, sizeof why);
    if (r != 0) {
        c->failed = true;
        snprintf(c->why, sizeof c->why, "%s side: %s", side ? "head" : "base", why);
        return -1;
    }
    c->samples[side][c->n[side]++] = wall;
    return 0;
}

/* Warm-up runs (not kept); a usage error (exit 2) means the binary does not support the cell. */
static void warm_up(int nsides)
{
    for (int k = 0; k < g.ncells; k++) {
        struct cell *c = &g.cells[k];
        for (int s = 2 - nsides; s < 2 && !c->skipped && !c->failed; s++)
            for (unsigned w = 0; w < (g.warmup ? g.warmup : 1) && !c->skipped && !c->failed; w++) {
                double wall;
                char why[256];
                int r = run_cell(c, s, &wall, why, sizeof why);
                if (r == 2) {
                    c->skipped = true;
                    snprintf(c->why, sizeof c->why, "%s binary refuses it (%s)",
                             s ? "head" : "base", why);
                } else if (r < 0 && (r = run_cell(c, s, &wall, why, sizeof why)) < 0) {
                    c->failed = true;
                    snprintf(c->why, sizeof c->why, "%s side: %s", s ? "head" : "base", why);
                }
            }
    }
}

static bool active(const struct cell *c)
{
    return !c->skipped && !c->failed;
}

static void alloc_samples(void)
{
    for (int k = 0; k < g.ncells; k++)
        for (int s = 0; s < 2; s++) {
            g.cells[k].samples[s] = calloc(g.runs, sizeof(double));
            if (!g.cells[k].samples[s])
                die_oom();
        }
}

static void progress(unsigned r)
{
    if (isatty(2))
        fprintf(stderr, "\rregress: run %u/%u", r, g.runs);
    if (isatty(2) && r == g.runs)
        fprintf(stderr, "\n");
}

/* R rounds; in each, every cell runs on both sides, base first in even rounds and head first
 * in odd ones: A B B A A B B A ... per cell, so a drift of the machine hits both sides alike. */
static void run_abba(void)
{
    for (unsigned r = 0; r < g.runs && !g_stop; r++) {
        for (int k = 0; k < g.ncells && !g_stop; k++) {
            struct cell *c = &g.cells[k];
            int first = r % 2 ? 1 : 0;
            if (active(c) && measure(c, first) == 0)
                measure(c, 1 - first);
        }
        progress(r + 1);
    }
}

/* ---- report ---- */

static void fmt_time(char *out, size_t len, double s)
{
    if (s >= 1)
        snprintf(out, len, "%.3f s", s);
    else if (s >= 1e-3)
        snprintf(out, len, "%.2f ms", s * 1e3);
    else
        snprintf(out, len, "%.1f µs", s * 1e6);
}

static void fmt_p(char *out, size_t len, double p)
{
    if (p < 1e-4)
        snprintf(out, len, "%.1e", p);
    else
        snprintf(out, len, "%.4f", p);
}

/* Compare every active cell; returns the number regressed. */
static int decide(int *improved, int *inconclusive, int *same)
{
    int regressed = 0;
    *improved = *inconclusive = *same = 0;
    for (int k = 0; k < g.ncells; k++) {
        struct cell *c = &g.cells[k];
        if (!active(c))
            continue;
        int err = compare_samples(c->samples[0], c->n[0], c->samples[1], c->n[1], g.alpha,
                                  c->threshold, g.seed, &c->res);
        if (err < 0) {
            c->failed = true;
            snprintf(c->why, sizeof c->why, "cannot compare: %s", strerror(-err));
            continue;
        }
        switch (c->res.verdict) {
        case VERDICT_REGRESSED: regressed++; break;
        case VERDICT_IMPROVED: (*improved)++; break;
        case VERDICT_INCONCLUSIVE: (*inconclusive)++; break;
        case VERDICT_NO_CHANGE: (*same)++; break;
        }
    }
    return regressed;
}

static void print_args(FILE *f, char *const *a, int n)
{
    for (int k = 0; k < n; k++)
        fprintf(f, "%s%s", k ? " " : "", a[k]);
}

/* The Markdown report: header, table, skipped and failed cells, summary line. The labels name
 * the two columns ("base", "head" or "baseline", "current"). */
static void write_table(FILE *f, const char *la, const char *lb, const char *unit_note)
{
    fprintf(f, "| cell | %s median | %s median | ratio | 95 %% CI | p | verdict |\n", la, lb);
    fprintf(f, "|---|---:|---:|---:|---|---:|---|\n");
    for (int k = 0; k < g.ncells; k++) {
        struct cell *c = &g.cells[k];
        if (!active(c))
            continue;
        char a[32], b[32], p[32];
        if (unit_note) {
            snprintf(a, sizeof a, "%.3f", c->res.base_median);
            snprintf(b, sizeof b, "%.3f", c->res.head_median);
        } else {
            fmt_time(a, sizeof a, c->res.base_median);
            fmt_time(b, sizeof b, c->res.head_median);
        }
        fmt_p(p, sizeof p, c->res.p);
        bool bad = c->res.verdict == VERDICT_REGRESSED;
        fprintf(f, "| %s | %s | %s | %.3f | [%.3f, %.3f] | %s | %s%s%s (T %.0f %%) |\n", c->name,
                a, b, c->res.ratio, c->res.lo, c->res.hi, p, bad ? "**" : "",
                compare_verdict_name(c->res.verdict), bad ? "**" : "", c->threshold * 100);
    }
    bool any = false;
    for (int k = 0; k < g.ncells; k++)
        if (g.cells[k].skipped) {
            if (!any)
                fprintf(f, "\nSkipped (not supported by both binaries):\n");
            any = true;
            fprintf(f, "- %s: %s\n", g.cells[k].name, g.cells[k].why);
        }
    any = false;
    for (int k = 0; k < g.ncells; k++)
        if (g.cells[k].failed) {
            if (!any)
                fprintf(f, "\nFailed (no verdict):\n");
            any = true;
            fprintf(f, "- %s: %s\n", g.cells[k].name, g.cells[k].why);
        }
}

static void write_gate_report(FILE *f, int regressed, int improved, int inconclusive, int same,
                              int code)
{
    fprintf(f, "### concbench regression gate\n\n");
    fprintf(f, "base `%.12s` against head %s; %u runs each, ABBA order; figure: in-process "
               "`wall_s`; Mann–Whitney U two-sided, alpha %g; bootstrap 95 %% CI of the ratio "
               "of medians head/base (%d resamples, seed 0x%llx); threshold T %.0f %% unless "
               "the row says otherwise.", g.base_sha, g.head_desc, g.runs, g.alpha,
            COMPARE_BOOT_RESAMPLES, (unsigned long long)g.seed, g.threshold * 100);
    if (g.side_nargs[0]) {
        fprintf(f, " Base args: `");
        print_args(f, g.side_args[0], g.side_nargs[0]);
        fprintf(f, "`.");
    }
    if (g.side_nargs[1]) {
        fprintf(f, " Head args: `");
        print_args(f, g.side_args[1], g.side_nargs[1]);
        fprintf(f, "`.");
    }
    fprintf(f, "\n\n");
    write_table(f, "base", "head", NULL);
    fprintf(f, "\n**%d regressed**, %d improved, %d no change, %d inconclusive → exit %d\n\n",
            regressed, improved, same, inconclusive, code);
}

/* regress.json: github-action-benchmark's customSmallerIsBetter (head medians). Written to a
 * temporary file and renamed, so a reader sees the old file or the new one. */
static int write_bench_json(const char *path)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "regress: cannot write %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    struct json_out j;
    json_init(&j, f);
    json_array_begin(&j);
    for (int k = 0; k < g.ncells; k++) {
        struct cell *c = &g.cells[k];
        if (!active(c))
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
    fputc('\n', f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "regress: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Print the report to stdout and append it to $GITHUB_STEP_SUMMARY when set. */
static void publish(void (*writer)(FILE *, int, int, int, int, int), int a, int b, int c, int d,
                    int code)
{
    writer(stdout, a, b, c, d, code);
    fflush(stdout);
    const char *summary = getenv("GITHUB_STEP_SUMMARY");
    if (summary && *summary) {
        FILE *f = fopen(summary, "a");
        if (f) {
            writer(f, a, b, c, d, code);
            fclose(f);
        } else {
            fprintf(stderr, "regress: cannot append to %s: %s\n", summary, strerror(errno));
        }
    }
}

/* ---- the baseline check ---- */

struct fingerprint {
    char cpu[256];
    unsigned cores;
};

static void machine_fingerprint(struct fingerprint *fp)
{
    snprintf(fp->cpu, sizeof fp->cpu, "unknown");
    fp->cores = online_cpus();
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        colon++;
        while (*colon == ' ' || *colon == '\t')
            colon++;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(fp->cpu, sizeof fp->cpu, "%s", colon);
        break;
    }
    fclose(f);
}

static struct cell *find_cell(const char *name)
{
    for (int k = 0; k < g.ncells; k++)
        if (strcmp(g.cells[k].name, name) == 0)
            return &g.cells[k];
    return NULL;
}

/* The theory-anchored figure of run i of cell c (higher is better, 1 is ideal): efficiency =
 * ideal / measured for I/O cells, parallel efficiency = speed-up over the reference / min(cores,
 * concurrency) for CPU cells. NaN for reference cells or when the reference is missing. */
static double figure(const struct cell *c, int side, unsigned i, unsigned cores)
{
    double wall = c->samples[side][i];
    if (strcmp(c->figure, "io") == 0) {
        unsigned conc = c->concurrency ? c->concurrency : 1;
        double ideal = ceil((double)c->tasks / conc) * c->task_s;
        return ideal / wall;
    }
    if (strcmp(c->figure, "cpu") == 0) {
        struct cell *ref = find_cell(c->ref);
        if (!ref || !active(ref) || ref->n[side] == 0)
            return NAN;
        double speedup = stats_median(ref->samples[side], ref->n[side]) / wall;
        unsigned conc = c->concurrency ? c->concurrency : 1;
        return speedup / (double)(conc < cores ? conc : cores);
    }
    return NAN;
}

/* Run the baseline profile's cells on one binary (side 1), R runs each, round-robin. */
static void run_plain(void)
{
    for (unsigned r = 0; r < g.runs && !g_stop; r++) {
        for (int k = 0; k < g.ncells && !g_stop; k++)
            if (active(&g.cells[k]))
                measure(&g.cells[k], 1);
        progress(r + 1);
    }
}

static int write_baseline_file(const char *path)
{
    struct fingerprint fp;
    machine_fingerprint(&fp);
    char tmp[4200], rev[64] = "";
    char *argv[] = { "git", "-C", g.top, "rev-parse", "HEAD", NULL };
    capture_line(rev, sizeof rev, argv);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "regress: cannot write %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    time_t now = time(NULL);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    struct json_out j;
    json_init(&j, f);
    json_object_begin(&j);
    json_key_uint(&j, "schema", 1);
    json_key_str(&j, "date", date);
    json_key_str(&j, "git_rev", rev);
    json_key_str(&j, "cpu_model", fp.cpu);
    json_key_uint(&j, "cores", fp.cores);
    json_key_uint(&j, "runs", g.runs);
    json_key(&j, "cells");
    json_array_begin(&j);
    for (int k = 0; k < g.ncells; k++) {
        struct cell *c = &g.cells[k];
        if (!active(c))
            continue;
        json_object_begin(&j);
        json_key_str(&j, "name", c->name);
        json_key_str(&j, "figure", c->figure);
        if (strcmp(c->figure, "io") == 0)
            json_key_double(&j, "task_s", c->task_s);
        if (strcmp(c->figure, "cpu") == 0)
            json_key_str(&j, "ref", c->ref);
        json_key(&j, "args");
        json_array_begin(&j);
        for (int a = 0; a < c->nargs; a++)
            json_str(&j, c->args[a]);
        json_array_end(&j);
        json_key_uint(&j, "tasks", c->tasks);
        json_key_uint(&j, "concurrency", c->concurrency);
        json_key(&j, "wall_s");
        json_array_begin(&j);
        for (unsigned i = 0; i < c->n[1]; i++)
            json_double(&j, c->samples[1][i]);
        json_array_end(&j);
        if (strcmp(c->figure, "ref") != 0) {
            json_key(&j, "efficiency");
            json_array_begin(&j);
            for (unsigned i = 0; i < c->n[1]; i++)
                json_double(&j, figure(c, 1, i, fp.cores));
            json_array_end(&j);
        }
        json_object_end(&j);
    }
    json_array_end(&j);
    json_object_end(&j);
    fputc('\n', f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "regress: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    printf("regress: wrote %s (%d cells, %u runs each, %s, %u cores)\n", path, g.ncells, g.runs,
           fp.cpu, fp.cores);
    for (int k = 0; k < g.ncells; k++) {
        struct cell *c = &g.cells[k];
        if (!active(c)) {
            printf("  %-28s %s: %s\n", c->name, c->skipped ? "skipped" : "failed", c->why);
            continue;
        }
        double eff[RG_MAX_RUNS];
        unsigned n = 0;
        for (unsigned i = 0; i < c->n[1]; i++)
            if (!isnan(eff[n] = figure(c, 1, i, fp.cores)))
                n++;
        char t[32];
        fmt_time(t, sizeof t, stats_median(c->samples[1], c->n[1]));
        if (n)
            printf("  %-28s median %-10s %s %.3f\n", c->name, t,
                   strcmp(c->figure, "io") == 0 ? "efficiency" : "parallel efficiency",
                   stats_median(eff, n));
        else
            printf("  %-28s median %s (reference)\n", c->name, t);
    }
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 0;
    char *b = NULL;
    *len = 0;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, len, &cap, chunk, n);
    fclose(f);
    return b ? b : xstrdup("");
}

/* The baseline's samples per cell: [0] of each cell, from the file. */
static int load_baseline(const char *path, struct json_value **root, struct fingerprint *fp)
{
    size_t len;
    char *text = read_file(path, &len), perr[128];
    if (!text) {
        fprintf(stderr, "regress: cannot read %s: %s\n", path, strerror(errno));
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
    snprintf(fp->cpu, sizeof fp->cpu, "%s", cpu && cpu->type == JSON_STRING ? cpu->string : "?");
    fp->cores = cores && cores->type == JSON_NUMBER ? (unsigned)cores->number : 0;
    for (size_t k = 0; k < cells->n && g.ncells < RG_MAX_CELLS; k++) {
        const struct json_value *e = &cells->items[k];
        const struct json_value *name = json_get(e, "name"), *fig = json_get(e, "figure");
        const struct json_value *args = json_get(e, "args"), *wall = json_get(e, "wall_s");
        if (!name || name->type != JSON_STRING || !fig || fig->type != JSON_STRING || !args ||
            args->type != JSON_ARRAY || !wall || wall->type != JSON_ARRAY || wall->n == 0 ||
            args->n > RG_MAX_ARGS) {
            fprintf(stderr, "regress: %s: cell %zu is malformed\n", path, k);
            json_free(v);
            return -1;
        }
        struct cell *c = &g.cells[g.ncells++];
        memset(c, 0, sizeof *c);
        snprintf(c->name, sizeof c->name, "%s", name->string);
        snprintf(c->figure, sizeof c->figure, "%s", fig->string);
        const struct json_value *ts = json_get(e, "task_s"), *ref = json_get(e, "ref");
        c->task_s = ts && ts->type == JSON_NUMBER ? ts->number : 0;
        if (ref && ref->type == JSON_STRING)
            snprintf(c->ref, sizeof c->ref, "%s", ref->string);
        for (size_t a = 0; a < args->n; a++)
            if (args->items[a].type == JSON_STRING)
                c->args[c->nargs++] = xstrdup(args->items[a].string);
        c->threshold = g.threshold;
        /* The baseline's runs go to side 0. */
        c->samples[0] = calloc(wall->n, sizeof(double));
        if (!c->samples[0])
            die_oom();
        for (size_t i = 0; i < wall->n; i++)
            if (wall->items[i].type == JSON_NUMBER)
                c->samples[0][c->n[0]++] = wall->items[i].number;
        c->samples[1] = calloc(g.runs, sizeof(double));
        if (!c->samples[1])
            die_oom();
    }
    *root = v;
    return 0;
}

/* Compare the figures of the current build against the baseline: a row a cell for the efficiency
 * (compared as its inverse, a cost: ratio > 1 is a loss of efficiency), and a row a cell for the
 * absolute time when the machine fingerprint matches. Returns the exit code. */
static int check_baseline(const struct fingerprint *base_fp, const struct json_value *root)
{
    struct fingerprint fp;
    machine_fingerprint(&fp);
    bool same_machine = strcmp(fp.cpu, base_fp->cpu) == 0 && fp.cores == base_fp->cores;
    const struct json_value *cells = json_get(root, "cells");
    int regressed = 0, improved = 0, inconclusive = 0, same = 0;
    struct cell rows[2 * RG_MAX_CELLS];
    int nrows = 0;

    for (int k = 0; k < g.ncells; k++) {
        struct cell *c = &g.cells[k];
        if (!active(c))
            continue;
        /* Efficiency rows: baseline figures from the file (recomputed from its samples with its
         * core count), current ones from this run. */
        if (strcmp(c->figure, "ref") != 0) {
            const struct json_value *eff = NULL;
            for (size_t e = 0; e < cells->n; e++) {
                const struct json_value *nm = json_get(&cells->items[e], "name");
                if (nm && nm->type == JSON_STRING && strcmp(nm->string, c->name) == 0)
                    eff = json_get(&cells->items[e], "efficiency");
            }
            double *cost[2] = { calloc(RG_MAX_RUNS, sizeof(double)),
                                calloc(RG_MAX_RUNS, sizeof(double)) };
            unsigned n[2] = { 0, 0 };
            if (!cost[0] || !cost[1])
                die_oom();
            for (size_t i = 0; eff && eff->type == JSON_ARRAY && i < eff->n && i < RG_MAX_RUNS; i++)
                if (eff->items[i].type == JSON_NUMBER && eff->items[i].number > 0)
                    cost[0][n[0]++] = 1 / eff->items[i].number;
            for (unsigned i = 0; i < c->n[1]; i++) {
                double fgr = figure(c, 1, i, fp.cores);
                if (fgr > 0)
                    cost[1][n[1]++] = 1 / fgr;
            }
            struct cell *row = &rows[nrows++];
            memset(row, 0, sizeof *row);
            snprintf(row->name, sizeof row->name, "%s (%s)", c->name,
                     strcmp(c->figure, "io") == 0 ? "efficiency" : "parallel eff.");
            row->threshold = c->threshold;
            if (!n[0] || !n[1] || compare_samples(cost[0], n[0], cost[1], n[1], g.alpha,
                                                  c->threshold, g.seed, &row->res) < 0) {
                row->failed = true;
                snprintf(row->why, sizeof row->why, "no efficiency figures to compare");
            } else {
                /* Show efficiencies (1 / cost) in the median columns. */
                row->res.base_median = 1 / row->res.base_median;
                row->res.head_median = 1 / row->res.head_median;
            }
            free(cost[0]);
            free(cost[1]);
        }
        if (same_machine) {
            struct cell *row = &rows[nrows++];
            memset(row, 0, sizeof *row);
            snprintf(row->name, sizeof row->name, "%s (time)", c->name);
            row->threshold = c->threshold;
            row->samples[0] = c->samples[0];
            row->samples[1] = c->samples[1];
            if (compare_samples(c->samples[0], c->n[0], c->samples[1], c->n[1], g.alpha,
                                c->threshold, g.seed, &row->res) < 0) {
                row->failed = true;
                snprintf(row->why, sizeof row->why, "cannot compare times");
            }
            row->figure[0] = 't';
        }
    }
    for (int k = 0; k < g.ncells; k++)
        if (!active(&g.cells[k]) && nrows < 2 * RG_MAX_CELLS) {
            rows[nrows] = g.cells[k];
            nrows++;
        }
    for (int k = 0; k < nrows; k++)
        if (active(&rows[k]))
            switch (rows[k].res.verdict) {
            case VERDICT_REGRESSED: regressed++; break;
            case VERDICT_IMPROVED: improved++; break;
            case VERDICT_INCONCLUSIVE: inconclusive++; break;
            case VERDICT_NO_CHANGE: same++; break;
            }
    int code = regressed ? RG_REGRESSED : RG_OK;

    /* Print: efficiency rows and time rows are both "medians" of their own unit. */
    FILE *outs[2] = { stdout, NULL };
    const char *summary = getenv("GITHUB_STEP_SUMMARY");
    if (summary && *summary)
        outs[1] = fopen(summary, "a");
    for (int o = 0; o < 2; o++) {
        FILE *f = outs[o];
        if (!f)
            continue;
        fprintf(f, "### concbench baseline check\n\n");
        fprintf(f, "Baseline %s against the current build; %u runs. Machine fingerprint %s "
                   "(baseline: %s, %u cores; here: %s, %u cores): %s.\n\n", g.baseline, g.runs,
                same_machine ? "matches" : "differs", base_fp->cpu, base_fp->cores, fp.cpu,
                fp.cores, same_machine ? "efficiency figures and absolute times compared"
                                       : "efficiency figures only, absolute times not compared");
        fprintf(f, "Efficiency rows: medians are efficiencies (1 = the theory's ideal); the "
                   "ratio is baseline/current efficiency (above 1: less efficient now). Time "
                   "rows: current/baseline time.\n\n");
        fprintf(f, "| cell | baseline median | current median | ratio | 95 %% CI | p | verdict |\n");
        fprintf(f, "|---|---:|---:|---:|---|---:|---|\n");
        for (int k = 0; k < nrows; k++) {
            struct cell *c = &rows[k];
            if (!active(c))
                continue;
            char a[32], b[32], p[32];
            if (c->figure[0] == 't') {
                fmt_time(a, sizeof a, c->res.base_median);
                fmt_time(b, sizeof b, c->res.head_median);
            } else {
                snprintf(a, sizeof a, "%.3f", c->res.base_median);
                snprintf(b, sizeof b, "%.3f", c->res.head_median);
            }
            fmt_p(p, sizeof p, c->res.p);
            bool bad = c->res.verdict == VERDICT_REGRESSED;
            fprintf(f, "| %s | %s | %s | %.3f | [%.3f, %.3f] | %s | %s%s%s (T %.0f %%) |\n",
                    c->name, a, b, c->res.ratio, c->res.lo, c->res.hi, p, bad ? "**" : "",
                    compare_verdict_name(c->res.verdict), bad ? "**" : "", c->threshold * 100);
        }
        for (int k = 0; k < nrows; k++)
            if (!active(&rows[k]))
                fprintf(f, "- %s: %s: %s\n", rows[k].name,
                        rows[k].skipped ? "skipped" : "failed", rows[k].why);
        fprintf(f, "\n**%d regressed**, %d improved, %d no change, %d inconclusive → exit %d\n\n",
                regressed, improved, same, inconclusive, code);
        if (o == 1)
            fclose(f);
    }
    return code;
}

/* ---- main ---- */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: ci/regress [--base REV] [--head REV] [--runs R] [--alpha A] [--threshold T]\n"
        "                  [--head-args \"...\"] [--base-args \"...\"] [--profile FILE]\n"
        "                  [--thresholds FILE] [--output FILE] [--seed N] [--keep]\n"
        "       ci/regress --baseline FILE [--bin PATH] [--runs R] ...\n"
        "       ci/regress --write-baseline FILE [--bin PATH] [--runs R] ...\n\n"
        "Builds REV (default: the merge-base with main, or HEAD~1 on main) in a temporary git\n"
        "worktree and the working tree (or --head REV) into two binaries, runs the profile's\n"
        "cells alternating them (ABBA) R times each (default 20), and judges each cell's\n"
        "in-process wall_s: ratio of medians head/base, bootstrap 95 %% CI (10000 resamples,\n"
        "fixed seed), two-sided Mann-Whitney p. Regressed: p < A (0.01) and CI low > 1 + T\n"
        "(0.10); improved: p < A and CI high < 1 - T; no change: CI inside [1-T, 1+T];\n"
        "otherwise inconclusive. Prints a Markdown table (also to $GITHUB_STEP_SUMMARY),\n"
        "writes regress.json (github-action-benchmark customSmallerIsBetter).\n\n"
        "  --profile FILE      cells, 'NAME RUN-ARGS...' a line (default ci/profile)\n"
        "  --thresholds FILE   per-cell T, 'NAME T' a line (default ci/thresholds.conf)\n"
        "  --head-args/--base-args \"...\"  extra run arguments for one side, split on blanks\n"
        "                      (calibration: --head-args \"--inject-overhead-pct 25\")\n"
        "  --baseline FILE     check the current build's theory-anchored figures (efficiency)\n"
        "                      against a committed baseline (results/baseline.json)\n"
        "  --write-baseline FILE  measure the baseline profile (ci/baseline-profile), write FILE\n"
        "  --bin PATH          baseline modes: check this binary instead of building one\n"
        "  --warmup N          unmeasured runs per cell and side first (default 1)\n"
        "  --keep              keep the temporary directory\n\n"
        "exit codes: 0 no cell regressed, 1 a cell regressed, 2 could not run (with the reason)\n");
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > lo && v < hi))
        return false;
    *out = v;
    return true;
}

static bool parse_unsigned(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return false;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = (unsigned)v;
    return true;
}

enum { O_BASE = 1000, O_HEAD, O_RUNS, O_ALPHA, O_THRESHOLD, O_HEAD_ARGS, O_BASE_ARGS, O_PROFILE,
       O_THRESHOLDS, O_OUTPUT, O_SEED, O_BASELINE, O_WRITE_BASELINE, O_BIN, O_KEEP, O_WARMUP };

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
    { "keep", no_argument, NULL, O_KEEP },
    { "warmup", required_argument, NULL, O_WARMUP },
    { "help", no_argument, NULL, 'h' },
    { 0 },
};

static int parse_args(int argc, char **argv)
{
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case O_BASE: g.base_rev = optarg; break;
        case O_HEAD: g.head_rev = optarg; break;
        case O_RUNS:
            if (!parse_unsigned(optarg, 3, RG_MAX_RUNS, &g.runs))
                return fprintf(stderr, "regress: bad --runs '%s': 3 to %d\n", optarg,
                               RG_MAX_RUNS), -1;
            break;
        case O_WARMUP:
            if (!parse_unsigned(optarg, 0, 100, &g.warmup))
                return fprintf(stderr, "regress: bad --warmup '%s': 0 to 100\n", optarg), -1;
            break;
        case O_ALPHA:
            if (!parse_double(optarg, 0, 1, &g.alpha))
                return fprintf(stderr, "regress: bad --alpha '%s': 0 < A < 1\n", optarg), -1;
            break;
        case O_THRESHOLD:
            if (!parse_double(optarg, 0, 1, &g.threshold))
                return fprintf(stderr, "regress: bad --threshold '%s': 0 < T < 1\n", optarg), -1;
            break;
        case O_HEAD_ARGS:
        case O_BASE_ARGS: {
            int side = c == O_HEAD_ARGS ? 1 : 0;
            int n = split_words(xstrdup(optarg), g.side_args[side], RG_MAX_ARGS);
            if (n < 0)
                return fprintf(stderr, "regress: too many words in %s\n", argv[optind - 2]), -1;
            g.side_nargs[side] = n;
            break;
        }
        case O_PROFILE: g.profile = optarg; break;
        case O_THRESHOLDS: g.thresholds = optarg; break;
        case O_OUTPUT: g.output = optarg; break;
        case O_SEED: {
            char *end;
            errno = 0;
            g.seed = strtoull(optarg, &end, 0);
            if (errno || *end || end == optarg)
                return fprintf(stderr, "regress: bad --seed '%s'\n", optarg), -1;
            break;
        }
        case O_BASELINE: g.baseline = optarg; break;
        case O_WRITE_BASELINE: g.write_baseline = optarg; break;
        case O_BIN: g.bin = optarg; break;
        case O_KEEP: g.keep = true; break;
        case 'h': usage(stdout); exit(0);
        case ':':
            return fprintf(stderr, "regress: option '%s' needs a value\n", argv[optind - 1]), -1;
        default:
            return fprintf(stderr, "regress: unknown option '%s'\n", argv[optind - 1]), -1;
        }
    }
    if (optind < argc)
        return fprintf(stderr, "regress: unexpected argument '%s'\n", argv[optind]), -1;
    if (g.baseline && g.write_baseline)
        return fprintf(stderr, "regress: --baseline and --write-baseline exclude each other\n"),
               -1;
    return 0;
}

static int make_tmp(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(g.tmp, sizeof g.tmp, "%s/concbench-regress.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(g.tmp)) {
        int e = errno;
        g.tmp[0] = '\0';
        fprintf(stderr, "regress: cannot create a temporary directory: %s\n", strerror(e));
        return -1;
    }
    return 0;
}

/* Baseline modes: one binary (--bin, or the working tree built into the temporary dir). */
static int baseline_main(void)
{
    struct json_value *root = NULL;
    struct fingerprint base_fp;
    if (g.bin) {
        snprintf(g.bins[1], sizeof g.bins[1], "%s", g.bin);
    } else if (build(g.top, "current", g.bins[1], sizeof g.bins[1]) < 0) {
        return cannot("the current tree does not build");
    }
    if (g.write_baseline) {
        char path[4200];
        snprintf(path, sizeof path, "%s/ci/baseline-profile", g.top);
        if (load_profile(g.profile ? g.profile : path, true) < 0)
            return cannot("bad baseline profile");
        for (int k = 0; k < g.ncells; k++) {
            g.cells[k].samples[1] = calloc(g.runs, sizeof(double));
            if (!g.cells[k].samples[1])
                die_oom();
        }
    } else if (load_baseline(g.baseline, &root, &base_fp) < 0) {
        return cannot("bad baseline file %s", g.baseline);
    }
    struct names n;
    if (list_names(g.bins[1], &n) < 0)
        return cannot("%s list failed", g.bins[1]);
    check_support(&n, "current");
    warm_up(1);
    run_plain();
    if (g_stop) {
        json_free(root);
        return cannot("interrupted");
    }
    int code;
    if (g.write_baseline)
        code = write_baseline_file(g.write_baseline) < 0 ? RG_CANNOT : RG_OK;
    else
        code = check_baseline(&base_fp, root);
    json_free(root);
    cleanup();
    return code;
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) < 0) {
        fprintf(stderr, "regress: try --help\n");
        return RG_CANNOT;
    }
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char *top[] = { "git", "rev-parse", "--show-toplevel", NULL };
    if (!capture_line(g.top, sizeof g.top, top) || !g.top[0])
        return cannot("not inside a git repository");
    if (make_tmp() < 0)
        return cannot("no temporary directory");
    if (g.baseline || g.write_baseline)
        return baseline_main();

    /* Which revisions. */
    char desc[128] = "";
    if (g.base_rev) {
        if (!resolve(g.base_rev, g.base_sha, sizeof g.base_sha))
            return cannot("git does not know the base revision '%s'", g.base_rev);
        snprintf(desc, sizeof desc, "%s", g.base_rev);
    } else {
        int r = default_base(g.base_sha, sizeof g.base_sha, desc, sizeof desc);
        if (r == -1)
            return cannot("no HEAD commit");
        if (r == -2)
            return cannot("HEAD has no parent to compare with; pass --base HEAD for an A/A run");
    }
    char head_sha[64] = "";
    if (g.head_rev && !resolve(g.head_rev, head_sha, sizeof head_sha))
        return cannot("git does not know the head revision '%s'", g.head_rev);
    if (g.head_rev)
        snprintf(g.head_desc, sizeof g.head_desc, "`%.12s` (%s)", head_sha, g.head_rev);
    else
        snprintf(g.head_desc, sizeof g.head_desc, "the working tree");
    fprintf(stderr, "regress: base %.12s (%s), head %s\n", g.base_sha, desc, g.head_desc);

    char path[4200];
    snprintf(path, sizeof path, "%s/ci/profile", g.top);
    if (load_profile(g.profile ? g.profile : path, false) < 0)
        return cannot("bad profile");
    snprintf(path, sizeof path, "%s/ci/thresholds.conf", g.top);
    if (load_thresholds(g.thresholds ? g.thresholds : path, g.thresholds != NULL) < 0)
        return cannot("bad thresholds file");

    /* Two binaries. */
    double t0 = (double)time(NULL);
    if (build_rev(0, g.base_sha, "base") < 0)
        return cannot("the base revision %.12s does not build", g.base_sha);
    if (g.head_rev ? build_rev(1, head_sha, "head") < 0 : build(g.top, "head", g.bins[1],
                                                                sizeof g.bins[1]) < 0)
        return cannot("the head does not build");

    struct names nb, nh;
    if (list_names(g.bins[0], &nb) < 0 || list_names(g.bins[1], &nh) < 0)
        return cannot("'concbench list' failed on a binary");
    check_support(&nb, "base");
    check_support(&nh, "head");
    alloc_samples();
    warm_up(2);
    run_abba();
    if (g_stop)
        return cannot("interrupted by signal %d", (int)g_stop);

    int improved, inconclusive, same;
    int regressed = decide(&improved, &inconclusive, &same);
    int measured = regressed + improved + inconclusive + same;
    int code = regressed ? RG_REGRESSED : measured == 0 ? RG_CANNOT : RG_OK;
    for (int k = 0; k < g.ncells && code == RG_OK; k++)
        if (g.cells[k].failed)
            code = RG_CANNOT;
    publish(write_gate_report, regressed, improved, inconclusive, same, code);
    if (write_bench_json(g.output) < 0 && code == RG_OK)
        code = RG_CANNOT;
    fprintf(stderr, "regress: %.0f s in all; %s\n", (double)time(NULL) - t0,
            code == RG_REGRESSED ? "a cell regressed"
            : code == RG_OK ? "no cell regressed"
            : measured == 0 ? "no cell could be measured" : "a cell failed to run");
    cleanup();
    return code;
}
