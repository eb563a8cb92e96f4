/* test_queue.c — the bounded blocking queue: FIFO order, blocking when full or empty and the
 * wake-up, timeouts, close while others wait, task_done/join, many producers and consumers. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "runtime/clock.h"
#include "runtime/queue.h"
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

static void test_init_and_fifo(void **state)
{
    struct queue q;
    void *item;
    (void)state;
    assert_int_equal(queue_init(&q, 0), -EINVAL);
    assert_int_equal(queue_init(&q, 4), 0);
    assert_int_equal(queue_size(&q), 0);
    for (uintptr_t k = 1; k <= 4; k++)
        assert_int_equal(queue_put(&q, P(k), 0), 0);
    assert_int_equal(queue_size(&q), 4);
    assert_int_equal(queue_put(&q, P(99), 0), -ETIMEDOUT);     /* full */
    for (uintptr_t k = 1; k <= 2; k++) {
        assert_int_equal(queue_get(&q, &item, 0), 0);
        assert_int_equal(U(item), k);
    }
    /* Wrap around the ring. */
    assert_int_equal(queue_put(&q, P(5), 0), 0);
    assert_int_equal(queue_put(&q, NULL, QUEUE_FOREVER), 0);    /* NULL is an item too */
    uintptr_t want[] = { 3, 4, 5, 0 };
    for (int k = 0; k < 4; k++) {
        assert_int_equal(queue_get(&q, &item, QUEUE_FOREVER), 0);
        assert_int_equal(U(item), want[k]);
    }
    assert_int_equal(queue_get(&q, &item, 0), -ETIMEDOUT);     /* empty */
    queue_destroy(&q);
}

static void test_timeouts(void **state)
{
    struct queue q;
    void *item = P(7);
    (void)state;
    assert_int_equal(queue_init(&q, 1), 0);
    double t0 = clock_now();
    assert_int_equal(queue_get(&q, &item, 0.05), -ETIMEDOUT);
    double took = clock_now() - t0;
    assert_true(took >= 0.05 - 1e-3 && took < 5);
    assert_int_equal(U(item), 7);                               /* untouched */
    assert_int_equal(queue_put(&q, P(1), 0.05), 0);             /* room: no wait */
    t0 = clock_now();
    assert_int_equal(queue_put(&q, P(2), 0.05), -ETIMEDOUT);
    took = clock_now() - t0;
    assert_true(took >= 0.05 - 1e-3 && took < 5);
    assert_int_equal(queue_size(&q), 1);                        /* 2 was not added */
    queue_destroy(&q);
}

struct actor {
    struct queue *q;
    double timeout;
    uintptr_t item;         /* to put, or what was got */
    int ret;
    atomic_int done;
    double at;              /* when the call returned */
};

static void *getter_main(void *arg)
{
    struct actor *a = arg;
    void *item = NULL;
    a->ret = queue_get(a->q, &item, a->timeout);
    a->item = U(item);
    a->at = clock_now();
    atomic_store(&a->done, 1);
    return NULL;
}

static void *putter_main(void *arg)
{
    struct actor *a = arg;
    a->ret = queue_put(a->q, P(a->item), a->timeout);
    a->at = clock_now();
    atomic_store(&a->done, 1);
    return NULL;
}

static struct actor *actor_new(struct queue *q, double timeout, uintptr_t item)
{
    struct actor *a = calloc(1, sizeof *a);
    assert_non_null(a);
    a->q = q;
    a->timeout = timeout;
    a->item = item;
    atomic_init(&a->done, 0);
    return a;
}

/* get blocks on an empty queue until a put, and then has the item; timed and untimed. */
static void test_get_blocks_until_put(void **state)
{
    struct queue q;
    pthread_t t[2];
    struct actor *a[2];
    (void)state;
    assert_int_equal(queue_init(&q, 2), 0);
    for (int k = 0; k < 2; k++) {
        a[k] = actor_new(&q, k ? 30 : QUEUE_FOREVER, 0);
        assert_int_equal(pthread_create(&t[k], NULL, getter_main, a[k]), 0);
    }
    cb_nap(0.05);
    assert_int_equal(atomic_load(&a[0]->done) + atomic_load(&a[1]->done), 0);
    assert_int_equal(queue_put(&q, P(11), 0), 0);
    assert_int_equal(queue_put(&q, P(12), 0), 0);
    uintptr_t sum = 0;
    for (int k = 0; k < 2; k++) {
        pthread_join(t[k], NULL);
        assert_int_equal(a[k]->ret, 0);
        sum += a[k]->item;
        free(a[k]);
    }
    assert_int_equal(sum, 23);                  /* each got one of the two */
    assert_int_equal(queue_size(&q), 0);
    queue_destroy(&q);
}

