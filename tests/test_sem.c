/* test_sem.c — the counting semaphore: permits, try and timed acquires, blocking and wake-up,
 * the cap it puts on threads inside a region. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "runtime/clock.h"
#include "runtime/sem.h"
#include "tests/helpers.h"

/* Spin (with naps) until *flag reaches want or 5 s pass; returns whether it did. */
static bool wait_for(atomic_int *flag, int want)
{
    double until = clock_now() + 5;
    while (atomic_load(flag) < want) {
        if (clock_now() > until)
            return false;
        cb_nap(0.001);
    }
    return true;
}

static void test_permits(void **state)
{
    struct csem s;
    (void)state;
    assert_int_equal(csem_init(&s, 3), 0);
    assert_int_equal(csem_value(&s), 3);
    for (int k = 0; k < 3; k++)
        assert_int_equal(csem_try_acquire(&s), 0);
    assert_int_equal(csem_try_acquire(&s), -EAGAIN);
    assert_int_equal(csem_acquire_timeout(&s, 0), -ETIMEDOUT);
    assert_int_equal(csem_value(&s), 0);
    csem_release(&s);
    assert_int_equal(csem_value(&s), 1);
    csem_acquire(&s);               /* a permit is there: does not block */
    assert_int_equal(csem_try_acquire(&s), -EAGAIN);
    for (int k = 0; k < 5; k++)     /* releases may exceed the initial count */
        csem_release(&s);
    assert_int_equal(csem_value(&s), 5);
    csem_destroy(&s);
}

static void test_zero_start(void **state)
{
    struct csem s;
    (void)state;
    assert_int_equal(csem_init(&s, 0), 0);
    assert_int_equal(csem_try_acquire(&s), -EAGAIN);
    csem_release(&s);
    assert_int_equal(csem_try_acquire(&s), 0);
    csem_destroy(&s);
}

static void test_timeout(void **state)
{
    struct csem s;
    (void)state;
    assert_int_equal(csem_init(&s, 0), 0);
    double t0 = clock_now();
    assert_int_equal(csem_acquire_timeout(&s, 0.05), -ETIMEDOUT);
    double took = clock_now() - t0;
    assert_true(took >= 0.05 - 1e-3);
    assert_true(took < 5);
    t0 = clock_now();
    assert_int_equal(csem_acquire_until(&s, t0 + 0.03), -ETIMEDOUT);
    assert_true(clock_now() - t0 >= 0.03 - 1e-3);
    assert_int_equal(csem_acquire_until(&s, t0 - 1), -ETIMEDOUT);  /* deadline in the past */
    assert_int_equal(csem_value(&s), 0);                           /* nothing was taken */
    csem_destroy(&s);
}

struct waiter {
    struct csem *s;
    atomic_int got;
    int ret;
    double timeout;         /* < 0: plain acquire */
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    if (w->timeout < 0) {
        csem_acquire(w->s);
        w->ret = 0;
    } else {
        w->ret = csem_acquire_timeout(w->s, w->timeout);
    }
    atomic_store(&w->got, 1);
    return NULL;
}

/* A thread blocked on an empty semaphore stays blocked until a release, then wakes. */
static void test_block_and_wake(void **state)
{
    struct csem s;
    struct waiter w = { .s = &s, .timeout = -1 };
    pthread_t t;
    (void)state;
    assert_int_equal(csem_init(&s, 0), 0);
    atomic_init(&w.got, 0);
    assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
    cb_nap(0.05);
    assert_int_equal(atomic_load(&w.got), 0);   /* still blocked: no permit */
    csem_release(&s);
    assert_true(wait_for(&w.got, 1));
    pthread_join(t, NULL);
    assert_int_equal(csem_value(&s), 0);        /* the waiter took it */
    csem_destroy(&s);
}

/* A timed waiter returns 0 as soon as a permit is released, long before its timeout. */
static void test_timed_wake(void **state)
{
    struct csem s;
    struct waiter w = { .s = &s, .timeout = 30 };
    pthread_t t;
    (void)state;
    assert_int_equal(csem_init(&s, 0), 0);
    atomic_init(&w.got, 0);
    double t0 = clock_now();
    assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
    cb_nap(0.02);
    csem_release(&s);
    pthread_join(t, NULL);
    assert_int_equal(w.ret, 0);
    assert_true(clock_now() - t0 < 10);
    csem_destroy(&s);
}

