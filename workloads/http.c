/* http.c — the http workload: each task GETs one URL with libcurl (I/O-bound).
 *
 * libcurl is not linked: set-up loads it with dlopen (workloads/curl_dl.h) and every call goes
 * through the curl_dl table, so the other workloads never map it.
 *
 * Blocking models use the easy API with one handle per thread (thread-local), so connections are
 * reused where the model's shape allows it: single has one thread, the pools one per worker, while
 * threads and processes get a fresh handle per task. The async form drives the multi-socket API
 * from the model's epoll loop (runtime/loop.h): libcurl tells us which fds to watch and when its
 * one timer is due, and we tell it what became ready. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/json.h"
#include "runtime/loop.h"
#include "runtime/shm.h"
#include "workloads/curl_dl.h"
#include "workloads/server.h"
#include "workloads/urls.h"
#include "workloads/workload.h"

extern const struct workload workload_http;

#define HTTP_MAX_URLS 100000
/* A task's timeout when --timeout-ms is not given: a silent server must not hang the run until
 * Ctrl-C. --timeout-ms T replaces it (0: no timeout at all). Against the embedded server the
 * task's own --sleep-ms is added, so a long sleep is never mistaken for silence. */
#define HTTP_DEFAULT_TIMEOUT_MS 30000

/* The async form's view of one socket libcurl asked the loop to watch. */
struct http_fd {
    bool watched;               /* in the loop's epoll set */
    bool parked;                /* libcurl no longer asks for it (an idle connection) */
    unsigned events;            /* LOOP_READ / LOOP_WRITE as registered */
};

struct http_ctx {
    char **urls;                /* task i fetches urls[i % n_urls] */
    unsigned n_urls;
    bool embedded;              /* urls point at our own server: verify bytes exactly */
    uint64_t body_bytes;        /* embedded: the size asked for */
    uint64_t body_sum;          /* embedded: checksum of those bytes */
    bool no_reuse;
    bool all_at_once;           /* every task is in flight at once: no connection can be free */
    unsigned max_conns;         /* --max-connections: async transfers in libcurl at once; 0 all */
    unsigned n_in_curl;         /* async transfers added to the multi handle */
    struct http_async *wait_head, *wait_tail;   /* started, waiting for a connection (FIFO) */
    pid_t server_pid;           /* embedded server child, 0 when none */
    double server_cpu_start;    /* its CPU time when setup ended (before the batch) */
    /* async form: one multi handle for the loop that drives it */
    CURLM *multi;
    struct loop *loop;
    struct loop_timer *timer;   /* libcurl's one timer */
    /* blocking form: the thread that shuts sockets down on Ctrl-C (see cancel_watch) */
    struct event *cancel;       /* the run's cancel event, NULL: none */
    pthread_t watcher;
    int watch_pipe[2];          /* written to by teardown to end the watcher; -1: no watcher */
    struct event watch_ready;   /* set by the watcher once it runs (set-up waits for it) */
    struct http_async **inflight;   /* by task index, NULL when not running */
    struct http_async *spare;   /* finished transfers' state and easy handles, for reuse */
    struct http_fd *fds;        /* async form: what the loop watches for libcurl, by fd */
    size_t n_fds;
    unsigned n_active;          /* async transfers in flight */
    struct loop_timer *sweep;   /* pending sweep_parked */
    unsigned tasks;
    uint64_t default_timeout_ms;    /* HTTP_DEFAULT_TIMEOUT_MS (+ sleep) when --timeout-ms is
                                       absent, else 0: the run's own deadline rules */
};

/* True when option `name` was given on the command line (not only defaulted). */
static bool http_opt_given(const struct options *o, const char *name)
{
    for (unsigned k = 0; o && k < o->n; k++)
        if (strcmp(o->kv[k].name, name) == 0)
            return true;
    return false;
}

/* ---- the body: its checksum (the server's FNV-1a) and size, nothing kept ---- */

struct body {
    uint64_t sum, bytes;
};

static size_t body_write(char *data, size_t size, size_t nmemb, void *arg)
{
    struct body *b = arg;
    size_t n = size * nmemb;
    b->sum = server_checksum_update(b->sum, data, n);
    b->bytes += n;
    return n;
}

