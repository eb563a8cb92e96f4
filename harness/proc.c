/* proc.c — the one child-process runner: no shell, its own process group, output captured,
 * killed with its whole group on a time limit or when the stop event is set. */
#include "harness/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/signals.h"
#include "runtime/clock.h"
#include "runtime/event.h"

#define ERR_CAP (64 * 1024)     /* stderr kept per child */
#define KILL_GRACE_S 1.0        /* SIGTERM, then SIGKILL this much later */

struct buf {
    char *p;
    size_t len, cap, limit;     /* limit 0: none */
};

static int buf_add(struct buf *b, const char *data, size_t n)
{
    if (b->limit && b->len + n > b->limit)
        n = b->limit > b->len ? b->limit - b->len : 0;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -ENOMEM;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

/* Read what is available on *fd into b; closes it at end of file. */
static void pump(int *fd, struct buf *b)
{
    char chunk[65536];
    for (;;) {
        ssize_t n = read(*fd, chunk, sizeof chunk);
        if (n > 0) {
            if (b)
                buf_add(b, chunk, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        close(*fd);
        *fd = -1;
        return;
    }
}

static void child_exec(char *const argv[], const struct proc_opts *o, int out_fd, int err_fd)
{
    sigset_t none;
    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(out_fd >= 0 ? out_fd : devnull, 1);
    dup2(err_fd, 2);
    if (o->cwd && chdir(o->cwd) < 0) {
        char msg[300];
        int n = snprintf(msg, sizeof msg, "cannot enter %s: %s\n", o->cwd, strerror(errno));
        ssize_t w = write(2, msg, (size_t)n);
        (void)w;
        _exit(127);
    }
    if (o->search)
        execvp(argv[0], argv);
    else
        execv(argv[0], argv);
    char msg[300];
    int n = snprintf(msg, sizeof msg, "cannot run %s: %s\n", argv[0], strerror(errno));
    ssize_t w = write(2, msg, (size_t)n);
    (void)w;
    _exit(127);
}

int proc_run(char *const argv[], const struct proc_opts *o, struct proc_child *c)
{
    int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, logfd = -1;
    struct buf out = { 0 }, err = { .limit = ERR_CAP };
    bool capture_out = o->capture_out && !o->log_path;
    int e;

    memset(c, 0, sizeof *c);
    if (o->log_path) {
        logfd = open(o->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (logfd < 0)
            return -errno;
    } else if ((capture_out && pipe2(po, O_CLOEXEC) < 0) || pipe2(pe, O_CLOEXEC) < 0) {
        e = -errno;
        if (po[0] >= 0) {
            close(po[0]);
            close(po[1]);
        }
        return e;
    }
    double t0 = clock_now();
    pid_t pid = fork();
    if (pid < 0) {
        e = -errno;
        if (po[0] >= 0) {
            close(po[0]);
            close(po[1]);
        }
        if (pe[0] >= 0) {
            close(pe[0]);
            close(pe[1]);
        }
        if (logfd >= 0)
            close(logfd);
        return e;
    }
    if (pid == 0)
        child_exec(argv, o, logfd >= 0 ? logfd : po[1], logfd >= 0 ? logfd : pe[1]);
    setpgid(pid, pid);                  /* also in the parent: no race with kill(-pid) */
    if (logfd >= 0)
        close(logfd);
    if (po[1] >= 0)
        close(po[1]);
    if (pe[1] >= 0)
        close(pe[1]);
    if (po[0] >= 0)
        fcntl(po[0], F_SETFL, O_NONBLOCK);
    if (pe[0] >= 0)
        fcntl(pe[0], F_SETFL, O_NONBLOCK);
    /* The child's end wakes the wait through a pidfd; without one, the wait polls. */
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

    double deadline = o->timeout_s > 0 ? t0 + o->timeout_s : 0, kill_at = 0;
    bool termed = false, killed = false;
    siginfo_t si;
    for (;;) {
        double now = clock_now();
        bool stop = event_is_set(o->stop);
        if (!termed && (stop || (deadline && now >= deadline))) {
            if (stop)
                c->interrupted = true;
            else
                c->timed_out = true;
            kill(-pid, SIGTERM);
            termed = true;
            kill_at = now + KILL_GRACE_S;
        }
        if (termed && !killed && (now >= kill_at || sigwatch_count() >= 2)) {
            kill(-pid, SIGKILL);
            killed = true;
        }

        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
            break;

        struct pollfd fds[4];
        int nf = 0;
        if (pidfd >= 0)
            fds[nf++] = (struct pollfd){ pidfd, POLLIN, 0 };
        if (o->stop && !termed)
            fds[nf++] = (struct pollfd){ event_fd(o->stop), POLLIN, 0 };
        if (po[0] >= 0)
            fds[nf++] = (struct pollfd){ po[0], POLLIN, 0 };
        if (pe[0] >= 0)
            fds[nf++] = (struct pollfd){ pe[0], POLLIN, 0 };
        /* Wake at least every 100 ms: a second signal, or no pidfd. */
        double wait = 0.1;
        if (!termed && deadline && deadline - now < wait)
            wait = deadline - now;
        if (termed && !killed && kill_at - now < wait)
            wait = kill_at - now;
        int ms = wait > 0 ? (int)(wait * 1000) + 1 : 0;
        if (poll(fds, (nfds_t)nf, ms) < 0 && errno != EINTR)
            break;
        if (po[0] >= 0)
            pump(&po[0], &out);
        if (pe[0] >= 0)
            pump(&pe[0], &err);
    }
    if (pidfd >= 0)
        close(pidfd);
    /* Whatever it wrote before it ended is in the pipes (or held open by a leftover
     * grandchild, which the kill below ends). */
    kill(-pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    c->elapsed_s = clock_now() - t0;
    if (po[0] >= 0)
        pump(&po[0], &out);
    if (pe[0] >= 0)
        pump(&pe[0], &err);
    /* A grandchild may have kept a pipe open a moment longer; it is dead now. */
    for (int tries = 0; tries < 50 && (po[0] >= 0 || pe[0] >= 0); tries++) {
        struct pollfd fds[2];
        int nf = 0;
        if (po[0] >= 0)
            fds[nf++] = (struct pollfd){ po[0], POLLIN, 0 };
        if (pe[0] >= 0)
            fds[nf++] = (struct pollfd){ pe[0], POLLIN, 0 };
        poll(fds, (nfds_t)nf, 20);
        if (po[0] >= 0)
            pump(&po[0], &out);
        if (pe[0] >= 0)
            pump(&pe[0], &err);
    }
    if (po[0] >= 0)
        close(po[0]);
    if (pe[0] >= 0)
        close(pe[0]);

    if (WIFEXITED(st)) {
        c->exit_code = WEXITSTATUS(st);
    } else {
        c->term_signal = WTERMSIG(st);
        c->exit_code = 128 + c->term_signal;
    }
    if (capture_out && !out.p)
        buf_add(&out, "", 0);
    if (!err.p)
        buf_add(&err, "", 0);
    c->out = out.p;
    c->out_len = out.len;
    c->err = err.p;
    c->err_len = err.len;
    return 0;
}

void proc_child_free(struct proc_child *c)
{
    free(c->out);
    free(c->err);
    c->out = c->err = NULL;
}

const char *proc_first_line(char *const argv[], char *buf, size_t len)
{
    struct proc_child c;
    struct proc_opts o = { .search = true, .capture_out = true, .timeout_s = 10 };
    buf[0] = '\0';
    if (proc_run(argv, &o, &c) < 0)
        return buf;
    if (c.exit_code == 0) {
        const char *src = c.out && c.out[0] ? c.out : c.err;
        size_t n = strcspn(src, "\n");
        if (n >= len)
            n = len - 1;
        memcpy(buf, src, n);
        buf[n] = '\0';
    }
    proc_child_free(&c);
    return buf;
}
