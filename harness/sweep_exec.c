/* sweep_exec.c — the sweep's child processes: started without a shell in their own process
 * group, output captured, killed with their whole group on a time limit or Ctrl-C. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/sweep.h"
#include "runtime/clock.h"

#define ERR_CAP (64 * 1024)     /* stderr kept per child */
#define KILL_GRACE_S 1.0        /* SIGTERM, then SIGKILL this much later */

static int wake_pipe[2] = { -1, -1 };
static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t stop_count;   /* a second Ctrl-C: no grace period */

static void on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGINT || sig == SIGTERM) {
        if (!stop_signal)
            stop_signal = sig;
        stop_count++;
    }
    if (wake_pipe[1] >= 0) {
        ssize_t n = write(wake_pipe[1], "", 1);
        (void)n;
    }
    errno = saved;
}

int sweep_signals_install(void)
{
    struct sigaction sa;
    if (wake_pipe[0] < 0 && pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return -errno;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;                    /* no SA_RESTART: poll returns EINTR */
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
        sigaction(SIGCHLD, &sa, NULL) < 0)
        return -errno;
    signal(SIGPIPE, SIG_IGN);
    /* A parent may have blocked them (concbench run blocks SIGINT/SIGTERM for its watcher). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    return 0;
}

int sweep_stop_signal(void)
{
    return stop_signal;
}

void sweep_raise_stop(int sig)
{
    if (!stop_signal)
        stop_signal = sig;
}

static void drain_wake(void)
{
    char buf[64];
    while (wake_pipe[0] >= 0 && read(wake_pipe[0], buf, sizeof buf) > 0)
        ;
}

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

static void child_exec(char *const argv[], bool search, int out_fd, int err_fd)
{
    sigset_t none;
    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(out_fd >= 0 ? out_fd : devnull, 1);
    dup2(err_fd, 2);
    if (search)
        execvp(argv[0], argv);
    else
        execv(argv[0], argv);
    char msg[300];
    int n = snprintf(msg, sizeof msg, "cannot run %s: %s\n", argv[0], strerror(errno));
    ssize_t w = write(2, msg, (size_t)n);
    (void)w;
    _exit(127);
}

int sweep_spawn(char *const argv[], bool search, bool capture_out, double timeout_s,
                struct sweep_child *c)
{
    int po[2] = { -1, -1 }, pe[2];
    struct buf out = { 0 }, err = { .limit = ERR_CAP };
    int e;

    memset(c, 0, sizeof *c);
    if (capture_out && pipe2(po, O_CLOEXEC) < 0)
        return -errno;
    if (pipe2(pe, O_CLOEXEC) < 0) {
        e = -errno;
        if (po[0] >= 0) {
            close(po[0]);
            close(po[1]);
        }
        return e;
    }
    drain_wake();
    double t0 = clock_now();
    pid_t pid = fork();
    if (pid < 0) {
        e = -errno;
        if (po[0] >= 0) {
            close(po[0]);
            close(po[1]);
        }
        close(pe[0]);
        close(pe[1]);
        return e;
    }
    if (pid == 0)
        child_exec(argv, search, po[1], pe[1]);
    setpgid(pid, pid);                  /* also in the parent: no race with kill(-pid) */
    if (po[1] >= 0)
        close(po[1]);
    close(pe[1]);
    if (po[0] >= 0)
        fcntl(po[0], F_SETFL, O_NONBLOCK);
    fcntl(pe[0], F_SETFL, O_NONBLOCK);

    double deadline = timeout_s > 0 ? t0 + timeout_s : 0, kill_at = 0;
    bool termed = false, killed = false, exited = false;
    siginfo_t si;
    while (!exited) {
        double now = clock_now();
        if (!termed && (sweep_stop_signal() || (deadline && now >= deadline))) {
            if (sweep_stop_signal())
                c->interrupted = true;
            else
                c->timed_out = true;
            kill(-pid, SIGTERM);
            termed = true;
            kill_at = now + KILL_GRACE_S;
        }
        if (termed && !killed && (now >= kill_at || stop_count >= 2)) {
            kill(-pid, SIGKILL);
            killed = true;
        }

        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
            exited = true;
            break;
        }

        struct pollfd fds[3];
        int nf = 0;
        fds[nf++] = (struct pollfd){ wake_pipe[0], POLLIN, 0 };
        if (po[0] >= 0)
            fds[nf++] = (struct pollfd){ po[0], POLLIN, 0 };
        if (pe[0] >= 0)
            fds[nf++] = (struct pollfd){ pe[0], POLLIN, 0 };
        /* Wake at least every 100 ms: SIGCHLD may arrive between waitid and poll. */
        double wait = 0.1;
        if (!termed && deadline && deadline - now < wait)
            wait = deadline - now;
        if (termed && !killed && kill_at - now < wait)
            wait = kill_at - now;
        int ms = wait > 0 ? (int)(wait * 1000) + 1 : 0;
        if (poll(fds, (nfds_t)nf, ms) < 0 && errno != EINTR)
            break;
        drain_wake();
        if (po[0] >= 0)
            pump(&po[0], &out);
        if (pe[0] >= 0)
            pump(&pe[0], &err);
    }
    /* Whatever it wrote before it ended is in the pipes (or held open by a leftover
     * grandchild, which the kill below ends). */
    kill(-pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    c->elapsed_s = clock_now() - t0;
    if (po[0] >= 0)
        pump(&po[0], &out);
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

void sweep_child_free(struct sweep_child *c)
{
    free(c->out);
    free(c->err);
    c->out = c->err = NULL;
}