/* CPU time (user + system, seconds) a process has used so far, from /proc; -1 if unknown. */
static double proc_cpu_seconds(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long ut, st;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');     /* the command name may hold spaces */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- URL lists ---- */

static void free_urls(struct http_ctx *c)
{
    for (unsigned k = 0; k < c->n_urls; k++)
        free(c->urls[k]);
    free(c->urls);
    c->urls = NULL;
    c->n_urls = 0;
}

static int add_url(struct http_ctx *c, const char *u, size_t len)
{
    if (c->n_urls == HTTP_MAX_URLS)
        return -E2BIG;
    char **nu = realloc(c->urls, (c->n_urls + 1) * sizeof *nu);
    if (!nu)
        return -ENOMEM;
    c->urls = nu;
    if (!(c->urls[c->n_urls] = strndup(u, len)))
        return -ENOMEM;
    c->n_urls++;
    return 0;
}

static int add_url_cb(void *arg, const char *u, size_t len)
{
    return add_url(arg, u, len);
}

/* One URL a line (workloads/urls.c: blank lines and '#' comments skipped, blanks trimmed, every
 * line bounded by URLS_MAX_LEN, the count by HTTP_MAX_URLS). */
static int read_urls(struct http_ctx *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");

    if (!f) {
        snprintf(err, errlen, "cannot read --urls file '%s': %s", path, strerror(errno));
        return -EINVAL;
    }
    int r = urls_read(f, path, add_url_cb, c, err, errlen);
    fclose(f);
    if (r < 0)
        return r;
    if (c->n_urls == 0) {
        snprintf(err, errlen, "--urls file '%s' has no URL", path);
        return -EINVAL;
    }
    return 0;
}

/* ---- Ctrl-C for blocking transfers ----
 * A blocking transfer waiting on a silent server would see Ctrl-C only at libcurl's next
 * progress call, about once a second. To end it at once, every socket a blocking handle opens
 * goes into this registry (CURLOPT_OPENSOCKETFUNCTION / CLOSESOCKETFUNCTION), and a watcher
 * thread shuts them all down (SHUT_RDWR) when the run's cancel event is set: the transfer's
 * poll wakes with an error at once and the task ends as cancelled. Sockets opened after that
 * are refused. The async form needs none of this: its model stops the transfers on the loop. */

static pthread_mutex_t socks_mu = PTHREAD_MUTEX_INITIALIZER;
static int *socks;              /* open sockets of blocking handles; guarded by socks_mu */
static size_t n_socks, cap_socks;
static bool socks_cancelled;    /* the watcher has shut everything down */

static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    (void)arg, (void)purpose;
    int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    if (fd < 0)
        return CURL_SOCKET_BAD;
    pthread_mutex_lock(&socks_mu);
    if (!socks_cancelled && n_socks == cap_socks) {
        size_t nc = cap_socks ? cap_socks * 2 : 64;
        int *ns = realloc(socks, nc * sizeof *ns);
        if (ns) {
            socks = ns;
            cap_socks = nc;
        }
    }
    bool ok = !socks_cancelled && n_socks < cap_socks;
    if (ok)
        socks[n_socks++] = fd;
    pthread_mutex_unlock(&socks_mu);
    if (!ok) {
        close(fd);
        return CURL_SOCKET_BAD;
    }
    return fd;
}

static int close_socket(void *arg, curl_socket_t fd)
{
    (void)arg;
    pthread_mutex_lock(&socks_mu);      /* unregistered before the number can be reused */
    for (size_t k = 0; k < n_socks; k++)
        if (socks[k] == fd) {
            socks[k] = socks[--n_socks];
            break;
        }
    pthread_mutex_unlock(&socks_mu);
    return close(fd);
}

static void *cancel_watch(void *arg)
{
    struct http_ctx *c = arg;
    struct pollfd p[2] = { { event_fd(c->cancel), POLLIN, 0 }, { c->watch_pipe[0], POLLIN, 0 } };

    event_set(&c->watch_ready);
    while (poll(p, 2, -1) < 0 && errno == EINTR)
        ;
    if (p[0].revents & POLLIN) {        /* the eventfd is readable while the event is set */
        pthread_mutex_lock(&socks_mu);
        socks_cancelled = true;
        for (size_t k = 0; k < n_socks; k++)
            shutdown(socks[k], SHUT_RDWR);
        pthread_mutex_unlock(&socks_mu);
    }
    return NULL;
}

static int watcher_start(struct http_ctx *c)
{
    int err;
    pthread_mutex_lock(&socks_mu);
    socks_cancelled = false;
    pthread_mutex_unlock(&socks_mu);
    if ((err = event_init(&c->watch_ready)) < 0)
        return err;
    if (pipe2(c->watch_pipe, O_CLOEXEC) < 0) {
        err = -errno;
        event_destroy(&c->watch_ready);
        return err;
    }
    if ((err = pthread_create(&c->watcher, NULL, cancel_watch, c)) != 0) {
        close(c->watch_pipe[0]);
        close(c->watch_pipe[1]);
        c->watch_pipe[0] = c->watch_pipe[1] = -1;
        event_destroy(&c->watch_ready);
        return -err;
    }
    /* Wait until the thread runs our code: a fork taken while it is still being created could
     * copy a lock of the thread library (or of a sanitizer's runtime) held for it, and a child
     * that then starts a thread of its own (libcurl's resolver) would wait on it for ever. */
    event_wait(&c->watch_ready);
    return 0;
}

static void watcher_stop(struct http_ctx *c)
{
    if (c->watch_pipe[1] < 0)
        return;
    char b = 0;
    while (write(c->watch_pipe[1], &b, 1) < 0 && errno == EINTR)
        ;
    pthread_join(c->watcher, NULL);
    event_destroy(&c->watch_ready);
    close(c->watch_pipe[0]);
    close(c->watch_pipe[1]);
    c->watch_pipe[0] = c->watch_pipe[1] = -1;
}

/* ---- setup and teardown ---- */

