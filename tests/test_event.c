/* test_event.c — the event: set/clear/is-set, waits with and without a timeout, waking every
 * waiter, the eventfd that mirrors the flag, and a NULL event as a plain sleep. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "runtime/clock.h"
#include "runtime/event.h"
#include "tests/helpers.h"

static bool fd_readable(int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    int n;
    while ((n = poll(&p, 1, 0)) < 0 && errno == EINTR)
        ;
    return n == 1 && (p.revents & POLLIN);
}

static void test_set_clear(void **state)
{
    struct event e;
    (void)state;
    assert_int_equal(event_init(&e), 0);
    assert_false(event_is_set(&e));
    assert_true(event_fd(&e) >= 0);
    assert_false(fd_readable(event_fd(&e)));
    event_set(&e);
    assert_true(event_is_set(&e));
    assert_true(fd_readable(event_fd(&e)));
    event_set(&e);                          /* idempotent */
    assert_true(event_is_set(&e));
    event_wait(&e);                         /* set: returns at once */
    assert_true(event_wait_timeout(&e, 0));
    assert_true(event_wait_until(&e, 0));
    event_clear(&e);
    assert_false(event_is_set(&e));
    assert_false(fd_readable(event_fd(&e)));
    event_clear(&e);                        /* idempotent */
    assert_false(event_is_set(&e));
    assert_false(fd_readable(event_fd(&e)));
    for (int k = 0; k < 3; k++) {           /* the fd follows the flag every time */
        event_set(&e);
        assert_true(fd_readable(event_fd(&e)));
        event_clear(&e);
        assert_false(fd_readable(event_fd(&e)));
    }
    event_destroy(&e);
}

static void test_null_event(void **state)
{
    (void)state;
    assert_false(event_is_set(NULL));
    double t0 = clock_now();
    assert_false(event_wait_until(NULL, t0 + 0.03));   /* just sleeps */
    double took = clock_now() - t0;
    assert_true(took >= 0.03 - 1e-3);
    assert_true(took < 5);
}

static void test_timeout(void **state)
{
    struct event e;
    (void)state;
    assert_int_equal(event_init(&e), 0);
    double t0 = clock_now();
    assert_false(event_wait_timeout(&e, 0.05));
    double took = clock_now() - t0;
    assert_true(took >= 0.05 - 1e-3);
    assert_true(took < 5);
    t0 = clock_now();
    assert_false(event_wait_until(&e, t0 + 0.02));
    assert_true(clock_now() - t0 >= 0.02 - 1e-3);
    assert_false(event_wait_until(&e, t0 - 10));   /* deadline in the past: at once */
    assert_false(event_wait_timeout(&e, 0));
    event_destroy(&e);
}

struct waiter {
    struct event *e;
    double timeout;         /* < 0: event_wait */
    atomic_int done;
    bool set;
    double woke;            /* clock_now() when the wait returned */
};

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    if (w->timeout < 0) {
        event_wait(w->e);
        w->set = true;
    } else {
        w->set = event_wait_timeout(w->e, w->timeout);
    }
    w->woke = clock_now();
    atomic_store(&w->done, 1);
    return NULL;
}

/* Many threads blocked in wait and in timed waits all wake on one set, long before their
 * timeouts, and report the event set. */
static void test_set_wakes_all(void **state)
{
    enum { W = 16 };
    struct event e;
    struct waiter w[W];
    pthread_t t[W];
    (void)state;
    assert_int_equal(event_init(&e), 0);
    for (int k = 0; k < W; k++) {
        w[k] = (struct waiter){ .e = &e, .timeout = k % 2 ? 30 : -1 };
        atomic_init(&w[k].done, 0);
        assert_int_equal(pthread_create(&t[k], NULL, waiter_main, &w[k]), 0);
    }
    cb_nap(0.05);
    for (int k = 0; k < W; k++)
        assert_int_equal(atomic_load(&w[k].done), 0);  /* all still blocked */
    double set_at = clock_now();
    event_set(&e);
    for (int k = 0; k < W; k++) {
        pthread_join(t[k], NULL);
        assert_true(w[k].set);
        assert_true(w[k].woke >= set_at);
        assert_true(w[k].woke - set_at < 10);
    }
    event_destroy(&e);
}

/* A timed waiter that is not set times out with false, while another event's set does not
 * disturb it. */
static void test_independent_events(void **state)
{
    struct event a, b;
    struct waiter w = { .e = &a, .timeout = 0.1 };
    pthread_t t;
    (void)state;
    assert_int_equal(event_init(&a), 0);
    assert_int_equal(event_init(&b), 0);
    atomic_init(&w.done, 0);
    double t0 = clock_now();
    assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
    event_set(&b);
    pthread_join(t, NULL);
    assert_false(w.set);
    assert_true(w.woke - t0 >= 0.1 - 1e-3);
    assert_false(event_is_set(&a));
    event_destroy(&a);
    event_destroy(&b);
}

/* Cooperative stopping: workers loop until the event is set, then all stop. */
struct spinner {
    struct event *stop;
    atomic_long rounds;
};

static void *spinner_main(void *arg)
{
    struct spinner *s = arg;
    while (!event_is_set(s->stop)) {
        atomic_fetch_add(&s->rounds, 1);
        event_wait_timeout(s->stop, 0.001);
    }
    return NULL;
}

static void test_cooperative_stop(void **state)
{
    enum { T = 4 };
    struct event stop;
    struct spinner s;
    pthread_t t[T];
    (void)state;
    assert_int_equal(event_init(&stop), 0);
    s.stop = &stop;
    atomic_init(&s.rounds, 0);
    for (int k = 0; k < T; k++)
        assert_int_equal(pthread_create(&t[k], NULL, spinner_main, &s), 0);
    cb_nap(0.03);
    event_set(&stop);
    for (int k = 0; k < T; k++)
        pthread_join(t[k], NULL);
    assert_true(atomic_load(&s.rounds) >= T);
    event_destroy(&stop);
}

/* Set and clear racing from several threads leave a consistent state: flag and fd agree. */
struct toggler {
    struct event *e;
    int rounds;
};

static void *toggler_main(void *arg)
{
    struct toggler *t = arg;
    for (int r = 0; r < t->rounds; r++) {
        if (r % 2)
            event_clear(t->e);
        else
            event_set(t->e);
        (void)event_is_set(t->e);
    }
    return NULL;
}

static void test_concurrent_set_clear(void **state)
{
    enum { T = 4 };
    struct event e;
    struct toggler tg = { &e, 2000 };
    pthread_t t[T];
    (void)state;
    assert_int_equal(event_init(&e), 0);
    for (int k = 0; k < T; k++)
        assert_int_equal(pthread_create(&t[k], NULL, toggler_main, &tg), 0);
    for (int k = 0; k < T; k++)
        pthread_join(t[k], NULL);
    assert_int_equal(event_is_set(&e), fd_readable(event_fd(&e)));
    event_set(&e);
    assert_true(fd_readable(event_fd(&e)));
    event_clear(&e);
    assert_false(fd_readable(event_fd(&e)));
    event_destroy(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_clear),
        cmocka_unit_test(test_null_event),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_set_wakes_all),
        cmocka_unit_test(test_independent_events),
        cmocka_unit_test(test_cooperative_stop),
        cmocka_unit_test(test_concurrent_set_clear),
    };
    return cmocka_run_group_tests_name("event", tests, NULL, NULL);
}
