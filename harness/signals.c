/* signals.c — the signal watcher thread. */
#include "harness/signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

static pthread_t watcher;
static bool running;
static struct event *cancel_ev;
static atomic_int first_signal;
static void (*_Atomic hard_stop)(void);

static void *watch(void *arg)
{
    sigset_t set;
    (void)arg;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR2);          /* sigwatch_stop */
    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGUSR2)
            return NULL;
        int expected = 0;
        if (atomic_compare_exchange_strong(&first_signal, &expected, sig)) {
            event_set(cancel_ev);
            continue;
        }
        void (*fn)(void) = atomic_load(&hard_stop);
        if (fn)
            fn();
        _exit(130);
    }
}

int sigwatch_start(struct event *cancel)
{
    sigset_t set;
    int err;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR2);
    if ((err = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0)
        return -err;
    cancel_ev = cancel;
    atomic_store(&first_signal, 0);
    if ((err = pthread_create(&watcher, NULL, watch, NULL)) != 0)
        return -err;
    running = true;
    return 0;
}

int sigwatch_signal(void)
{
    return atomic_load(&first_signal);
}

void sigwatch_stop(void)
{
    if (!running)
        return;
    pthread_kill(watcher, SIGUSR2);
    pthread_join(watcher, NULL);
    running = false;
}

void sigwatch_on_hard_stop(void (*fn)(void))
{
    atomic_store(&hard_stop, fn);
}