/* put blocks on a full queue until a get makes room, and the item lands after the others. */
static void test_put_blocks_until_get(void **state)
{
    struct queue q;
    pthread_t t;
    void *item;
    (void)state;
    assert_int_equal(queue_init(&q, 2), 0);
    assert_int_equal(queue_put(&q, P(1), 0), 0);
    assert_int_equal(queue_put(&q, P(2), 0), 0);
    struct actor *a = actor_new(&q, QUEUE_FOREVER, 3);
    assert_int_equal(pthread_create(&t, NULL, putter_main, a), 0);
    cb_nap(0.05);
    assert_int_equal(atomic_load(&a->done), 0);     /* still blocked: full */
    assert_int_equal(queue_get(&q, &item, 0), 0);
    assert_int_equal(U(item), 1);
    pthread_join(t, NULL);
    assert_int_equal(a->ret, 0);
    for (uintptr_t k = 2; k <= 3; k++) {
        assert_int_equal(queue_get(&q, &item, 0), 0);
        assert_int_equal(U(item), k);
    }
    free(a);
    queue_destroy(&q);
}

/* close wakes every blocked getter (they get -EPIPE) and every blocked putter (-EPIPE, item not
 * added); items put before close still come out first; later puts fail. */
static void test_close_wakes_everyone(void **state)
{
    enum { G = 6 };
    struct queue qe, qf;
    pthread_t tg[G], tp[G];
    struct actor *ag[G], *ap[G];
    void *item;
    (void)state;
    assert_int_equal(queue_init(&qe, 3), 0);
    assert_int_equal(queue_init(&qf, 1), 0);
    assert_int_equal(queue_put(&qf, P(42), 0), 0);
    for (int k = 0; k < G; k++) {
        ag[k] = actor_new(&qe, k % 2 ? 30 : QUEUE_FOREVER, 0);
        ap[k] = actor_new(&qf, k % 2 ? 30 : QUEUE_FOREVER, 100 + (uintptr_t)k);
        assert_int_equal(pthread_create(&tg[k], NULL, getter_main, ag[k]), 0);
        assert_int_equal(pthread_create(&tp[k], NULL, putter_main, ap[k]), 0);
    }
    cb_nap(0.05);
    for (int k = 0; k < G; k++) {
        assert_int_equal(atomic_load(&ag[k]->done), 0);
        assert_int_equal(atomic_load(&ap[k]->done), 0);
    }
    double closed_at = clock_now();
    queue_close(&qe);
    queue_close(&qf);
    queue_close(&qf);                               /* idempotent */
    for (int k = 0; k < G; k++) {
        pthread_join(tg[k], NULL);
        pthread_join(tp[k], NULL);
        assert_int_equal(ag[k]->ret, -EPIPE);
        assert_int_equal(ap[k]->ret, -EPIPE);
        assert_true(ag[k]->at - closed_at < 10);    /* woken, not timed out */
        assert_true(ap[k]->at - closed_at < 10);
        free(ag[k]);
        free(ap[k]);
    }
    /* The item put before close is still there, then the closed queue says so. */
    assert_int_equal(queue_size(&qf), 1);
    assert_int_equal(queue_get(&qf, &item, QUEUE_FOREVER), 0);
    assert_int_equal(U(item), 42);
    assert_int_equal(queue_get(&qf, &item, QUEUE_FOREVER), -EPIPE);
    assert_int_equal(queue_get(&qf, &item, 0), -EPIPE);
    assert_int_equal(queue_put(&qe, P(1), QUEUE_FOREVER), -EPIPE);
    assert_int_equal(queue_put(&qe, P(1), 0), -EPIPE);
    assert_int_equal(queue_size(&qe), 0);
    queue_destroy(&qe);
    queue_destroy(&qf);
}

struct joiner {
    struct queue *q;
    atomic_int done;
};

static void *joiner_main(void *arg)
{
    struct joiner *j = arg;
    queue_join(j->q);
    atomic_store(&j->done, 1);
    return NULL;
}

/* join waits until every item put is marked done — not merely taken out. */
static void test_task_done_join(void **state)
{
    struct queue q;
    struct joiner j = { .q = &q };
    pthread_t t;
    void *item;
    (void)state;
    assert_int_equal(queue_init(&q, 4), 0);
    queue_join(&q);                                 /* nothing pending: at once */
    assert_int_equal(queue_task_done(&q), -EINVAL); /* nothing to mark */
    for (uintptr_t k = 0; k < 3; k++)
        assert_int_equal(queue_put(&q, P(k), 0), 0);
    atomic_init(&j.done, 0);
    assert_int_equal(pthread_create(&t, NULL, joiner_main, &j), 0);
    for (int k = 0; k < 3; k++)
        assert_int_equal(queue_get(&q, &item, 0), 0);
    cb_nap(0.03);
    assert_int_equal(atomic_load(&j.done), 0);      /* taken, not done */
    assert_int_equal(queue_task_done(&q), 0);
    assert_int_equal(queue_task_done(&q), 0);
    queue_close(&q);                                /* close does not end a join */
    cb_nap(0.03);
    assert_int_equal(atomic_load(&j.done), 0);
    assert_int_equal(queue_task_done(&q), 0);       /* the last one */
    pthread_join(t, NULL);
    assert_int_equal(atomic_load(&j.done), 1);
    assert_int_equal(queue_task_done(&q), -EINVAL); /* one too many */
    queue_destroy(&q);
}