/* One release wakes exactly one of several waiters; each later release wakes one more. */
static void test_release_wakes_one(void **state)
{
    enum { W = 4 };
    struct csem s;
    struct waiter w[W];
    pthread_t t[W];
    (void)state;
    assert_int_equal(csem_init(&s, 0), 0);
    for (int k = 0; k < W; k++) {
        w[k] = (struct waiter){ .s = &s, .timeout = -1 };
        atomic_init(&w[k].got, 0);
        assert_int_equal(pthread_create(&t[k], NULL, waiter_main, &w[k]), 0);
    }
    cb_nap(0.05);
    for (int released = 1; released <= W; released++) {
        csem_release(&s);
        int got = 0;
        double until = clock_now() + 5;
        while (clock_now() < until) {
            got = 0;
            for (int k = 0; k < W; k++)
                got += atomic_load(&w[k].got);
            if (got >= released)
                break;
            cb_nap(0.001);
        }
        assert_int_equal(got, released);
        cb_nap(0.01);      /* a second waiter would have woken by now if one release woke two */
        got = 0;
        for (int k = 0; k < W; k++)
            got += atomic_load(&w[k].got);
        assert_int_equal(got, released);
    }
    for (int k = 0; k < W; k++)
        pthread_join(t[k], NULL);
    csem_destroy(&s);
}

struct cap_run {
    struct csem s;
    atomic_int inside, max_inside, rounds_done;
    int rounds;
};

static void *cap_main(void *arg)
{
    struct cap_run *c = arg;
    for (int r = 0; r < c->rounds; r++) {
        if (r % 2)
            csem_acquire(&c->s);
        else
            while (csem_acquire_timeout(&c->s, 0.001) != 0)
                ;
        int now = atomic_fetch_add(&c->inside, 1) + 1;
        int max = atomic_load(&c->max_inside);
        while (now > max && !atomic_compare_exchange_weak(&c->max_inside, &max, now))
            ;
        sched_yield();
        atomic_fetch_sub(&c->inside, 1);
        csem_release(&c->s);
    }
    atomic_fetch_add(&c->rounds_done, 1);
    return NULL;
}

/* Many threads through a region guarded by K permits: never more than K inside. */
static void test_cap_many_threads(void **state)
{
    enum { T = 12, K = 3 };
    struct cap_run c = { .rounds = 300 };
    pthread_t t[T];
    (void)state;
    assert_int_equal(csem_init(&c.s, K), 0);
    atomic_init(&c.inside, 0);
    atomic_init(&c.max_inside, 0);
    atomic_init(&c.rounds_done, 0);
    for (int k = 0; k < T; k++)
        assert_int_equal(pthread_create(&t[k], NULL, cap_main, &c), 0);
    for (int k = 0; k < T; k++)
        pthread_join(t[k], NULL);
    assert_int_equal(atomic_load(&c.rounds_done), T);
    assert_true(atomic_load(&c.max_inside) >= 1);
    assert_true(atomic_load(&c.max_inside) <= K);
    assert_int_equal(csem_value(&c.s), K);      /* every permit came back */
    csem_destroy(&c.s);
}

struct hold {
    struct csem *s;
    atomic_int *holding;
    atomic_int *go;
};

static void *hold_main(void *arg)
{
    struct hold *h = arg;
    csem_acquire(h->s);
    atomic_fetch_add(h->holding, 1);
    while (!atomic_load(h->go))
        cb_nap(0.001);
    csem_release(h->s);
    return NULL;
}

/* K threads can hold the K permits at the same time; then nobody else gets one. */
static void test_k_held_at_once(void **state)
{
    enum { K = 4 };
    struct csem s;
    atomic_int holding, go;
    struct hold h = { &s, &holding, &go };
    pthread_t t[K];
    (void)state;
    atomic_init(&holding, 0);
    atomic_init(&go, 0);
    assert_int_equal(csem_init(&s, K), 0);
    for (int k = 0; k < K; k++)
        assert_int_equal(pthread_create(&t[k], NULL, hold_main, &h), 0);
    assert_true(wait_for(&holding, K));
    assert_int_equal(csem_try_acquire(&s), -EAGAIN);
    assert_int_equal(csem_acquire_timeout(&s, 0.02), -ETIMEDOUT);
    atomic_store(&go, 1);
    for (int k = 0; k < K; k++)
        pthread_join(t[k], NULL);
    assert_int_equal(csem_value(&s), K);
    csem_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_permits),
        cmocka_unit_test(test_zero_start),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_block_and_wake),
        cmocka_unit_test(test_timed_wake),
        cmocka_unit_test(test_release_wakes_one),
        cmocka_unit_test(test_cap_many_threads),
        cmocka_unit_test(test_k_held_at_once),
    };
    return cmocka_run_group_tests_name("sem", tests, NULL, NULL);
}