static int http_setup(const struct options *o, const struct run_params *p, void **ctxp,
                      char *err, size_t errlen)
{
    const char *url = workload_opt(&workload_http, o, "url");
    const char *urls = workload_opt(&workload_http, o, "urls");
    struct http_ctx *c = calloc(1, sizeof *c);
    int r;

    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    c->no_reuse = workload_opt_flag(o, "no-reuse");
    c->max_conns = (unsigned)workload_opt_u64(&workload_http, o, "max-connections");
    c->tasks = p->tasks;
    c->all_at_once = p->concurrency >= p->tasks;
    if (url && urls) {
        snprintf(err, errlen, "give --url or --urls, not both");
        r = -EINVAL;
        goto fail;
    }
    /* The embedded server's options mean nothing to another server: refused rather than
     * silently ignored, so a run never claims a delay or a size it did not ask for. */
    for (const char *const *opt = (const char *const[]){ "sleep-ms", "bytes", NULL }; *opt;
         opt++)
        if ((url || urls) && http_opt_given(o, *opt)) {
            snprintf(err, errlen, "--%s applies to the embedded server only, not with --%s",
                     *opt, url ? "url" : "urls");
            r = -EINVAL;
            goto fail;
        }
    if (!p->timeout_set)
        c->default_timeout_ms = HTTP_DEFAULT_TIMEOUT_MS +
            (url || urls ? 0 : workload_opt_u64(&workload_http, o, "sleep-ms"));
    /* libcurl is loaded here, not linked, so that runs of other workloads fork a parent
     * without its ~30 libraries (fork cost grows with the parent's mappings). Once, before any
     * thread or fork, like curl_global_init. */
    if ((r = curl_dl_load(err, errlen)) < 0)
        goto fail;
    if (curl_dl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init failed");
        r = -EIO;
        goto fail;
    }
    if (urls) {
        if ((r = read_urls(c, urls, err, errlen)) < 0)
            goto fail_curl;
    } else if (url) {
        if ((r = add_url(c, url, strlen(url))) < 0)
            goto fail_curl;
    } else {
        /* The embedded server, as a child process with its own descriptor table. */
        struct server_config sc = { 0 };
        int port;
        char u[128];
        if ((r = server_spawn(&sc, &c->server_pid, &port, err, errlen)) < 0) {
            r = -EIO;   /* the environment failed, not the user's input */
            goto fail_curl;
        }
        c->embedded = true;
        c->body_bytes = workload_opt_u64(&workload_http, o, "bytes");
        c->body_sum = server_bytes_checksum(c->body_bytes);
        c->server_cpu_start = proc_cpu_seconds(c->server_pid);
        snprintf(u, sizeof u, "http://127.0.0.1:%d/bytes/%llu?sleep=%llu", port,
                 (unsigned long long)c->body_bytes,
                 (unsigned long long)workload_opt_u64(&workload_http, o, "sleep-ms"));
        if ((r = add_url(c, u, strlen(u))) < 0)
            goto fail_server;
    }
    /* Last, after the server child is forked: a thread that ends blocked transfers on Ctrl-C. */
    c->watch_pipe[0] = c->watch_pipe[1] = -1;
    c->cancel = p->cancel;
    if (c->cancel && (r = watcher_start(c)) < 0) {
        snprintf(err, errlen, "cannot start the cancel watcher: %s", strerror(-r));
        goto fail_server;
    }
    *ctxp = c;
    return 0;

fail_server:
    server_stop(c->server_pid, NULL);
fail_curl:
    curl_dl.global_cleanup();
fail:
    free_urls(c);
    free(c);
    return r;
}

static pthread_key_t handle_key;
static pthread_once_t handle_once = PTHREAD_ONCE_INIT;

static void handle_free(void *h)
{
    curl_dl.easy_cleanup(h);
}

static void handle_key_init(void)
{
    pthread_key_create(&handle_key, handle_free);
}

static void spare_free(struct http_ctx *c);

static void http_teardown(void *ctx)
{
    struct http_ctx *c = ctx;
    CURL *h;

    watcher_stop(c);
    pthread_once(&handle_once, handle_key_init);
    if ((h = pthread_getspecific(handle_key))) {   /* the calling thread's (single) */
        curl_dl.easy_cleanup(h);
        pthread_setspecific(handle_key, NULL);
    }
    spare_free(c);
    if (c->multi) {
        /* The model's loop is gone by now: closing the cached connections must not call back
         * into it, and libcurl's pending loop timer went with the loop. */
        curl_dl.multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, NULL);
        curl_dl.multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, NULL);
        c->timer = NULL;
        c->sweep = NULL;
        c->loop = NULL;         /* async_close_socket: just close */
        curl_dl.multi_cleanup(c->multi);
    }
    free(c->inflight);
    free(c->fds);
    if (c->server_pid > 0)
        server_stop(c->server_pid, NULL);
    free_urls(c);
    curl_dl.global_cleanup();
    free(c);
}

/* ---- one transfer's outcome ---- */

