/* child.h — forked children for the process models: fork, watch (pidfd + epoll), reap, name.
 *
 * A child_set is the parent's view of its running children: one epoll instance that reports a
 * child's end (its pidfd turns readable) and the run's cancel event, so the parent notices
 * either at once without polling. Everything here is for the parent's main thread (the one that
 * forks), except what runs inside a child. */
#ifndef CONCBENCH_CHILD_H
#define CONCBENCH_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "workloads/workload.h"

struct event;

struct child {
    pid_t pid;              /* 0: no child */
    int pidfd;              /* -1: none */
};

struct child_set {
    int epfd;               /* epoll: children's pidfds and the cancel event */
    int cancel_fd;          /* the cancel event's eventfd; -1 once reported (or none) */
    pid_t parent;           /* getpid() of the parent, for the children's death signal */
};

/* Start watching for children and for `cancel` (may be NULL). Returns 0 or a negative errno. */
int child_set_init(struct child_set *cs, const struct event *cancel);
/* Close the epoll instance. Reap every child first. */
void child_set_destroy(struct child_set *cs);

/* How many more children may be watched at once: raises the soft RLIMIT_NOFILE to the hard
 * limit, then counts free descriptors (one pidfd a child), less a margin for the workload. */
unsigned child_fd_budget(void);

/* Fork a child that runs fn(arg) and then _exit(0)s. The child ignores SIGINT (the parent
 * decides when a child ends), keeps the blocked signal mask it inherits, and is SIGKILLed by the
 * kernel if the parent dies. `tag` comes back from child_set_wait when the child ends. Returns
 * 0, or a negative errno with no child left behind (fork or pidfd_open failed).
 * child_spawn = child_fork + child_watch. */
int child_spawn(struct child_set *cs, struct child *c, uint32_t tag, void (*fn)(void *arg),
                void *arg);

/* The two halves of child_spawn, for a parent that forks many children in a row: fork them all,
 * then watch them all. Every descriptor open at a fork is copied into the child and closed
 * again at its exit, so a child forked while 999 pidfds are open pays for 999 of them twice;
 * children forked before any of their siblings is watched inherit none. A child ended before
 * it is watched is reported at once (the pidfd of a zombie is readable).
 * child_fork: 0 with c->pid set (c->pidfd -1), or a negative errno and no child.
 * child_watch: 0, or a negative errno after the child was killed and reaped (c->pid 0). */
int child_fork(struct child_set *cs, struct child *c, void (*fn)(void *arg), void *arg);
int child_watch(struct child_set *cs, struct child *c, uint32_t tag);

/* Block until a child ends, the cancel event is set, or CLOCK_MONOTONIC reaches `deadline`
 * (seconds as clock_now(); 0: no deadline). Fills up to `max` tags of ended (not yet reaped)
 * children and returns how many; sets *cancelled when the cancel event is set (reported once).
 * Returns a negative errno when epoll fails. */
int child_set_wait(struct child_set *cs, double deadline, uint32_t *tags, int max,
                   bool *cancelled);

/* Reap an ended child (blocks until it has ended): its wait status and resource usage. Stops
 * watching it and closes its pidfd. Returns 0 or a negative errno. */
int child_reap(struct child_set *cs, struct child *c, int *status, struct rusage *ru);

/* SIGKILL a child that has not been reaped yet. */
void child_kill(const struct child *c);

/* True for a child that ended with exit(0). */
bool child_clean_exit(int status);
/* "killed by SIGSEGV" or "exit status 3" for a wait status. */
void child_status_text(int status, char *buf, size_t len);

/* The calling process's resident set, in kB (from /proc/self/statm); 0 if unknown. */
long child_self_rss_kb(void);
/* Add one reaped child's peak RSS to the largest and the sum in stats. */
void child_note_rusage(struct run_stats *s, const struct rusage *ru);

#endif
