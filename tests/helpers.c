/* helpers.c — run the binary under test and read what it printed. */
#include "tests/helpers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
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
    return cb_runv_signal(o, argv, 0, 0, NULL);
}

int cb_runv_signal(struct cb_out *o, char *const argv[], double after, int sig, double *exit_after)
{
    return cb_runv_signals(o, argv, after, sig, 1, 0, exit_after);
}

int cb_runv_signals(struct cb_out *o, char *const argv[], double after, int sig, int times,
                    double gap, double *exit_after)
{
    int po[2], pe[2];
    memset(o, 0, sizeof *o);
    /* Orphans of the binary become our children, so cb_count_children sees them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    assert_int_equal(pipe2(po, O_CLOEXEC), 0);
    assert_int_equal(pipe2(pe, O_CLOEXEC), 0);
    double t0 = clock_now();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    size_t ol = 0, oc = 0, el = 0, ec = 0;
    append(&o->out, &ol, &oc, "", 0);
    append(&o->err, &el, &ec, "", 0);
    struct pollfd fds[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
    int open_fds = 2;
    double sent = 0;
    int sent_times = 0;
    while (open_fds > 0) {
        int wait_ms = -1;
        if (sig && sent_times < times) {
            double left = t0 + after + gap * sent_times - clock_now();
            if (left <= 0) {
                kill(pid, sig);
                if (!sent_times++)
                    sent = clock_now();
                continue;
            }
            wait_ms = (int)(left * 1000) + 1;
        }
        if (poll(fds, 2, wait_ms) < 0 && errno == EINTR)
            continue;
        for (int k = 0; k < 2; k++) {
            if (fds[k].fd < 0 || !fds[k].revents)
                continue;
            char buf[65536];
            ssize_t n = read(fds[k].fd, buf, sizeof buf);
            if (n <= 0) {
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