/* Set up handle h for task i (both forms). */
static void prepare(struct http_ctx *c, CURL *h, unsigned i, const struct task_env *env,
                    struct body *b)
{
    curl_dl.easy_setopt(h, CURLOPT_URL, c->urls[i % c->n_urls]);
    curl_dl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_dl.easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
    curl_dl.easy_setopt(h, CURLOPT_WRITEDATA, b);
    curl_dl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_dl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->no_reuse) {
        curl_dl.easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
        curl_dl.easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    }
    if (env->deadline > 0) {
        long ms = (long)((env->deadline - clock_now()) * 1000.0 + 0.5);
        curl_dl.easy_setopt(h, CURLOPT_TIMEOUT_MS, ms > 1 ? ms : 1L);
    } else {
        curl_dl.easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->default_timeout_ms);
    }
    b->sum = SERVER_CHECKSUM_INIT;
    b->bytes = 0;
}

/* Turn a finished transfer into the task's result and status. */
static int conclude(struct http_ctx *c, CURL *h, CURLcode rc, unsigned i, const struct body *b,
                    const char *errbuf, double started, struct task_result *r)
{
    long code = 0, connects = 0;
    curl_dl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_dl.easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    r->extra[0] = code;                 /* HTTP status, 0 when none came */
    r->extra[1] = (int64_t)b->bytes;    /* body bytes received */
    r->extra[2] = connects;             /* new connections this transfer opened */
    r->value = b->sum;
    double ms = (clock_now() - started) * 1e3;

    switch (rc) {
    case CURLE_OK:
        break;
    case CURLE_OPERATION_TIMEDOUT:
        return task_fail(r, TASK_TIMEOUT, "timeout", "task %u: timeout after %.0f ms (%s)%s", i,
                         ms, c->urls[i % c->n_urls],
                         c->default_timeout_ms ? "; the default timeout: --timeout-ms T sets "
                         "another, 0 none" : "");
    case CURLE_ABORTED_BY_CALLBACK:
        return task_fail(r, TASK_CANCELLED, "cancelled", "task %u: cancelled after %.0f ms", i, ms);
    case CURLE_COULDNT_CONNECT:
        return task_fail(r, TASK_FAILED, "connection refused", "task %u: %s: %s", i,
                         c->urls[i % c->n_urls], errbuf[0] ? errbuf : curl_dl.easy_strerror(rc));
    case CURLE_COULDNT_RESOLVE_HOST:
        return task_fail(r, TASK_FAILED, "DNS failure", "task %u: %s: %s", i,
                         c->urls[i % c->n_urls], errbuf[0] ? errbuf : curl_dl.easy_strerror(rc));
    case CURLE_GOT_NOTHING:
        return task_fail(r, TASK_FAILED, "closed without reply", "task %u: %s: %s", i,
                         c->urls[i % c->n_urls], errbuf[0] ? errbuf : curl_dl.easy_strerror(rc));
    default:
        return task_fail(r, TASK_FAILED, curl_dl.easy_strerror(rc), "task %u: %s: %s", i,
                         c->urls[i % c->n_urls], errbuf[0] ? errbuf : curl_dl.easy_strerror(rc));
    }
    if (code >= 400) {
        char kind[32];
        snprintf(kind, sizeof kind, "HTTP %ld", code);
        return task_fail(r, TASK_FAILED, kind, "task %u: %s answered %ld", i,
                         c->urls[i % c->n_urls], code);
    }
    return TASK_OK;
}

/* ---- blocking form ---- */

/* libcurl calls this during the transfer (at least once a second, more while data flows):
 * a non-zero return aborts it, which is how Ctrl-C reaches a blocked fetch. */
static int progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const struct task_env *env = arg;
    (void)dt, (void)dn, (void)ut, (void)un;
    return event_is_set(env->cancel);
}

static int http_run(void *ctx, unsigned i, const struct task_env *env, struct task_result *r)
{
    struct http_ctx *c = ctx;
    struct body b;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *h;

    pthread_once(&handle_once, handle_key_init);
    h = pthread_getspecific(handle_key);
    if (!h) {
        if (!(h = curl_dl.easy_init()))
            return task_fail(r, TASK_FAILED, "curl init", "task %u: curl_easy_init failed", i);
        pthread_setspecific(handle_key, h);
    } else {
        curl_dl.easy_reset(h);     /* keeps the connection cache */
    }
    double started = clock_now();
    prepare(c, h, i, env, &b);
    curl_dl.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_dl.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_dl.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
    curl_dl.easy_setopt(h, CURLOPT_XFERINFODATA, env);
    curl_dl.easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_dl.easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
    CURLcode rc = curl_dl.easy_perform(h);
    if (rc != CURLE_OK && event_is_set(env->cancel))
        rc = CURLE_ABORTED_BY_CALLBACK;     /* its socket was shut down by cancel_watch */
    int st = conclude(c, h, rc, i, &b, errbuf, started, r);
    curl_dl.easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    return st;
}

/* ---- async form: multi-socket API on runtime/loop ---- */

static void fd_unwatch(struct http_ctx *c, int fd);

