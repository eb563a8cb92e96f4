/* test_executor.c — futures and the executor: results and errors, FIFO order, timeouts on a
 * result, map over indices with every chunking, parallel use of the workers, shutdown that
 * waits and shutdown that cancels (futures report cancelled, maps stop), many submitters. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/executor.h"
#include "tests/helpers.h"

#define P(x) ((void *)(uintptr_t)(x))
#define U(p) ((uintptr_t)(p))

static bool wait_for(atomic_int *v, int want)
{
    double until = clock_now() + 5;
    while (atomic_load(v) < want) {
        if (clock_now() > until)
            return false;
        cb_nap(0.001);
    }
    return true;
}

/* Doubles its argument; odd arguments above 1000 fail with -EIO. */
static int double_it(void *arg, void **value)
{
    uintptr_t x = U(arg);
    if (x > 1000 && x % 2)
        return -EIO;
    *value = P(2 * x);
    return 0;
}

static void test_create_errors(void **state)
{
    struct executor *ex = NULL;
    (void)state;
    assert_int_equal(executor_create(&ex, 0, 0), -EINVAL);
    assert_int_equal(executor_create(&ex, 3, 64 * 1024), 0);     /* small stacks are fine */
    assert_int_equal(executor_workers(ex), 3);
    executor_destroy(ex);                                       /* shuts down by itself */
    assert_int_equal(executor_create(&ex, 1, 1), 0);            /* raised to the minimum */
    executor_shutdown(ex, EXECUTOR_WAIT);
    executor_destroy(ex);
}

static void test_submit_result_error(void **state)
{
    struct executor *ex;
    struct future *f, *g;
    void *v = P(123);
    (void)state;
    assert_int_equal(executor_create(&ex, 2, 0), 0);
    assert_int_equal(executor_submit(ex, double_it, P(21), &f), 0);
    assert_int_equal(executor_submit(ex, double_it, P(1001), &g), 0);
    assert_int_equal(future_result(f, &v), 0);
    assert_int_equal(U(v), 42);
    assert_true(future_done(f));
    assert_false(future_cancelled(f));
    assert_int_equal(future_result(f, NULL), 0);                /* again: same answer */
    assert_int_equal(future_result(g, &v), -EIO);               /* the task's own error */
    assert_false(future_cancelled(g));
    future_release(f);
    future_release(g);
    executor_shutdown(ex, EXECUTOR_WAIT);
    executor_destroy(ex);
}

static void test_many_futures(void **state)
{
    enum { N = 2000 };
    struct executor *ex;
    struct future **fs = calloc(N, sizeof *fs);
    (void)state;
    assert_non_null(fs);
    assert_int_equal(executor_create(&ex, 4, 0), 0);
    for (uintptr_t k = 0; k < N; k++)
        assert_int_equal(executor_submit(ex, double_it, P(k), &fs[k]), 0);
    for (uintptr_t k = 0; k < N; k++) {
        void *v;
        int r = future_result(fs[k], &v);
        if (k > 1000 && k % 2) {
            assert_int_equal(r, -EIO);
        } else {
            assert_int_equal(r, 0);
            assert_int_equal(U(v), 2 * k);
        }
        future_release(fs[k]);
    }
    executor_destroy(ex);
    free(fs);
}

/* A future released before its task ran does not stop the task, nor leak. */
static atomic_int quiet_runs;
static int quiet(void *arg, void **value)
{
    (void)arg;
    (void)value;
    atomic_fetch_add(&quiet_runs, 1);
    return 0;
}

static void test_release_early(void **state)
{
    struct executor *ex;
    (void)state;
    atomic_store(&quiet_runs, 0);
    assert_int_equal(executor_create(&ex, 2, 0), 0);
    for (int k = 0; k < 100; k++) {
        struct future *f;
        assert_int_equal(executor_submit(ex, quiet, NULL, &f), 0);
        future_release(f);
    }
    executor_shutdown(ex, EXECUTOR_WAIT);
    assert_int_equal(atomic_load(&quiet_runs), 100);
    executor_destroy(ex);
}

/* One worker runs submissions in the order they came. */
struct order_log {
    atomic_int n;
    int seq[64];
};

struct order_arg {
    struct order_log *log;
    int id;
};

