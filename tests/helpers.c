/* helpers.c — run the binary under test and read what it printed; the tests' shared fixtures. */
#include "tests/helpers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/clock.h"

const char *cb_path(void)
{
    const char *p = getenv("CONCBENCH");
    return p && *p ? p : "bin/concbench";
}

static void append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = realloc(*buf, *cap);
        assert_non_null(*buf);
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

int cb_runv(struct cb_out *o, char *const argv[])
{
    return cb_runv_plan(o, argv, NULL, NULL);
}

int cb_runv_signal(struct cb_out *o, char *const argv[], double after, int sig, double *exit_after)
{
    return cb_runv_signals(o, argv, after, sig, 1, 0, exit_after);
}

int cb_runv_signals(struct cb_out *o, char *const argv[], double after, int sig, int times,
                    double gap, double *exit_after)
{
    struct cb_signal plan = { .sig = sig, .times = times, .gap = gap, .after = after };
    return cb_runv_plan(o, argv, &plan, exit_after);
}

#define CB_READY_WAIT_S 30.0

int cb_runv_plan(struct cb_out *o, char *const argv[], const struct cb_signal *plan,
                 double *exit_after)
{
    int po[2], pe[2], pr[2] = { -1, -1 };
    struct cb_signal none = { 0 };
    if (!plan)
        plan = &none;
    int times = plan->times > 0 ? plan->times : 1;
    memset(o, 0, sizeof *o);
    o->ready_s = -1;
    /* Orphans of the binary become our children, so cb_count_children sees them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    assert_int_equal(pipe2(po, O_CLOEXEC), 0);
    assert_int_equal(pipe2(pe, O_CLOEXEC), 0);
    char *args[80], fdarg[16];
    char *const *av = argv;
    if (plan->sig && plan->on_ready) {
        int n = 0;
        assert_int_equal(pipe2(pr, O_CLOEXEC), 0);
        while (argv[n] && n < 76) {
            args[n] = argv[n];
            n++;
        }
        snprintf(fdarg, sizeof fdarg, "%d", pr[1]);
        args[n++] = "--ready-fd";
        args[n++] = fdarg;
        args[n] = NULL;
        av = args;
    }
    double t0 = clock_now();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        if (pr[1] >= 0)
            fcntl(pr[1], F_SETFD, 0);       /* the ready pipe stays open across exec */
        execv(av[0], av);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    if (pr[1] >= 0)
        close(pr[1]);
    size_t ol = 0, oc = 0, el = 0, ec = 0;
    append(&o->out, &ol, &oc, "", 0);
    append(&o->err, &el, &ec, "", 0);
    struct pollfd fds[3] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 }, { pr[0], POLLIN, 0 } };
    int open_fds = 2;
    double sent = 0, base = plan->on_ready ? -1 : t0;   /* the clock `after` counts from */
    int sent_times = 0;
    while (open_fds > 0) {
        int wait_ms = -1;
        if (plan->sig && sent_times < times) {
            if (base < 0 && (fds[2].fd < 0 || clock_now() - t0 > CB_READY_WAIT_S))
                base = clock_now();         /* no ready byte: signal anyway, ready_s -1 */
            double left = base < 0 ? t0 + CB_READY_WAIT_S - clock_now() + 0.01
                                   : base + plan->after + plan->gap * sent_times - clock_now();
            if (base >= 0 && left <= 0) {
                pid_t to = plan->target ? plan->target(pid, plan->target_arg) : pid;
                if (to <= 0 && clock_now() - base < plan->after + 10.0) {
                    wait_ms = 5;                /* no target yet: ask again soon */
                    goto wait;
                }
                if (to > 0) {
                    kill(to, plan->sig);
                    if (!o->signalled)
                        o->signalled = to;
                }
                if (!sent_times++)
                    sent = clock_now();
                continue;
            }
            wait_ms = (int)(left * 1000) + 1;
        }
    wait:
        if (poll(fds, 3, wait_ms) < 0 && errno == EINTR)
            continue;
        for (int k = 0; k < 3; k++) {
            if (fds[k].fd < 0 || !fds[k].revents)
                continue;
            char buf[65536];
            ssize_t n = read(fds[k].fd, buf, sizeof buf);
            if (k == 2) {
                if (n > 0 && base < 0) {
                    base = clock_now();
                    o->ready_s = base - t0;
                }
                if (n <= 0) {
                    close(fds[k].fd);
                    fds[k].fd = -1;
                }
            } else if (n <= 0) {
                close(fds[k].fd);
                fds[k].fd = -1;
                open_fds--;
            } else if (k == 0) {
                append(&o->out, &ol, &oc, buf, (size_t)n);
            } else {
                append(&o->err, &el, &ec, buf, (size_t)n);
            }
        }
    }
    if (fds[2].fd >= 0)
        close(fds[2].fd);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    o->seconds = clock_now() - t0;
    if (exit_after)
        *exit_after = sent ? clock_now() - sent : -1;
    o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return o->status;
}

int cb_run(struct cb_out *o, const char *arg, ...)
{
    char *argv[64];
    int n = 0;
    va_list ap;
    argv[n++] = (char *)cb_path();
    va_start(ap, arg);
    for (const char *a = arg; a && n < 63; a = va_arg(ap, const char *))
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    return cb_runv(o, argv);
}

void cb_out_free(struct cb_out *o)
{
    free(o->out);
    free(o->err);
    o->out = o->err = NULL;
}

void cb_fuzz_dir(const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s", __FILE__);
    char *slash = strrchr(out, '/');
    if (slash)
        snprintf(slash + 1, len - (size_t)(slash + 1 - out), "fuzz/%s", name);
    else
        snprintf(out, len, "fuzz/%s", name);
}