struct http_async {
    struct http_ctx *c;
    struct http_async *next;    /* in c->spare, or in the wait queue */
    struct http_async *prev;    /* in the wait queue */
    bool in_curl;               /* added to the multi handle (else waiting for a connection) */
    CURL *h;
    unsigned i;
    struct body b;
    char errbuf[CURL_ERROR_SIZE];
    double started;
    struct task_result *r;
    void (*done)(void *arg, int status);
    void *arg;
};

static void spare_free(struct http_ctx *c)
{
    while (c->spare) {
        struct http_async *a = c->spare;
        c->spare = a->next;
        curl_dl.easy_cleanup(a->h);
        free(a);
    }
}

/* --max-connections C: transfers beyond C wait here, in the order they started, and enter
 * libcurl as others leave it, each then reusing the connection one left behind. libcurl's own
 * queue (CURLMOPT_MAX_TOTAL_CONNECTIONS) does the same but, in 7.88, at a cost that grows
 * with the number waiting: 10,000 GETs started at once with 100 connections took 1.2 s of
 * CPU there, against 0.15 s this way. */
static void wait_unlink(struct http_ctx *c, struct http_async *a)
{
    if (a->prev)
        a->prev->next = a->next;
    else
        c->wait_head = a->next;
    if (a->next)
        a->next->prev = a->prev;
    else
        c->wait_tail = a->prev;
    a->next = a->prev = NULL;
}

static int add_to_curl(struct http_ctx *c, struct http_async *a)
{
    if (curl_dl.multi_add_handle(c->multi, a->h) != CURLM_OK)
        return -1;
    a->in_curl = true;
    c->n_in_curl++;
    return 0;
}

static void finish_async(struct http_ctx *c, struct http_async *a, int status);

/* A connection came free: the longest-waiting transfer enters libcurl. */
static void wait_next(struct http_ctx *c)
{
    while (c->wait_head && (!c->max_conns || c->n_in_curl < c->max_conns)) {
        struct http_async *a = c->wait_head;
        wait_unlink(c, a);
        if (add_to_curl(c, a) == 0)
            return;
        finish_async(c, a, task_fail(a->r, TASK_FAILED, "curl init",
                                     "task %u: curl_multi_add_handle failed", a->i));
    }
}

/* A finished transfer's easy handle is kept for the next one (curl_easy_reset there): a fresh
 * handle a transfer cost a dozen allocations and frees, among them its 16 KiB receive buffer,
 * about a tenth of the client's CPU at 100 keep-alive GETs in flight (perf record). */
/* Parked sockets are in the loop's epoll set, and a watched fd keeps loop_run going: once no
 * transfer is in flight on the next loop iteration (the model starts its next task from
 * `done`, before then), they leave the set, as libcurl asked. */
static void sweep_parked(struct loop *l, void *arg)
{
    struct http_ctx *c = arg;
    (void)l;
    c->sweep = NULL;
    if (c->n_active > 0)
        return;
    for (size_t fd = 0; fd < c->n_fds; fd++)
        if (c->fds[fd].parked)
            fd_unwatch(c, (int)fd);
}

static void finish_async(struct http_ctx *c, struct http_async *a, int status)
{
    void (*done)(void *, int) = a->done;
    void *arg = a->arg;
    if (--c->n_active == 0 && !c->sweep)
        c->sweep = loop_timer_add(c->loop, 0, sweep_parked, c);
    if (a->in_curl) {
        curl_dl.multi_remove_handle(c->multi, a->h);
        c->n_in_curl--;
        wait_next(c);
    } else {
        wait_unlink(c, a);
    }
    c->inflight[a->i] = NULL;
    a->next = c->spare;
    c->spare = a;
    done(arg, status);
}

/* Hand every finished transfer back to the model. */
static void drain(struct http_ctx *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_dl.multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct http_async *a;
        curl_dl.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&a);
        int st = conclude(c, a->h, m->data.result, a->i, &a->b, a->errbuf, a->started, a->r);
        finish_async(c, a, st);
    }
}

static struct http_fd *fd_state(struct http_ctx *c, int fd, bool grow)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= c->n_fds) {
        if (!grow)
            return NULL;
        size_t n = c->n_fds ? c->n_fds : 256;
        while (n <= (size_t)fd)
            n *= 2;
        struct http_fd *nf = realloc(c->fds, n * sizeof *nf);
        if (!nf)
            return NULL;
        memset(nf + c->n_fds, 0, (n - c->n_fds) * sizeof *nf);
        c->fds = nf;
        c->n_fds = n;
    }
    return &c->fds[fd];
}

static void fd_unwatch(struct http_ctx *c, int fd)
{
    struct http_fd *f = fd_state(c, fd, false);
    if (f && f->watched && c->loop)
        loop_fd_del(c->loop, fd);
    if (f)
        *f = (struct http_fd){ 0 };
}