static int log_order(void *arg, void **value)
{
    struct order_arg *a = arg;
    int at = atomic_fetch_add(&a->log->n, 1);
    a->log->seq[at] = a->id;
    (void)value;
    return 0;
}

static void test_fifo_one_worker(void **state)
{
    struct executor *ex;
    struct order_log log = { 0 };
    struct order_arg args[64];
    struct future *fs[64];
    (void)state;
    assert_int_equal(executor_create(&ex, 1, 0), 0);
    for (int k = 0; k < 64; k++) {
        args[k] = (struct order_arg){ &log, k };
        assert_int_equal(executor_submit(ex, log_order, &args[k], &fs[k]), 0);
    }
    for (int k = 0; k < 64; k++) {
        assert_int_equal(future_result(fs[k], NULL), 0);
        future_release(fs[k]);
    }
    assert_int_equal(atomic_load(&log.n), 64);
    for (int k = 0; k < 64; k++)
        assert_int_equal(log.seq[k], k);
    executor_destroy(ex);
}

/* A task that waits for a gate, telling the test when it has started. */
struct gated {
    struct event *gate;
    atomic_int *started;
    atomic_int *finished;
};

static int gated_task(void *arg, void **value)
{
    struct gated *g = arg;
    atomic_fetch_add(g->started, 1);
    bool opened = event_wait_timeout(g->gate, 10);
    atomic_fetch_add(g->finished, 1);
    *value = P(opened ? 7 : 0);
    return 0;
}

static void test_result_timeout(void **state)
{
    struct executor *ex;
    struct event gate;
    atomic_int started, finished;
    struct gated g = { &gate, &started, &finished };
    struct future *f;
    void *v = P(99);
    (void)state;
    atomic_init(&started, 0);
    atomic_init(&finished, 0);
    assert_int_equal(event_init(&gate), 0);
    assert_int_equal(executor_create(&ex, 1, 0), 0);
    assert_int_equal(executor_submit(ex, gated_task, &g, &f), 0);
    double t0 = clock_now();
    assert_int_equal(future_result_timeout(f, 0.05, &v), -ETIMEDOUT);
    double took = clock_now() - t0;
    assert_true(took >= 0.05 - 1e-3 && took < 5);
    assert_int_equal(U(v), 99);                         /* untouched */
    assert_int_equal(future_result_timeout(f, 0, &v), -ETIMEDOUT);
    assert_false(future_done(f));
    event_set(&gate);
    assert_int_equal(future_result_timeout(f, 30, &v), 0);
    assert_int_equal(U(v), 7);
    assert_true(future_done(f));
    future_release(f);
    executor_destroy(ex);
    event_destroy(&gate);
}

/* map: every index exactly once, for every worker count and chunking, n from 0 up. */
struct map_count {
    atomic_int *hits;
    size_t n;
    atomic_int out_of_range;
};

static void count_hit(void *arg, size_t i)
{
    struct map_count *m = arg;
    if (i >= m->n)
        atomic_fetch_add(&m->out_of_range, 1);
    else
        atomic_fetch_add(&m->hits[i], 1);
}

static void test_map_each_index_once(void **state)
{
    const unsigned workers[] = { 1, 2, 4 };
    const size_t ns[] = { 0, 1, 2, 7, 64, 1000, 10007 };
    const size_t chunks[] = { 0, 1, 3, 64, 1000, 20000 };
    (void)state;
    for (size_t wi = 0; wi < sizeof workers / sizeof workers[0]; wi++) {
        struct executor *ex;
        assert_int_equal(executor_create(&ex, workers[wi], 0), 0);
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
            for (size_t ci = 0; ci < sizeof chunks / sizeof chunks[0]; ci++) {
                size_t n = ns[ni];
                struct map_count m = { .hits = calloc(n + 1, sizeof(atomic_int)), .n = n };
                assert_non_null(m.hits);
                atomic_init(&m.out_of_range, 0);
                assert_int_equal(executor_map(ex, count_hit, &m, n, chunks[ci]), 0);
                assert_int_equal(atomic_load(&m.out_of_range), 0);
                for (size_t i = 0; i < n; i++)
                    if (atomic_load(&m.hits[i]) != 1)
                        fail_msg("workers %u n %zu chunk %zu: index %zu ran %d times",
                                 workers[wi], n, chunks[ci], i, atomic_load(&m.hits[i]));
                free(m.hits);
            }
        executor_destroy(ex);
    }
}

