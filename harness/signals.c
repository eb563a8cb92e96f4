/* signals.c — the signal watcher thread. */
#include "harness/signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

static pthread_t watcher;
static bool running, exit_second;
static struct event *cancel_ev;
static atomic_int first_signal;
static atomic_uint count;

static void watched(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGUSR2);           /* sigwatch_stop */
}

static void *watch(void *arg)
{
    sigset_t set;
    (void)arg;
    watched(&set);
    for (;;) {
        int sig;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGUSR2)
            return NULL;
        atomic_fetch_add(&count, 1);
        int expected = 0;
        if (atomic_compare_exchange_strong(&first_signal, &expected, sig)) {
            event_set(cancel_ev);
            continue;
        }
        if (exit_second)
            _exit(130);
    }
}

int sigwatch_start(struct event *cancel, bool exit_on_second)
{
    sigset_t set;
    int err;

    watched(&set);
    if ((err = pthread_sigmask(SIG_BLOCK, &set, NULL)) != 0)
        return -err;
    signal(SIGPIPE, SIG_IGN);
    cancel_ev = cancel;
    exit_second = exit_on_second;
    atomic_store(&first_signal, 0);
    atomic_store(&count, 0);
    if ((err = pthread_create(&watcher, NULL, watch, NULL)) != 0)
        return -err;
    running = true;
    return 0;
}

int sigwatch_signal(void)
{
    return atomic_load(&first_signal);
}

unsigned sigwatch_count(void)
{
    return atomic_load(&count);
}

void sigwatch_stop(void)
{
    if (!running)
        return;
    pthread_kill(watcher, SIGUSR2);
    pthread_join(watcher, NULL);
    running = false;
}