static void on_socket_ready(struct loop *l, int fd, unsigned events, void *arg)
{
    struct http_ctx *c = arg;
    int flags = 0, running;
    (void)l;
    struct http_fd *f = fd_state(c, fd, false);
    if (f && f->parked) {
        /* An idle connection became readable (the server closed it): libcurl does not watch
         * it, and finds it dead when it looks for a connection to reuse. */
        fd_unwatch(c, fd);
        return;
    }
    if (events & LOOP_READ)
        flags |= CURL_CSELECT_IN;
    if (events & LOOP_WRITE)
        flags |= CURL_CSELECT_OUT;
    if (events & LOOP_ERROR)
        flags |= CURL_CSELECT_ERR;
    curl_dl.multi_socket_action(c->multi, fd, flags, &running);
    drain(c);
}

static void on_curl_timer(struct loop *l, void *arg)
{
    struct http_ctx *c = arg;
    int running;
    (void)l;
    c->timer = NULL;            /* fired: the handle is gone */
    curl_dl.multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain(c);
}

/* CURLMOPT_SOCKETFUNCTION: watch, change or forget one of libcurl's sockets.
 * A keep-alive connection is forgotten as each transfer on it ends and watched again as the
 * next begins: two epoll_ctl calls a request. Forgetting only parks it instead (it stays in
 * the epoll set, unseen), and watching it again with the same events costs nothing; it leaves
 * the set for real when libcurl closes it (async_close_socket) or it turns readable while
 * parked (on_socket_ready). */
static int socket_cb(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
    struct http_ctx *c = arg;
    unsigned ev = 0;
    (void)e, (void)sockp;
    struct http_fd *f = fd_state(c, fd, what != CURL_POLL_REMOVE);
    if (what == CURL_POLL_REMOVE) {
        if (f && f->watched)
            f->parked = true;
        return 0;
    }
    if (!f)
        return -1;
    if (what & CURL_POLL_IN)
        ev |= LOOP_READ;
    if (what & CURL_POLL_OUT)
        ev |= LOOP_WRITE;
    f->parked = false;
    if (f->watched) {
        if (f->events == ev)
            return 0;
        int r = loop_fd_mod(c->loop, fd, ev);
        if (r == 0) {
            f->events = ev;
            return 0;
        }
        if (r != -ENOENT)
            return -1;
    }
    if (loop_fd_add(c->loop, fd, ev, on_socket_ready, c) < 0) {
        *f = (struct http_fd){ 0 };
        return -1;
    }
    f->watched = true;
    f->events = ev;
    return 0;
}

/* CURLOPT_CLOSESOCKETFUNCTION of the async form: a socket leaves the epoll set before its
 * number can be reused. */
static int async_close_socket(void *arg, curl_socket_t fd)
{
    struct http_ctx *c = arg;
    fd_unwatch(c, fd);
    return close(fd);
}

/* CURLMOPT_TIMERFUNCTION: libcurl's single timer; -1 deletes it, 0 means "as soon as you can"
 * (a 0-delay loop timer, which fires on the next iteration). */
static int timer_cb(CURLM *m, long timeout_ms, void *arg)
{
    struct http_ctx *c = arg;
    (void)m;
    if (c->timer) {
        loop_timer_cancel(c->loop, c->timer);
        c->timer = NULL;
    }
    if (timeout_ms >= 0) {
        c->timer = loop_timer_add(c->loop, (double)timeout_ms / 1000.0, on_curl_timer, c);
        if (!c->timer)
            return -1;
    }
    return 0;
}

static int multi_init(struct http_ctx *c, struct loop *l)
{
    if (c->multi)
        return c->loop == l ? 0 : -EINVAL;
    if (!(c->inflight = calloc(c->tasks, sizeof *c->inflight)))
        return -ENOMEM;
    if (!(c->multi = curl_dl.multi_init()))
        return -ENOMEM;
    c->loop = l;
    curl_dl.multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_dl.multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_dl.multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_dl.multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    /* Without a cap, libcurl opens as many connections as there are transfers. */
    curl_dl.multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    return 0;
}

static int http_start(void *ctx, unsigned i, struct loop *l, const struct task_env *env,
                      struct task_result *r, void (*done)(void *arg, int status), void *arg)
{
    struct http_ctx *c = ctx;
    struct http_async *a;
    int err;