struct json_value *cb_json(const struct cb_out *o)
{
    char err[128];
    struct json_value *v = json_parse(o->out, strlen(o->out), err, sizeof err);
    if (!v)
        fail_msg("output is not JSON (%s): %.300s\nstderr: %.300s", err, o->out, o->err);
    assert_int_equal(v->type, JSON_OBJECT);
    return v;
}

double jnum(const struct json_value *v, const char *key)
{
    const struct json_value *m = json_get(v, key);
    if (!m || m->type != JSON_NUMBER)
        fail_msg("no number '%s' in the record", key);
    return m->number;
}

const char *jstr(const struct json_value *v, const char *key)
{
    const struct json_value *m = json_get(v, key);
    if (!m || m->type != JSON_STRING)
        fail_msg("no string '%s' in the record", key);
    return m->string;
}

int jbool(const struct json_value *v, const char *key)
{
    const struct json_value *m = json_get(v, key);
    if (!m || m->type != JSON_BOOL)
        fail_msg("no bool '%s' in the record", key);
    return m->boolean;
}

/* Children of this process in /proc: live ones counted, zombies reaped (a zombie here is an
 * orphan of the binary that has already ended). */
static int count_live_children(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    pid_t me = getpid();
    assert_non_null(d);
    while ((e = readdir(d))) {
        char path[300], buf[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(buf, sizeof buf, f)) {
            char *rp = strrchr(buf, ')');
            int ppid = 0;
            char state;
            if (rp && sscanf(rp + 2, "%c %d", &state, &ppid) == 2 && ppid == me && state != 'Z')
                n++;
        }
        fclose(f);
    }
    closedir(d);
    int st;
    while (waitpid(-1, &st, WNOHANG) > 0)
        ;
    return n;
}

int cb_count_children(void)
{
    /* A child SIGKILLed as its parent exits needs a moment to die: look again for up to 1 s. */
    int n = count_live_children();
    for (int k = 0; k < 100 && n > 0; k++) {
        usleep(10000);
        n = count_live_children();
    }
    return n;
}

struct json_value *cb_run_json_v(struct cb_out *o, int want_exit, const char *const *args)
{
    char *argv[64];
    int n = 0;
    struct cb_out own;
    if (!o)
        o = &own;
    argv[n++] = (char *)cb_path();
    while (*args && n < 63)
        argv[n++] = (char *)*args++;
    argv[n] = NULL;
    cb_runv(o, argv);
    if (want_exit >= 0 && o->status != want_exit) {
        char cmd[1024];
        size_t len = 0;
        cmd[0] = '\0';
        for (int k = 1; k < n && len < sizeof cmd; k++)
            len += (size_t)snprintf(cmd + len, sizeof cmd - len, " %s", argv[k]);
        fail_msg("concbench%s: exit %d, expected %d; stderr: %.500s\nstdout: %.300s", cmd,
                 o->status, want_exit, o->err, o->out);
    }
    struct json_value *v = cb_json(o);
    if (o == &own)
        cb_out_free(o);
    return v;
}

unsigned cb_list(const char *section, char names[][CB_NAME_MAX], unsigned max)
{
    struct cb_out o;
    char head[64];
    unsigned n = 0;
    assert_int_equal(cb_run(&o, "list", NULL), 0);
    snprintf(head, sizeof head, "%s:\n", section);
    const char *p = strstr(o.out, head);
    if (!p)
        fail_msg("no '%s' section in `concbench list`: %s", section, o.out);
    p += strlen(head);
    /* The section's lines are indented; the next section's heading is not. */
    while (*p == ' ' && n < max) {
        char fmt[16];
        snprintf(fmt, sizeof fmt, " %%%ds", CB_NAME_MAX - 1);
        if (sscanf(p, fmt, names[n]) == 1)
            n++;
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    cb_out_free(&o);
    assert_true(n >= 1);
    return n;
}

void cb_nap(double seconds)
{
    struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void cb_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    chmod(path, 0700);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char sub[4096];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        cb_rm_rf(sub);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

bool cb_timing(void)
{
    const char *s = getenv("CONCBENCH_SANITIZER");
    return !(s && *s && strcmp(s, "0") != 0);
}

/* cb_max_overlap: a sweep over the start (+1) and end (-1) edges. */
struct edge {
    double t;
    int d;
};

static int edge_cmp(const void *x, const void *y)
{
    const struct edge *a = x, *b = y;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->d - b->d;         /* ends (-1) before starts (+1) */
}

unsigned cb_max_overlap(const struct json_value *v)
{
    const struct json_value *ts = json_get(v, "task_start_s"), *te = json_get(v, "task_end_s");
    assert_non_null(ts);
    assert_non_null(te);
    assert_int_equal(ts->n, te->n);
    struct edge *e = calloc(2 * ts->n + 1, sizeof *e);
    size_t n = 0;
    assert_non_null(e);
    for (size_t i = 0; i < ts->n; i++) {
        if (ts->items[i].type != JSON_NUMBER || te->items[i].type != JSON_NUMBER)
            continue;
        assert_true(te->items[i].number >= ts->items[i].number);
        e[n++] = (struct edge){ ts->items[i].number, +1 };
        e[n++] = (struct edge){ te->items[i].number, -1 };
    }
    qsort(e, n, sizeof *e, edge_cmp);
    int cur = 0, max = 0;
    for (size_t k = 0; k < n; k++) {
        cur += e[k].d;
        if (cur > max)
            max = cur;
    }
    free(e);
    return (unsigned)max;
}