/* map uses every worker at once, and never more: W tasks that each wait until all W are in
 * flight can only finish if the W workers run them in parallel. */
struct rendezvous {
    atomic_int in_flight, max_in_flight, met;
    int want;
};

static void meet(void *arg, size_t i)
{
    struct rendezvous *r = arg;
    int now = atomic_fetch_add(&r->in_flight, 1) + 1;
    int max = atomic_load(&r->max_in_flight);
    while (now > max && !atomic_compare_exchange_weak(&r->max_in_flight, &max, now))
        ;
    double until = clock_now() + 5;
    if (i < (size_t)r->want) {
        while (atomic_load(&r->max_in_flight) < r->want && clock_now() < until)
            cb_nap(0.0005);
        if (atomic_load(&r->max_in_flight) >= r->want)
            atomic_fetch_add(&r->met, 1);
    }
    atomic_fetch_sub(&r->in_flight, 1);
}

static void test_map_parallel(void **state)
{
    const unsigned workers[] = { 2, 3, 8 };
    (void)state;
    for (size_t k = 0; k < sizeof workers / sizeof workers[0]; k++) {
        struct executor *ex;
        struct rendezvous r = { .want = (int)workers[k] };
        atomic_init(&r.in_flight, 0);
        atomic_init(&r.max_in_flight, 0);
        atomic_init(&r.met, 0);
        assert_int_equal(executor_create(&ex, workers[k], 0), 0);
        /* n = W with chunk 1, then n = W with guided chunks (1 each at this size) */
        assert_int_equal(executor_map(ex, meet, &r, workers[k], 1), 0);
        assert_int_equal(atomic_load(&r.met), (int)workers[k]);
        assert_int_equal(atomic_load(&r.max_in_flight), (int)workers[k]);
        atomic_store(&r.met, 0);
        atomic_store(&r.max_in_flight, 0);
        assert_int_equal(executor_map(ex, meet, &r, workers[k], 0), 0);
        assert_int_equal(atomic_load(&r.met), (int)workers[k]);
        assert_int_equal(atomic_load(&r.max_in_flight), (int)workers[k]);
        executor_destroy(ex);
    }
}

/* Shutdown that waits: everything queued behind a blocked task still runs. */
struct opener {
    struct event *gate;
    atomic_int *started;
    int after;
};

static void *open_when_started(void *arg)
{
    struct opener *o = arg;
    wait_for(o->started, o->after);
    cb_nap(0.02);
    event_set(o->gate);
    return NULL;
}

static void test_shutdown_wait(void **state)
{
    enum { N = 20 };
    struct executor *ex;
    struct event gate;
    atomic_int started, finished;
    struct gated g = { &gate, &started, &finished };
    struct future *fs[N];
    struct opener o = { &gate, &started, 1 };
    pthread_t t;
    (void)state;
    atomic_init(&started, 0);
    atomic_init(&finished, 0);
    assert_int_equal(event_init(&gate), 0);
    assert_int_equal(executor_create(&ex, 1, 0), 0);
    for (int k = 0; k < N; k++)
        assert_int_equal(executor_submit(ex, gated_task, &g, &fs[k]), 0);
    assert_int_equal(pthread_create(&t, NULL, open_when_started, &o), 0);
    executor_shutdown(ex, EXECUTOR_WAIT);   /* blocks until the gate opens and all ran */
    pthread_join(t, NULL);
    assert_int_equal(atomic_load(&finished), N);
    for (int k = 0; k < N; k++) {
        void *v;
        assert_true(future_done(fs[k]));
        assert_false(future_cancelled(fs[k]));
        assert_int_equal(future_result(fs[k], &v), 0);
        assert_int_equal(U(v), 7);
        future_release(fs[k]);
    }
    struct future *late;
    assert_int_equal(executor_submit(ex, gated_task, &g, &late), -ESHUTDOWN);
    assert_int_equal(executor_map(ex, count_hit, NULL, 5, 0), -ESHUTDOWN);
    executor_destroy(ex);
    event_destroy(&gate);
}