    if ((err = multi_init(c, l)) < 0)
        return task_fail(r, TASK_FAILED, "curl init", "task %u: curl multi init: %s", i,
                         strerror(-err));
    if ((a = c->spare)) {
        c->spare = a->next;
        CURL *h = a->h;
        curl_dl.easy_reset(h);      /* every option back to its default */
        memset(a, 0, sizeof *a);
        a->h = h;
    } else if (!(a = calloc(1, sizeof *a)) || !(a->h = curl_dl.easy_init())) {
        free(a);
        return task_fail(r, TASK_FAILED, "curl init", "task %u: curl_easy_init failed", i);
    }
    a->c = c;
    a->i = i;
    a->r = r;
    a->done = done;
    a->arg = arg;
    a->started = clock_now();
    prepare(c, a->h, i, env, &a->b);
    /* With every transfer in flight at once no connection is ever free to reuse, and no
     * transfer starts after one ends, so keeping connections serves nothing: ask for fresh ones
     * and close them after use. libcurl 7.88 otherwise walks every busy connection to the host
     * for each new transfer and every cached one as each ends, O(n^2): 10,000 fetches took 40 s
     * (10 s of CPU) instead of about 1 s. With --max-connections C below N, transfers wait
     * for one of C connections instead (wait_next), and every connection serves many. */
    if (c->all_at_once && (!c->max_conns || c->max_conns >= c->tasks)) {
        curl_dl.easy_setopt(a->h, CURLOPT_FRESH_CONNECT, 1L);
        curl_dl.easy_setopt(a->h, CURLOPT_FORBID_REUSE, 1L);
    }
    curl_dl.easy_setopt(a->h, CURLOPT_ERRORBUFFER, a->errbuf);
    curl_dl.easy_setopt(a->h, CURLOPT_PRIVATE, a);
    curl_dl.easy_setopt(a->h, CURLOPT_CLOSESOCKETFUNCTION, async_close_socket);
    curl_dl.easy_setopt(a->h, CURLOPT_CLOSESOCKETDATA, c);
    c->inflight[i] = a;
    c->n_active++;
    if (c->max_conns && c->n_in_curl >= c->max_conns) {
        /* In flight, waiting for a connection (wait_next). */
        a->next = NULL;
        a->prev = c->wait_tail;
        if (c->wait_tail)
            c->wait_tail->next = a;
        else
            c->wait_head = a;
        c->wait_tail = a;
        return 0;
    }
    if (add_to_curl(c, a) < 0) {
        if (--c->n_active == 0 && !c->sweep)
            c->sweep = loop_timer_add(c->loop, 0, sweep_parked, c);
        c->inflight[i] = NULL;
        curl_dl.easy_cleanup(a->h);
        free(a);
        return task_fail(r, TASK_FAILED, "curl init", "task %u: curl_multi_add_handle failed", i);
    }
    return 0;
}

static void http_stop(void *ctx, unsigned i, struct loop *l, int why)
{
    struct http_ctx *c = ctx;
    struct http_async *a = c->inflight ? c->inflight[i] : NULL;
    (void)l;
    if (!a)
        return;
    double ms = (clock_now() - a->started) * 1e3;
    if (why == TASK_TIMEOUT)
        task_fail(a->r, why, "timeout", "task %u: timeout after %.0f ms (%s)", i, ms,
                  c->urls[i % c->n_urls]);
    else
        task_fail(a->r, why, "cancelled", "task %u: cancelled after %.0f ms", i, ms);
    finish_async(c, a, why);
}

/* ---- verification and report ---- */

static bool http_verify(void *ctx, const struct task_result *rs, unsigned n, char *why, size_t len)
{
    struct http_ctx *c = ctx;
    for (unsigned i = 0; i < n; i++) {
        const struct task_result *r = &rs[i];
        if (r->status != TASK_OK) {
            snprintf(why, len, "task %u: %s", i, task_status_name(r->status));
            return false;
        }
        if (c->embedded) {
            if (r->extra[0] != 200 || (uint64_t)r->extra[1] != c->body_bytes ||
                r->value != c->body_sum) {
                snprintf(why, len, "task %u: status %lld, %lld bytes%s; expected 200 and the "
                         "%llu bytes the server sends", i, (long long)r->extra[0],
                         (long long)r->extra[1], r->value != c->body_sum ? ", wrong content" : "",
                         (unsigned long long)c->body_bytes);
                return false;
            }
        } else if (r->extra[0] >= 400 || r->extra[0] <= 0) {
            snprintf(why, len, "task %u: status %lld", i, (long long)r->extra[0]);
            return false;
        }
    }
    return true;
}

static void http_report(void *ctx, const struct task_result *rs, unsigned n, struct json_out *j)
{
    struct http_ctx *c = ctx;
    struct { long code; unsigned count; } seen[32];
    unsigned ns = 0;
    uint64_t bytes = 0, connects = 0;

    for (unsigned i = 0; i < n; i++) {
        if (rs[i].start_s < 0)
            continue;
        bytes += (uint64_t)(rs[i].extra[1] > 0 ? rs[i].extra[1] : 0);
        connects += (uint64_t)(rs[i].extra[2] > 0 ? rs[i].extra[2] : 0);
        long code = (long)rs[i].extra[0];
        unsigned k;
        for (k = 0; k < ns && seen[k].code != code; k++)
            ;
        if (k == ns && ns < 32)
            seen[ns++] = (typeof(seen[0])){ code, 0 };
        if (k < ns)
            seen[k].count++;
    }
    json_key(j, "http_status");
    json_object_begin(j);
    for (unsigned k = 0; k < ns; k++) {
        char key[16];
        snprintf(key, sizeof key, "%ld", seen[k].code);
        json_key_uint(j, key, seen[k].count);
    }
    json_object_end(j);
    json_key_uint(j, "http_bytes", bytes);
    json_key_uint(j, "http_connects", connects);
    json_key_str(j, "http_target", c->embedded ? "embedded" : "user");
    json_key_bool(j, "http_reuse", !c->no_reuse);
    json_key_uint(j, "http_max_connections", c->max_conns);
    /* The timeout each transfer had: the default when --timeout-ms was absent. */
    json_key_uint(j, "http_default_timeout_ms", c->default_timeout_ms);
    /* The server still runs here (teardown stops it): its CPU time during the batch is the
     * difference of two /proc readings, kept apart from the client's figures. */
    if (c->server_pid > 0) {
        double now = proc_cpu_seconds(c->server_pid);
        if (now >= 0 && c->server_cpu_start >= 0)
            json_key_double(j, "server_cpu_s", now - c->server_cpu_start);
    }
}

