/* event.c — event on a futex word (the flag itself), a mutex for set/clear and an eventfd.
 *
 * Waiters sleep in the kernel on the flag's own address (FUTEX_WAIT_BITSET: an absolute
 * CLOCK_MONOTONIC deadline) and take no lock. A pthread condition variable used to stand
 * there: 10,000 sleeping threads each locked the event's mutex to wait and, as their timeouts
 * came due, relocked it and unregistered from the condition variable's shared state to leave,
 * a queue of hand-offs on one lock (about one context switch and 20 us of CPU more a thread
 * than a bare sleep). A timed-out futex waiter just returns. */
#include "runtime/event.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/clock.h"

/* Sleep while *word == val, until woken or CLOCK_MONOTONIC reaches *abs (NULL: no limit).
 * Returns false once the deadline has passed. */
static bool futex_wait_until(atomic_uint *word, unsigned val, const struct timespec *abs)
{
    return syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, val, abs, NULL,
                   FUTEX_BITSET_MATCH_ANY) == 0 || errno != ETIMEDOUT;
}

static void futex_wake_all(atomic_uint *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0);
}

int event_init(struct event *e)
{
    int err;

    atomic_init(&e->flag, 0);
    e->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (e->fd < 0)
        return -errno;
    if ((err = pthread_mutex_init(&e->mu, NULL)) == 0)
        return 0;
    close(e->fd);
    e->fd = -1;
    return -err;
}

void event_destroy(struct event *e)
{
    pthread_mutex_destroy(&e->mu);
    if (e->fd >= 0)
        close(e->fd);
    e->fd = -1;
}

void event_set(struct event *e)
{
    pthread_mutex_lock(&e->mu);
    if (!atomic_load(&e->flag)) {
        uint64_t one = 1;
        atomic_store(&e->flag, 1);
        /* The counter only goes from 0 to 1 here, so the write cannot block or fail. */
        ssize_t n = write(e->fd, &one, sizeof one);
        (void)n;
    }
    /* Under the lock, as a condition variable's broadcast would be: the waker is done with the
     * event before a set/clear that follows can begin. */
    futex_wake_all(&e->flag);
    pthread_mutex_unlock(&e->mu);
}

void event_clear(struct event *e)
{
    pthread_mutex_lock(&e->mu);
    if (atomic_load(&e->flag)) {
        uint64_t v;
        ssize_t n = read(e->fd, &v, sizeof v);
        (void)n;
        atomic_store(&e->flag, 0);
    }
    pthread_mutex_unlock(&e->mu);
}

bool event_is_set(const struct event *e)
{
    return e && atomic_load_explicit(&e->flag, memory_order_acquire);
}

void event_wait(struct event *e)
{
    /* The kernel sleeps only while the word is still 0, so a set between the load and the
     * wait is not lost; a spurious wake-up just loops. */
    while (!atomic_load_explicit(&e->flag, memory_order_acquire))
        futex_wait_until(&e->flag, 0, NULL);
}

bool event_wait_until(struct event *e, double deadline)
{
    struct timespec ts = clock_timespec(deadline);

    if (!e) {
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        return false;
    }
    while (!atomic_load_explicit(&e->flag, memory_order_acquire))
        if (!futex_wait_until(&e->flag, 0, &ts))
            return atomic_load_explicit(&e->flag, memory_order_acquire);
    return true;
}

bool event_wait_timeout(struct event *e, double seconds)
{
    return event_wait_until(e, clock_now() + seconds);
}
