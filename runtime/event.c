/* event.c — event on a mutex, a monotonic condition variable and an eventfd. */
#include "runtime/event.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "runtime/clock.h"

int event_init(struct event *e)
{
    int err;

    atomic_init(&e->flag, false);
    e->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (e->fd < 0)
        return -errno;
    if ((err = pthread_mutex_init(&e->mu, NULL)) != 0)
        goto out_fd;
    if ((err = clock_cond_init(&e->cv)) == 0)
        return 0;
    pthread_mutex_destroy(&e->mu);
out_fd:
    close(e->fd);
    e->fd = -1;
    return -err;
}

void event_destroy(struct event *e)
{
    pthread_cond_destroy(&e->cv);
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
        atomic_store(&e->flag, true);
        /* The counter only goes from 0 to 1 here, so the write cannot block or fail. */
        ssize_t n = write(e->fd, &one, sizeof one);
        (void)n;
    }
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

void event_clear(struct event *e)
{
    pthread_mutex_lock(&e->mu);
    if (atomic_load(&e->flag)) {
        uint64_t v;
        ssize_t n = read(e->fd, &v, sizeof v);
        (void)n;
        atomic_store(&e->flag, false);
    }
    pthread_mutex_unlock(&e->mu);
}

bool event_is_set(const struct event *e)
{
    return e && atomic_load_explicit(&e->flag, memory_order_acquire);
}

void event_wait(struct event *e)
{
    pthread_mutex_lock(&e->mu);
    while (!atomic_load(&e->flag))
        pthread_cond_wait(&e->cv, &e->mu);
    pthread_mutex_unlock(&e->mu);
}

bool event_wait_until(struct event *e, double deadline)
{
    struct timespec ts = clock_timespec(deadline);

    if (!e) {
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        return false;
    }
    pthread_mutex_lock(&e->mu);
    while (!atomic_load(&e->flag)) {
        if (pthread_cond_timedwait(&e->cv, &e->mu, &ts) == ETIMEDOUT)
            break;
    }
    bool set = atomic_load(&e->flag);
    pthread_mutex_unlock(&e->mu);
    return set;
}

bool event_wait_timeout(struct event *e, double seconds)
{
    return event_wait_until(e, clock_now() + seconds);
}