/* ---- external programs (models/ext.h) ---- */

/* "urls": task i fetches urls[i % length]; "embedded": our own server answers them. */
static void http_ext_describe(void *ctx, struct json_out *j)
{
    const struct http_ctx *c = ctx;
    json_key(j, "urls");
    json_array_begin(j);
    for (unsigned k = 0; k < c->n_urls; k++)
        json_str(j, c->urls[k]);
    json_array_end(j);
    json_key_bool(j, "embedded", c->embedded);
}

/* "http_status", "bytes" and "fnv1a" (16 hex digits: FNV-1a 64 of the body, server.h). */
static int http_ext_take(void *ctx, unsigned i, const struct json_value *res,
                         struct task_result *r)
{
    const struct json_value *st = json_get(res, "http_status"), *b = json_get(res, "bytes"),
                            *f = json_get(res, "fnv1a"), *cn = json_get(res, "connects");
    char *end = NULL;
    (void)ctx;
    if (!st || st->type != JSON_NUMBER || !b || b->type != JSON_NUMBER || !f ||
        f->type != JSON_STRING || strlen(f->string) != 16 ||
        (r->value = strtoull(f->string, &end, 16), *end))
        return task_fail(r, TASK_FAILED, "bad result", "task %u: needs \"http_status\", "
                         "\"bytes\" and \"fnv1a\" (16 hex digits)", i);
    r->extra[0] = (int64_t)st->number;
    r->extra[1] = (int64_t)b->number;
    r->extra[2] = cn && cn->type == JSON_NUMBER ? (int64_t)cn->number : 0;
    return TASK_OK;
}

/* A copy of this set-up elsewhere (an mpi rank) fetches the embedded server's URL. */
static int http_share(void *ctx, struct options *o, char *buf, size_t len)
{
    struct http_ctx *c = ctx;
    if (!c->embedded)
        return 0;
    /* The URL carries the server's delay and body size: the options that ask the embedded
     * server for them go (a URL with --sleep-ms is refused as a usage error). */
    unsigned n = 0;
    for (unsigned k = 0; k < o->n; k++)
        if (strcmp(o->kv[k].name, "sleep-ms") != 0 && strcmp(o->kv[k].name, "bytes") != 0)
            o->kv[n++] = o->kv[k];
    o->n = n;
    if (o->n == OPTIONS_MAX)
        return 0;
    snprintf(buf, len, "%s", c->urls[0]);
    o->kv[o->n].name = "url";
    o->kv[o->n++].value = buf;
    return 0;
}

static const struct wopt http_opts[] = {
    { "sleep-ms", WOPT_UINT, "50", 0, 3600000, "embedded server: delay before each answer, in ms", NULL },
    { "bytes", WOPT_UINT, "1024", 0, 1u << 30, "embedded server: body size of each answer", NULL },
    { "url", WOPT_STRING, NULL, 0, 0, "fetch this URL in every task instead of the embedded server", NULL },
    { "urls", WOPT_STRING, NULL, 0, 0, "file with one URL a line; task i fetches line i mod L", NULL },
    { "no-reuse", WOPT_FLAG, NULL, 0, 0, "a new connection for every request", NULL },
    { "max-connections", WOPT_UINT, "0", 0, 1000000, "async form: at most C connections at "
      "once; the transfers beyond, started all the same, wait for one (0: a connection a "
      "transfer in flight)", NULL },
    { 0 },
};

/* Against the embedded server each fetch waits its --sleep-ms: ceil(N / j) x D. Against another
 * server the wait is unknown. */
static double http_ideal(const struct workload *w, const struct options *o,
                         const struct ideal_in *in)
{
    if (workload_opt(w, o, "url") || workload_opt(w, o, "urls"))
        return NAN;
    return workload_ideal_wait((double)workload_opt_u64(w, o, "sleep-ms") / 1000.0, in);
}

const struct workload workload_http = {
    .name = "http",
    .summary = "each task GETs a URL with libcurl (default: the embedded loopback server, "
               "/bytes/1024 after --sleep-ms 50)",
    .kind = &workload_kind_io,
    .label = "GET (the server waits)",
    .order = 2,
    .opts = http_opts,
    .sweep = {
        [WL_SCALE_QUICK] = { "--sleep-ms 20", "--sleep-ms 5" },
        [WL_SCALE_DEFAULT] = { "--sleep-ms 50", "--sleep-ms 10" },
    },
    .ideal_s = http_ideal,
    .setup = http_setup,
    .run = http_run,
    .start = http_start,
    .stop = http_stop,
    .verify = http_verify,
    .report = http_report,
    .teardown = http_teardown,
    .ext_describe = http_ext_describe,
    .ext_take = http_ext_take,
    .share = http_share,
};