struct shutdown_arg {
    struct executor *ex;
    enum executor_shutdown_mode mode;
    atomic_int done;
};

static void *shutdown_main(void *arg)
{
    struct shutdown_arg *s = arg;
    executor_shutdown(s->ex, s->mode);
    atomic_store(&s->done, 1);
    return NULL;
}

/* Shutdown that cancels: the running tasks finish, everything queued reports cancelled (its
 * waiters wake), none of it runs, and nothing is dropped silently. */
static void test_shutdown_cancel(void **state)
{
    enum { W = 2, N = 40 };
    struct executor *ex;
    struct event gate;
    atomic_int started, finished;
    struct gated g = { &gate, &started, &finished };
    struct future *fs[N];
    struct shutdown_arg s = { .mode = EXECUTOR_CANCEL };
    pthread_t t;
    (void)state;
    atomic_init(&started, 0);
    atomic_init(&finished, 0);
    atomic_init(&s.done, 0);
    assert_int_equal(event_init(&gate), 0);
    assert_int_equal(executor_create(&ex, W, 0), 0);
    s.ex = ex;
    for (int k = 0; k < N; k++)
        assert_int_equal(executor_submit(ex, gated_task, &g, &fs[k]), 0);
    assert_true(wait_for(&started, W));     /* both workers busy on the first two */
    assert_int_equal(pthread_create(&t, NULL, shutdown_main, &s), 0);
    /* The last future wakes as cancelled while the running ones still wait for the gate. */
    assert_int_equal(future_result(fs[N - 1], NULL), -ECANCELED);
    assert_true(future_cancelled(fs[N - 1]));
    assert_int_equal(atomic_load(&s.done), 0);      /* shutdown waits for the running two */
    struct future *late;
    assert_int_equal(executor_submit(ex, gated_task, &g, &late), -ESHUTDOWN);
    event_set(&gate);
    pthread_join(t, NULL);
    assert_int_equal(atomic_load(&started), W);     /* nothing queued ran */
    assert_int_equal(atomic_load(&finished), W);
    int done = 0, cancelled = 0;
    for (int k = 0; k < N; k++) {
        void *v = P(1);
        int r = future_result(fs[k], &v);
        assert_true(future_done(fs[k]));
        if (future_cancelled(fs[k])) {
            assert_int_equal(r, -ECANCELED);
            assert_null(v);
            cancelled++;
        } else {
            assert_int_equal(r, 0);
            assert_int_equal(U(v), 7);
            done++;
        }
        future_release(fs[k]);
    }
    assert_int_equal(done, W);
    assert_int_equal(cancelled, N - W);
    executor_destroy(ex);
    event_destroy(&gate);
}

/* A cancelling shutdown in the middle of a map: the map stops handing out indices and
 * reports -ECANCELED; the indices in flight finish, none runs twice, the rest never run. */
struct gated_map {
    struct event *gate;
    atomic_int started;
    atomic_int *hits;
};

static void gated_index(void *arg, size_t i)
{
    struct gated_map *g = arg;
    atomic_fetch_add(&g->hits[i], 1);
    atomic_fetch_add(&g->started, 1);
    event_wait_timeout(g->gate, 10);
}

struct map_arg {
    struct executor *ex;
    void *arg;
    size_t n, chunk;
    int ret;
};

static void *map_main(void *arg)
{
    struct map_arg *m = arg;
    m->ret = executor_map(m->ex, gated_index, m->arg, m->n, m->chunk);
    return NULL;
}

