/* loop.h — a small event loop with a timer heap (in the spirit of redis's ae.c), on one of two
 * kernel interfaces (backends): epoll (loop_new) or io_uring (loop_new_backend(LOOP_URING)).
 * Both keep the same contract below; the backend only changes how the kernel is asked.
 *
 * Threading: a loop belongs to the thread that runs it. Every function here except loop_new and
 * loop_free (which the owner calls before and after running) must be called from that thread,
 * normally from inside a callback. Nothing here is thread-safe; to wake a loop from another
 * thread, make it watch an eventfd (see runtime/event.h, event_fd()).
 *
 * Timers are one-shot, kept in a binary heap (O(log n) add and cancel) whose earliest deadline
 * becomes the wait's timeout (nanosecond precision where the kernel has it). A
 * timer never fires before its deadline. An idle loop sleeps in the kernel: no busy-waiting. */
#ifndef CONCBENCH_LOOP_H
#define CONCBENCH_LOOP_H

#include <stdbool.h>
#include <stddef.h>

struct loop;
struct loop_timer;

/* Interest and readiness bits. LOOP_ERROR is only ever reported (EPOLLERR/EPOLLHUP). */
enum {
    LOOP_READ = 1,
    LOOP_WRITE = 2,
    LOOP_ERROR = 4,
    LOOP_NOREF = 8,     /* on add: this fd does not keep loop_run going (like uv_unref) */
};

/* Called when fd is ready; `events` is a mask of LOOP_READ, LOOP_WRITE, LOOP_ERROR, limited to
 * the fd's interest. On an error or hang-up (EPOLLERR/EPOLLHUP) it is LOOP_ERROR plus the fd's
 * interest bits, so the callback's read or write shows what happened. Level-triggered: an fd
 * that stays ready is reported again next iteration. The callback may add, change or remove any
 * fd (its own included) and timers. */
typedef void loop_fd_fn(struct loop *l, int fd, unsigned events, void *arg);
/* Called once when a timer's deadline has passed; the timer is already gone (its handle is no
 * longer valid). The callback may add or cancel timers and fds. */
typedef void loop_timer_fn(struct loop *l, void *arg);

/* The kernel interfaces a loop can wait with.
 * - LOOP_EPOLL: epoll_ctl a change of interest, one epoll_pwait2 a turn.
 * - LOOP_URING: io_uring (liburing): an fd is watched with a one-shot IORING_OP_POLL_ADD,
 *   re-armed after its callback (which keeps the level-triggered contract; multishot poll is
 *   edge-triggered); a change of interest is a POLL_REMOVE and a new POLL_ADD queued in the
 *   submission ring; each turn submits what is queued and waits, with the earliest timer as
 *   the timeout, in one io_uring_enter. Differences: a regular file (which epoll refuses with
 *   EPERM) is accepted and always ready; an fd closed without loop_fd_del is not an error at
 *   once (its poll fails later and the watch never fires again, as epoll drops it silently);
 *   the kernel keeps a removed fd's file open until the next turn submits the removal. */
enum loop_backend_kind { LOOP_EPOLL, LOOP_URING };

/* A new epoll loop, or NULL with errno set. */
struct loop *loop_new(void);
/* A new loop on backend b, or NULL with errno set (io_uring: ENOSYS on a kernel without it,
 * EPERM when kernel.io_uring_disabled or a seccomp filter refuses it, ENOMEM when the ring
 * cannot be allocated (RLIMIT_MEMLOCK on kernels before 5.12), EOPNOTSUPP when the kernel's
 * io_uring lacks what this loop needs (IORING_FEAT_EXT_ARG, Linux 5.11)). Tests only: the
 * environment variable CONCBENCH_URING_FAIL=1 (or =EPERM, =ENOMEM) makes ring set-up fail. */
struct loop *loop_new_backend(enum loop_backend_kind b);
/* "epoll" or "io_uring". */
const char *loop_backend_name(enum loop_backend_kind b);
/* Whether backend b can be set up here, by setting one up: 0, or a negative errno with one
 * sentence for people in why ("io_uring is disabled by kernel.io_uring_disabled = 2"). */
int loop_backend_probe(enum loop_backend_kind b, char *why, size_t len);
/* Free a loop that is not running. Pending timers are dropped without firing; watched fds are
 * not closed (they belong to the caller). */
void loop_free(struct loop *l);

/* Watch fd for `events` (LOOP_READ | LOOP_WRITE, optionally | LOOP_NOREF). Returns 0, -EEXIST
 * when fd is already watched, or another negative errno. The loop does not own fd. */
int loop_fd_add(struct loop *l, int fd, unsigned events, loop_fd_fn *fn, void *arg);
/* Change the interest of a watched fd (callback and argument kept). 0 or a negative errno. */
int loop_fd_mod(struct loop *l, int fd, unsigned events);
/* Stop watching fd (before closing it). 0, or -ENOENT when it was not watched. Safe from
 * inside any callback, including fd's own; a removed fd gets no further callback, even one
 * already returned by the same wait. */
int loop_fd_del(struct loop *l, int fd);

/* A one-shot timer that fires `delay` seconds from now (0 fires on the next iteration, after
 * pending fd events). Returns a handle, valid until the timer fires or is cancelled, or NULL
 * (ENOMEM). */
struct loop_timer *loop_timer_add(struct loop *l, double delay, loop_timer_fn *fn, void *arg);
/* The same at an absolute CLOCK_MONOTONIC time in seconds (clock_now()). */
struct loop_timer *loop_timer_at(struct loop *l, double when, loop_timer_fn *fn, void *arg);
/* Cancel a pending timer: it will not fire, and the handle is no longer valid. NULL is ignored.
 * Never pass a handle whose timer has fired or been cancelled: its node may already serve a
 * new timer (clear your copy of the handle in the timer's callback). */
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Run until nothing is left to wait for (no referenced fd and no timer) or loop_stop is called.
 * Each iteration waits for fds until the earliest timer, delivers the fd events, then fires the
 * timers that were due when firing began. Returns at once when there is nothing to do. Returns
 * 0, -EBUSY when the loop is already running (no nesting), or a negative errno when the backend
 * fails. What is still pending when it returns stays pending for a later loop_run. */
int loop_run(struct loop *l);
/* Make loop_run return after the current callback. No effect on a loop that is not running. */
void loop_stop(struct loop *l);

/* Number of pending timers and of watched fds (tests, statistics). */
size_t loop_timer_count(const struct loop *l);
size_t loop_fd_count(const struct loop *l);

/* What a loop cost, summed over its life (every loop_run). */
struct loop_stats {
    unsigned long long syscalls;    /* system calls the loop issued for fds and waiting:
                                     * epoll_ctl + epoll_pwait2 (epoll), io_uring_enter
                                     * (io_uring); set-up and tear-down not counted */
    unsigned long long turns;       /* iterations of loop_run (waits) */
    double cpu_s;                   /* CPU time (user + system) of the thread inside loop_run,
                                     * its callbacks included */
};
void loop_get_stats(const struct loop *l, struct loop_stats *out);

#endif