/* Many producers and consumers at once through a small queue: every item comes out exactly
 * once, each producer's items in the order it put them, and join sees them all done. */
enum { PRODUCERS = 4, CONSUMERS = 4, PER_PRODUCER = 3000 };

struct pc {
    struct queue q;
    atomic_int seen[PRODUCERS * PER_PRODUCER];
    atomic_int consumed;
    atomic_int order_errors;
    atomic_int put_errors;
    atomic_int started;
};

struct producer {
    struct pc *pc;
    int id;
};

static void *producer_main(void *arg)
{
    struct producer *p = arg;
    for (int k = 0; k < PER_PRODUCER; k++) {
        uintptr_t v = (uintptr_t)p->id * PER_PRODUCER + (uintptr_t)k + 1;  /* never 0 */
        int r;
        /* Alternate blocking and timed puts; a timed put that times out is retried. */
        while ((r = queue_put(&p->pc->q, P(v), k % 2 ? 0.001 : QUEUE_FOREVER)) == -ETIMEDOUT)
            ;
        if (r != 0)     /* no cmocka assertions off the main thread */
            atomic_fetch_add(&p->pc->put_errors, 1);
    }
    return NULL;
}

static void *consumer_main(void *arg)
{
    struct pc *pc = arg;
    int last[PRODUCERS];
    for (int k = 0; k < PRODUCERS; k++)
        last[k] = -1;
    atomic_fetch_add(&pc->started, 1);
    for (unsigned n = 0;; n++) {
        void *item;
        int r = queue_get(&pc->q, &item, n % 3 ? QUEUE_FOREVER : 0.001);
        if (r == -ETIMEDOUT)
            continue;
        if (r == -EPIPE)
            break;
        uintptr_t v = U(item) - 1;
        int prod = (int)(v / PER_PRODUCER), seq = (int)(v % PER_PRODUCER);
        if (seq <= last[prod])
            atomic_fetch_add(&pc->order_errors, 1);
        last[prod] = seq;
        atomic_fetch_add(&pc->seen[v], 1);
        atomic_fetch_add(&pc->consumed, 1);
        queue_task_done(&pc->q);
    }
    return NULL;
}

static void test_many_producers_consumers(void **state)
{
    struct pc *pc = calloc(1, sizeof *pc);
    struct producer prod[PRODUCERS];
    pthread_t tp[PRODUCERS], tc[CONSUMERS];
    (void)state;
    assert_non_null(pc);
    assert_int_equal(queue_init(&pc->q, 8), 0);
    for (int k = 0; k < CONSUMERS; k++)
        assert_int_equal(pthread_create(&tc[k], NULL, consumer_main, pc), 0);
    assert_true(wait_for(&pc->started, CONSUMERS));
    for (int k = 0; k < PRODUCERS; k++) {
        prod[k] = (struct producer){ pc, k };
        assert_int_equal(pthread_create(&tp[k], NULL, producer_main, &prod[k]), 0);
    }
    for (int k = 0; k < PRODUCERS; k++)
        pthread_join(tp[k], NULL);
    queue_join(&pc->q);                 /* every item put has been consumed and marked */
    assert_int_equal(atomic_load(&pc->consumed), PRODUCERS * PER_PRODUCER);
    queue_close(&pc->q);                /* consumers leave on -EPIPE */
    for (int k = 0; k < CONSUMERS; k++)
        pthread_join(tc[k], NULL);
    for (int k = 0; k < PRODUCERS * PER_PRODUCER; k++)
        if (atomic_load(&pc->seen[k]) != 1)
            fail_msg("item %d came out %d times", k, atomic_load(&pc->seen[k]));
    assert_int_equal(atomic_load(&pc->order_errors), 0);
    assert_int_equal(atomic_load(&pc->put_errors), 0);
    assert_int_equal(queue_size(&pc->q), 0);
    queue_destroy(&pc->q);
    free(pc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_fifo),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_get_blocks_until_put),
        cmocka_unit_test(test_put_blocks_until_get),
        cmocka_unit_test(test_close_wakes_everyone),
        cmocka_unit_test(test_task_done_join),
        cmocka_unit_test(test_many_producers_consumers),
    };
    return cmocka_run_group_tests_name("queue", tests, NULL, NULL);
}