static void test_shutdown_cancels_map(void **state)
{
    enum { W = 2, N = 1000 };
    const size_t chunks[] = { 0, 1, 100 };
    (void)state;
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        struct executor *ex;
        struct event gate;
        struct gated_map g = { .gate = &gate };
        struct future *sentinel;
        struct shutdown_arg s = { .mode = EXECUTOR_CANCEL };
        pthread_t tm, ts;
        g.hits = calloc(N, sizeof(atomic_int));
        assert_non_null(g.hits);
        atomic_init(&g.started, 0);
        atomic_init(&s.done, 0);
        assert_int_equal(event_init(&gate), 0);
        assert_int_equal(executor_create(&ex, W, 0), 0);
        s.ex = ex;
        struct map_arg m = { ex, &g, N, chunks[c], 1 };
        assert_int_equal(pthread_create(&tm, NULL, map_main, &m), 0);
        assert_true(wait_for(&g.started, W));           /* both workers inside the map */
        /* Queued behind the map: its cancellation tells us the shutdown has begun. */
        assert_int_equal(executor_submit(ex, quiet, NULL, &sentinel), 0);
        assert_int_equal(pthread_create(&ts, NULL, shutdown_main, &s), 0);
        assert_int_equal(future_result(sentinel, NULL), -ECANCELED);
        future_release(sentinel);
        event_set(&gate);
        pthread_join(tm, NULL);
        pthread_join(ts, NULL);
        assert_int_equal(m.ret, -ECANCELED);
        int ran = 0;
        for (int i = 0; i < N; i++) {
            assert_true(atomic_load(&g.hits[i]) <= 1);
            ran += atomic_load(&g.hits[i]);
        }
        assert_int_equal(ran, W);                       /* only the two in flight */
        executor_destroy(ex);
        event_destroy(&gate);
        free(g.hits);
    }
}

/* Several threads submit and wait at once, and one maps meanwhile. */
struct submitter {
    struct executor *ex;
    int base, errors;
};

static void *submitter_main(void *arg)
{
    struct submitter *s = arg;
    struct future *fs[300];
    for (int k = 0; k < 300; k++)
        if (executor_submit(s->ex, double_it, P(s->base + k), &fs[k]) != 0)
            fs[k] = NULL, s->errors++;
    for (int k = 0; k < 300; k++) {
        void *v;
        if (!fs[k])
            continue;
        if (future_result(fs[k], &v) != 0 || U(v) != 2 * (uintptr_t)(s->base + k))
            s->errors++;
        future_release(fs[k]);
    }
    return NULL;
}

static void test_many_submitters(void **state)
{
    enum { S = 4 };
    struct executor *ex;
    struct submitter sub[S];
    pthread_t t[S];
    (void)state;
    assert_int_equal(executor_create(&ex, 3, 0), 0);
    for (int k = 0; k < S; k++) {
        sub[k] = (struct submitter){ ex, k * 300, 0 };      /* all <= 1000 or even: no -EIO */
        if (sub[k].base + 300 > 1000)
            sub[k].base = 0;
        assert_int_equal(pthread_create(&t[k], NULL, submitter_main, &sub[k]), 0);
    }
    size_t n = 5000;
    struct map_count m = { .hits = calloc(n, sizeof(atomic_int)), .n = n };
    assert_non_null(m.hits);
    atomic_init(&m.out_of_range, 0);
    assert_int_equal(executor_map(ex, count_hit, &m, n, 0), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(atomic_load(&m.hits[i]), 1);
    for (int k = 0; k < S; k++) {
        pthread_join(t[k], NULL);
        assert_int_equal(sub[k].errors, 0);
    }
    free(m.hits);
    executor_destroy(ex);
}

/* A future outlives its executor. */
static void test_future_outlives_executor(void **state)
{
    struct executor *ex;
    struct future *f;
    void *v;
    (void)state;
    assert_int_equal(executor_create(&ex, 1, 0), 0);
    assert_int_equal(executor_submit(ex, double_it, P(5), &f), 0);
    executor_shutdown(ex, EXECUTOR_WAIT);
    executor_destroy(ex);
    assert_int_equal(future_result(f, &v), 0);
    assert_int_equal(U(v), 10);
    future_release(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_submit_result_error),
        cmocka_unit_test(test_many_futures),
        cmocka_unit_test(test_release_early),
        cmocka_unit_test(test_fifo_one_worker),
        cmocka_unit_test(test_result_timeout),
        cmocka_unit_test(test_map_each_index_once),
        cmocka_unit_test(test_map_parallel),
        cmocka_unit_test(test_shutdown_wait),
        cmocka_unit_test(test_shutdown_cancel),
        cmocka_unit_test(test_shutdown_cancels_map),
        cmocka_unit_test(test_many_submitters),
        cmocka_unit_test(test_future_outlives_executor),
    };
    return cmocka_run_group_tests_name("executor", tests, NULL, NULL);
}
