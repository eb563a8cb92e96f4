/* child.c — fork, watch, reap and name the children of the process models. */
#include "models/child.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/clock.h"
#include "runtime/event.h"

#define CHILD_CANCEL_TAG UINT64_MAX
#define CHILD_FD_MARGIN 64      /* descriptors left for the workload (sockets, files) */

/* Bind, in the parent, the library calls every child makes first, so that no child takes a
 * copy-on-write fault on the symbol table to resolve them. */
static void child_prebind(void)
{
    struct sigaction sa;
    int sig;
    prctl(PR_GET_PDEATHSIG, &sig);
    sigaction(SIGINT, NULL, &sa);
    (void)getppid();
}

int child_set_init(struct child_set *cs, const struct event *cancel)
{
    child_prebind();
    cs->parent = getpid();
    cs->cancel_fd = -1;
    cs->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (cs->epfd < 0)
        return -errno;
    if (cancel) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = CHILD_CANCEL_TAG };
        if (epoll_ctl(cs->epfd, EPOLL_CTL_ADD, event_fd(cancel), &ev) < 0) {
            int e = errno;
            close(cs->epfd);
            cs->epfd = -1;
            return -e;
        }
        cs->cancel_fd = event_fd(cancel);
    }
    return 0;
}

void child_set_destroy(struct child_set *cs)
{
    if (cs->epfd >= 0)
        close(cs->epfd);
    cs->epfd = -1;
    cs->cancel_fd = -1;
}

unsigned child_fd_budget(void)
{
    struct rlimit rl;
    unsigned open_fds = 0;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit up = { rl.rlim_max, rl.rlim_max };
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            rl.rlim_cur = rl.rlim_max;
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.')
                open_fds++;
        closedir(d);
    } else {
        open_fds = 64;
    }
    rlim_t cur = rl.rlim_cur == RLIM_INFINITY ? 1u << 30 : rl.rlim_cur;
    if (cur > 1u << 30)
        cur = 1u << 30;
    if (cur <= (rlim_t)open_fds + CHILD_FD_MARGIN)
        return 1;
    return (unsigned)(cur - open_fds - CHILD_FD_MARGIN);
}

/* In the child: never outlive the parent, leave Ctrl-C to the parent, run, exit. */
static void child_main(pid_t parent, void (*fn)(void *arg), void *arg)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)        /* the parent died before the death signal was armed */
        _exit(127);
    struct sigaction ign = { .sa_handler = SIG_IGN };
    sigaction(SIGINT, &ign, NULL);
    fn(arg);
    _exit(0);
}

int child_fork(struct child_set *cs, struct child *c, void (*fn)(void *arg), void *arg)
{
    c->pid = 0;
    c->pidfd = -1;
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0)
        child_main(cs->parent, fn, arg);
    c->pid = pid;
    return 0;
}

int child_watch(struct child_set *cs, struct child *c, uint32_t tag)
{
    int e;
    int fd = pidfd_open(c->pid, 0);
    if (fd < 0) {
        e = errno;
        goto kill_child;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
    if (epoll_ctl(cs->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        e = errno;
        close(fd);
        goto kill_child;
    }
    c->pidfd = fd;
    return 0;

kill_child:
    kill(c->pid, SIGKILL);
    while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    c->pid = 0;
    return -e;
}

int child_spawn(struct child_set *cs, struct child *c, uint32_t tag, void (*fn)(void *arg),
                void *arg)
{
    int err = child_fork(cs, c, fn, arg);
    return err < 0 ? err : child_watch(cs, c, tag);
}

int child_set_wait(struct child_set *cs, double deadline, uint32_t *tags, int max,
                   bool *cancelled)
{
    struct epoll_event evs[64];
    int timeout_ms = -1;

    if (max > 64)
        max = 64;
    if (deadline > 0) {
        double left = deadline - clock_now();
        timeout_ms = left <= 0 ? 0 : (int)(left * 1000.0) + 1;
    }
    int n = epoll_wait(cs->epfd, evs, max, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    int got = 0;
    for (int k = 0; k < n; k++) {
        if (evs[k].data.u64 == CHILD_CANCEL_TAG) {
            *cancelled = true;
            /* Level-triggered and set for good: stop watching it, or every wait returns. */
            epoll_ctl(cs->epfd, EPOLL_CTL_DEL, cs->cancel_fd, NULL);
            cs->cancel_fd = -1;
        } else {
            tags[got++] = (uint32_t)evs[k].data.u64;
        }
    }
    return got;
}

int child_reap(struct child_set *cs, struct child *c, int *status, struct rusage *ru)
{
    int e = 0;
    if (c->pidfd >= 0) {
        /* Later children inherited this pidfd, so closing ours would not drop it from epoll. */
        epoll_ctl(cs->epfd, EPOLL_CTL_DEL, c->pidfd, NULL);
        close(c->pidfd);
        c->pidfd = -1;
    }
    if (c->pid > 0) {
        while (wait4(c->pid, status, 0, ru) < 0) {
            if (errno != EINTR) {
                e = -errno;
                break;
            }
        }
    }
    c->pid = 0;
    return e;
}

void child_kill(const struct child *c)
{
    if (c->pidfd >= 0 && pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0) == 0)
        return;
    if (c->pid > 0)
        kill(c->pid, SIGKILL);
}

bool child_clean_exit(int status)
{
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void child_status_text(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status)) {
        const char *name = sigabbrev_np(WTERMSIG(status));
        if (name)
            snprintf(buf, len, "killed by SIG%s", name);
        else
            snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
    } else if (WIFEXITED(status)) {
        snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
    } else {
        snprintf(buf, len, "wait status %#x", (unsigned)status);
    }
}

long child_self_rss_kb(void)
{
    long size = 0, resident = 0;
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    char buf[128];
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    if (sscanf(buf, "%ld %ld", &size, &resident) != 2)
        return 0;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

void child_note_rusage(struct run_stats *s, const struct rusage *ru)
{
    if (!s)
        return;
    if (ru->ru_maxrss > s->children_max_rss_kb)
        s->children_max_rss_kb = ru->ru_maxrss;
    s->children_sum_rss_kb += ru->ru_maxrss;
}
