/* sem.c — counting semaphore on a mutex and a monotonic condition variable. */
#include "runtime/sem.h"

#include <errno.h>
#include <time.h>

#include "runtime/clock.h"

int csem_init(struct csem *s, unsigned value)
{
    int err;

    s->value = value;
    s->waiters = 0;
    if ((err = pthread_mutex_init(&s->mu, NULL)) != 0)
        return -err;
    if ((err = clock_cond_init(&s->cv)) == 0)
        return 0;
    pthread_mutex_destroy(&s->mu);
    return -err;
}

void csem_destroy(struct csem *s)
{
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
}

void csem_acquire(struct csem *s)
{
    pthread_mutex_lock(&s->mu);
    s->waiters++;
    while (s->value == 0)
        pthread_cond_wait(&s->cv, &s->mu);
    s->waiters--;
    s->value--;
    pthread_mutex_unlock(&s->mu);
}

int csem_try_acquire(struct csem *s)
{
    int ret = -EAGAIN;
    pthread_mutex_lock(&s->mu);
    if (s->value > 0) {
        s->value--;
        ret = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return ret;
}

int csem_acquire_until(struct csem *s, double deadline)
{
    struct timespec ts = clock_timespec(deadline);
    int ret = 0;

    pthread_mutex_lock(&s->mu);
    s->waiters++;
    while (s->value == 0) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT && s->value == 0) {
            ret = -ETIMEDOUT;
            break;
        }
    }
    s->waiters--;
    if (ret == 0)
        s->value--;
    pthread_mutex_unlock(&s->mu);
    return ret;
}

int csem_acquire_timeout(struct csem *s, double seconds)
{
    if (seconds <= 0)
        return csem_try_acquire(s) == 0 ? 0 : -ETIMEDOUT;
    return csem_acquire_until(s, clock_now() + seconds);
}

void csem_release(struct csem *s)
{
    pthread_mutex_lock(&s->mu);
    s->value++;
    /* Signal under the lock: a waiter that timed out at this moment and leaves does not lose
     * the wake-up, because it re-checks value before giving up. */
    if (s->waiters > 0)
        pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

unsigned csem_value(struct csem *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned v = s->value;
    pthread_mutex_unlock(&s->mu);
    return v;
}
