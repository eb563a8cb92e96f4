/* mpi_rank.c — bin/concbench-rank, the program every rank of the mpi model's job runs
 * (models/mpi.c launches it with mpirun). It is the only program linked with libmpi, so no
 * process of the other models maps Open MPI's libraries.
 *
 * Rank 0 is the dispatcher: it hands task ranges to the workers (guided like the pools, or
 * --chunk C), forwards every range it hands out and every result that comes back to the
 * launcher over an abstract Unix socket, and runs no task. Ranks 1..W are the workers: each
 * sets the workload up, runs its ranges with model_exec_task (the one way every model runs a
 * task) and sends the 64-byte results and the error texts back.
 *
 * Nobody spins: Open MPI 4.1 has no blocking progress mode (a rank in MPI_Recv takes a whole
 * core), so every wait here is MPI_Test / MPI_Iprobe with a nanosleep back-off that grows from
 * 1 us to 1 ms (mpi_wait_req).
 *
 * Clocks: a worker whose boot id is the dispatcher's shares its CLOCK_MONOTONIC (and the
 * launcher's); another one's offset is measured by ping-pong (the best of 16 round trips), so
 * every task time is on the launcher's clock.
 *
 * Shared memory: a worker on the launcher's host (one that can reach its abstract socket, which
 * lives in the launcher's network namespace) receives the workload's shared mappings as memfds,
 * and shm_alloc below hands them out to its set-up in the launcher's order, so a workload's
 * shared counters (the probe's) and per-task arrays (thumbnail's stage times) are the
 * launcher's. Elsewhere shm_alloc is plain anonymous memory. */
#include <mpi.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "models/model.h"
#include "models/mpi_wire.h"
#include "runtime/clock.h"
#include "runtime/event.h"
#include "runtime/shm.h"

/* ---- shared mappings (replaces runtime/shm.c in this program) ---- */

#define RANK_MAX_SHM 16
static struct { int fd; size_t size; bool used; } shm_from[RANK_MAX_SHM];
static unsigned shm_n;

static size_t page_round(size_t size)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (size + pg - 1) / pg * pg;
}

void *shm_alloc(size_t size)
{
    if (size == 0)
        size = 1;
    for (unsigned k = 0; k < shm_n; k++)
        if (!shm_from[k].used && shm_from[k].size == page_round(size)) {
            void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, shm_from[k].fd, 0);
            if (p != MAP_FAILED) {
                shm_from[k].used = true;
                return p;
            }
        }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void shm_free(void *p, size_t size)
{
    if (p)
        munmap(p, size == 0 ? 1 : size);
}

/* ---- the command line ---- */

struct rank_args {
    const char *sock, *workload;
    unsigned tasks, workers, chunk;
    double timeout_s, inject_pct;
    struct options opts;
};

static int parse_args(int argc, char **argv, struct rank_args *a)
{
    memset(a, 0, sizeof *a);
    for (int k = 1; k + 1 < argc; k += 2) {
        const char *o = argv[k], *v = argv[k + 1];
        if (strcmp(o, "--sock") == 0) a->sock = v;
        else if (strcmp(o, "--workload") == 0) a->workload = v;
        else if (strcmp(o, "--tasks") == 0) a->tasks = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(o, "--workers") == 0) a->workers = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(o, "--chunk") == 0) a->chunk = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(o, "--timeout-s") == 0) a->timeout_s = strtod(v, NULL);
        else if (strcmp(o, "--inject-pct") == 0) a->inject_pct = strtod(v, NULL);
        else if (strcmp(o, "--opt") == 0) {
            char *eq = strchr(v, '=');
            if (!eq || a->opts.n == OPTIONS_MAX)
                return -1;
            *eq = '\0';
            a->opts.kv[a->opts.n].name = v;
            a->opts.kv[a->opts.n].value = eq + 1;
            a->opts.n++;
        } else {
            return -1;
        }
    }
    return a->sock && a->workload && a->tasks && a->workers ? 0 : -1;
}

/* ---- waiting without spinning ---- */

static void nap_ns(long ns)
{
    struct timespec ts = { 0, ns };
    nanosleep(&ts, NULL);
}

/* The back-off of one wait: polls at full speed for SPIN_S (a reply that is on its way costs
 * microseconds), then naps that double from 20 us up to 1 ms (an idle rank wakes 1,000 times a
 * second: well under 1 % of a core). */
#define SPIN_S 50e-6
struct backoff { double since; long ns; unsigned polls; };

static void backoff_step(struct backoff *b)
{
    b->polls++;
    double now = clock_now();
    if (b->since == 0)
        b->since = now;
    if (now - b->since < SPIN_S)
        return;
    b->ns = b->ns ? b->ns * 2 : 20000;
    if (b->ns > 1000000)
        b->ns = 1000000;
    nap_ns(b->ns);
}

static void mpi_wait_req(MPI_Request *req, MPI_Status *st)
{
    struct backoff b = { 0, 0, 0 };
    int done = 0;
    for (;;) {
        MPI_Test(req, &done, st ? st : MPI_STATUS_IGNORE);
        if (done)
            return;
        backoff_step(&b);
    }
}

static void recv_wait(void *buf, int count, MPI_Datatype t, int src, int tag, MPI_Status *st)
{
    MPI_Request req;
    MPI_Irecv(buf, count, t, src, tag, MPI_COMM_WORLD, &req);
    mpi_wait_req(&req, st);
}

static void send_wait(const void *buf, int count, MPI_Datatype t, int dst, int tag)
{
    MPI_Request req;
    MPI_Isend(buf, count, t, dst, tag, MPI_COMM_WORLD, &req);
    mpi_wait_req(&req, NULL);
}

static double cpu_of(const struct timeval *u)
{
    return (double)u->tv_sec + (double)u->tv_usec * 1e-6;
}

/* ---- the launcher's socket ---- */

static int sock_connect(const char *name)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t len = strlen(name);
    if (len + 1 > sizeof sa.sun_path)
        return -1;
    memcpy(sa.sun_path + 1, name, len);     /* abstract: a leading NUL */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                                                         1 + len)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int frame_send(int fd, uint32_t type, uint32_t a, uint64_t b, uint64_t c, double t,
                      const void *payload, size_t bytes)
{
    struct mpi_frame f = { type, a, b, c, t, bytes };
    if (write_all(fd, &f, sizeof f) < 0)
        return -1;
    return bytes ? write_all(fd, payload, bytes) : 0;
}

/* A worker on the launcher's host: say hello, receive the workload's shared mappings. */
static bool receive_shm(int fd, int rank)
{
    struct mpi_frame f;
    uint64_t sizes[RANK_MAX_SHM];
    char cbuf[CMSG_SPACE(sizeof(int) * RANK_MAX_SHM)];
    if (frame_send(fd, MPI_F_HELLO, (uint32_t)rank, 0, 0, 0, NULL, 0) < 0)
        return false;
    struct iovec iov = { &f, sizeof f };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                         .msg_controllen = sizeof cbuf };
    ssize_t n = recvmsg(fd, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC);
    if (n != (ssize_t)sizeof f || f.type != MPI_F_SHM || f.bytes > sizeof sizes)
        return false;
    if (f.bytes && read_all(fd, sizes, f.bytes) < 0)
        return false;
    unsigned nfd = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            nfd = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (unsigned k = 0; k < nfd && k < RANK_MAX_SHM; k++) {
                memcpy(&shm_from[k].fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
                shm_from[k].size = k < f.bytes / sizeof sizes[0] ? sizes[k] : 0;
            }
        }
    shm_n = nfd < RANK_MAX_SHM ? nfd : RANK_MAX_SHM;
    return true;
}

static void boot_id(char *buf, size_t len)
{
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    buf[0] = '\0';
    if (f) {
        if (!fgets(buf, (int)len, f))
            buf[0] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
}

/* ---- a worker ---- */

#define FLUSH_RESULTS 4096      /* results a message at most */
#define FLUSH_AFTER_S 0.001     /* a result waits at most this long for company */

struct outbuf {
    char *buf;                  /* struct mpi_batch, results, then errors (copied in at send) */
    struct mpi_result *res;
    struct mpi_error *err;
    unsigned nres, nerr;
    MPI_Request req;            /* the send in flight from this buffer, or MPI_REQUEST_NULL */
};

struct worker {
    const struct workload *w;
    void *ctx;
    struct run_params p;
    struct outbuf ob[2];        /* double-buffered: one fills while the other is sent */
    unsigned cur;
    double last_flush;
    struct rusage ru0;
};

static int outbuf_init(struct outbuf *o)
{
    o->buf = malloc(sizeof(struct mpi_batch) + FLUSH_RESULTS * sizeof(struct mpi_result) +
                    FLUSH_RESULTS * sizeof(struct mpi_error));
    o->res = malloc(FLUSH_RESULTS * sizeof *o->res);
    o->err = malloc(FLUSH_RESULTS * sizeof *o->err);
    o->req = MPI_REQUEST_NULL;
    return o->buf && o->res && o->err ? 0 : -1;
}

/* Send what the current buffer holds (want_more: ask for the next range; last: the final
 * message, with the CPU figures). */
static void worker_flush(struct worker *wk, bool want_more, bool last)
{
    struct outbuf *o = &wk->ob[wk->cur];
    struct mpi_batch b = { o->nres, o->nerr, want_more, last, 0, 0, 0 };
    if (last) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        b.cpu_user_s = cpu_of(&ru.ru_utime) - cpu_of(&wk->ru0.ru_utime);
        b.cpu_sys_s = cpu_of(&ru.ru_stime) - cpu_of(&wk->ru0.ru_stime);
        b.max_rss_kb = ru.ru_maxrss;
    }
    size_t len = sizeof b;
    memcpy(o->buf, &b, sizeof b);
    memcpy(o->buf + len, o->res, o->nres * sizeof *o->res);
    len += o->nres * sizeof *o->res;
    memcpy(o->buf + len, o->err, o->nerr * sizeof *o->err);
    len += o->nerr * sizeof *o->err;
    MPI_Isend(o->buf, (int)len, MPI_BYTE, 0, MPI_TAG_RESULTS, MPI_COMM_WORLD, &o->req);
    wk->last_flush = clock_now();
    /* Switch buffers; the other one's send must be over before it is filled again. */
    wk->cur ^= 1;
    struct outbuf *n = &wk->ob[wk->cur];
    if (n->req != MPI_REQUEST_NULL)
        mpi_wait_req(&n->req, NULL);
    n->nres = n->nerr = 0;
}

static void worker_run_range(struct worker *wk, uint64_t lo, uint64_t hi)
{
    struct task_error te;
    for (uint64_t i = lo; i < hi; i++) {
        struct task_result r = { .start_s = -1, .end_s = -1, .index = (uint32_t)i, .err = &te };
        te.kind[0] = te.msg[0] = '\0';
        int status = model_exec_task(wk->w, wk->ctx, &wk->p, (unsigned)i, &r);
        r.status = status;
        struct outbuf *o = &wk->ob[wk->cur];
        o->res[o->nres++] = (struct mpi_result){ r.start_s, r.end_s, r.status, (uint32_t)i,
                                                 r.value, { r.extra[0], r.extra[1], r.extra[2] } };
        if (status != TASK_OK && (te.kind[0] || te.msg[0]))
            o->err[o->nerr++] = (struct mpi_error){ (uint32_t)i, 0, te };
        /* With --timeout-ms every result goes at once: the launcher's backstop reads a task
         * without a result as the one running. */
        if (i + 1 < hi && (o->nres == FLUSH_RESULTS || wk->p.timeout_s > 0 ||
                           clock_now() - wk->last_flush >= FLUSH_AFTER_S))
            worker_flush(wk, false, false);
    }
}

static int worker_main(const struct rank_args *a, int rank, int sockfd)
{
    struct worker wk = { 0 };
    struct event cancel;
    struct run_stats stats = { 0 };
    struct mpi_rank_info info = { .rank = rank, .pid = getpid() };
    char boot[40];

    gethostname(info.host, sizeof info.host - 1);
    info.local = sockfd >= 0 && receive_shm(sockfd, rank);
    if (sockfd >= 0)
        close(sockfd);
    boot_id(boot, sizeof boot);
    snprintf(info.err, sizeof info.err, "%s", boot);   /* the boot id travels in err when ok */

    wk.w = workload_find(a->workload);
    wk.p = (struct run_params){ .tasks = a->tasks, .concurrency = a->workers, .capped = true,
                                .chunk = a->chunk, .timeout_s = a->timeout_s,
                                .inject_pct = a->inject_pct, .stats = &stats };
    info.ok = 1;
    if (event_init(&cancel) < 0 || outbuf_init(&wk.ob[0]) < 0 || outbuf_init(&wk.ob[1]) < 0) {
        info.ok = 0;
        snprintf(info.err, sizeof info.err, "out of memory");
    } else if (!wk.w) {
        info.ok = 0;
        snprintf(info.err, sizeof info.err, "no workload '%s' in this concbench-rank",
                 a->workload);
    } else {
        char why[256] = "";
        wk.p.cancel = &cancel;
        int r = wk.w->setup(&a->opts, &wk.p, &wk.ctx, why, sizeof why);
        if (r < 0) {
            info.ok = 0;
            snprintf(info.err, sizeof info.err, "%s: %s", wk.w->name, why[0] ? why : strerror(-r));
        }
    }
    if (info.ok && a->inject_pct > 0)
        model_calibrate_inject();
    send_wait(&info, sizeof info, MPI_BYTE, 0, MPI_TAG_READY);

    /* Ping-pong until GO: answer each ping with this clock. */
    double t0 = 0;
    for (;;) {
        double v;
        MPI_Status st;
        recv_wait(&v, 1, MPI_DOUBLE, 0, MPI_ANY_TAG, &st);
        if (st.MPI_TAG == MPI_TAG_PING) {
            double now = clock_now();
            MPI_Send(&now, 1, MPI_DOUBLE, 0, MPI_TAG_PING, MPI_COMM_WORLD);
            continue;
        }
        t0 = v;     /* MPI_TAG_GO: the batch start on this rank's clock; < 0: no batch */
        break;
    }
    if (t0 >= 0 && info.ok) {
        wk.p.t0 = t0;
        getrusage(RUSAGE_SELF, &wk.ru0);
        wk.last_flush = clock_now();
        for (;;) {
            uint64_t range[2];
            worker_flush(&wk, true, false);     /* the results so far; asks for a range */
            recv_wait(range, 2, MPI_UINT64_T, 0, MPI_TAG_RANGE, NULL);
            if (range[0] >= range[1])
                break;
            worker_run_range(&wk, range[0], range[1]);
        }
        worker_flush(&wk, false, true);
        for (int k = 0; k < 2; k++)
            if (wk.ob[k].req != MPI_REQUEST_NULL)
                mpi_wait_req(&wk.ob[k].req, NULL);
    }
    if (info.ok && wk.w)
        wk.w->teardown(wk.ctx);
    return 0;
}

/* ---- the dispatcher ---- */

struct dispatcher {
    const struct rank_args *a;
    int fd, nw;
    uint64_t next;
    bool cancelled;
    unsigned finished;
    struct mpi_done done;
    char *buf;
    size_t cap;
};

static uint64_t next_range(struct dispatcher *d, uint64_t *lo)
{
    uint64_t n = d->a->tasks, c;
    if (d->cancelled || d->next >= n)
        return 0;
    if (d->a->chunk)
        c = d->a->chunk;
    else if ((c = (n - d->next) / (2 * (uint64_t)d->nw)) == 0)
        c = 1;
    if (c > n - d->next)
        c = n - d->next;
    *lo = d->next;
    d->next += c;
    return c;
}

/* The launcher said something (cancel), or went away. Returns false when it is gone. */
static bool poll_launcher(struct dispatcher *d)
{
    struct mpi_frame f;
    ssize_t n = recv(d->fd, &f, sizeof f, MSG_DONTWAIT | MSG_PEEK);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (n == 0)
        return false;
    if (n < (ssize_t)sizeof f)
        return true;
    if (read_all(d->fd, &f, sizeof f) < 0)
        return false;
    if (f.type == MPI_F_CANCEL)
        d->cancelled = true;
    return true;
}

static int dispatch(struct dispatcher *d)
{
    struct backoff b = { 0, 0, 0 };
    struct rusage ru0, ru1;
    double start = clock_now();

    getrusage(RUSAGE_SELF, &ru0);
    while (d->finished < (unsigned)d->nw) {
        int flag = 0, bytes = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_TAG_RESULTS, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            if (b.polls % 16 == 15 && !poll_launcher(d))
                return -1;
            backoff_step(&b);
            continue;
        }
        b = (struct backoff){ 0, 0, 0 };
        MPI_Get_count(&st, MPI_BYTE, &bytes);
        if ((size_t)bytes > d->cap) {
            free(d->buf);
            d->cap = (size_t)bytes;
            if (!(d->buf = malloc(d->cap)))
                return -1;
        }
        MPI_Recv(d->buf, bytes, MPI_BYTE, st.MPI_SOURCE, MPI_TAG_RESULTS, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        d->done.messages++;
        struct mpi_batch bt;
        memcpy(&bt, d->buf, sizeof bt);
        if ((bt.results || bt.errors) &&
            frame_send(d->fd, MPI_F_RESULTS, (uint32_t)st.MPI_SOURCE, 0, 0, 0, d->buf,
                       (size_t)bytes) < 0)
            return -1;
        if (bt.last) {
            d->finished++;
            d->done.cpu_user_s += bt.cpu_user_s;
            d->done.cpu_sys_s += bt.cpu_sys_s;
            d->done.sum_rss_kb += bt.max_rss_kb;
            if (bt.max_rss_kb > d->done.max_rss_kb)
                d->done.max_rss_kb = bt.max_rss_kb;
        }
        if (bt.want_more) {
            if (b.polls == 0 && !poll_launcher(d))   /* a cancel stops the hand-out at once */
                return -1;
            uint64_t range[2] = { 0, 0 };
            uint64_t c = next_range(d, &range[0]);
            range[1] = range[0] + c;
            if (c && frame_send(d->fd, MPI_F_ASSIGN, (uint32_t)st.MPI_SOURCE, range[0],
                                range[1], 0, NULL, 0) < 0)
                return -1;
            MPI_Send(range, 2, MPI_UINT64_T, st.MPI_SOURCE, MPI_TAG_RANGE, MPI_COMM_WORLD);
        }
    }
    getrusage(RUSAGE_SELF, &ru1);
    d->done.dispatcher_cpu_s = cpu_of(&ru1.ru_utime) - cpu_of(&ru0.ru_utime) +
                               cpu_of(&ru1.ru_stime) - cpu_of(&ru0.ru_stime);
    d->done.cpu_user_s += cpu_of(&ru1.ru_utime) - cpu_of(&ru0.ru_utime);
    d->done.cpu_sys_s += cpu_of(&ru1.ru_stime) - cpu_of(&ru0.ru_stime);
    d->done.dispatcher_wall_s = clock_now() - start;
    return frame_send(d->fd, MPI_F_DONE, 0, 0, 0, 0, &d->done, sizeof d->done);
}

/* Offset of worker k's clock from ours: the ping-pong of the smallest round trip. */
static void measure_offset(int k, struct mpi_rank_info *info)
{
    double best = 1e9, off = 0;
    for (int t = 0; t < 16; t++) {
        double a = clock_now(), theirs;
        MPI_Send(&a, 1, MPI_DOUBLE, k, MPI_TAG_PING, MPI_COMM_WORLD);
        recv_wait(&theirs, 1, MPI_DOUBLE, k, MPI_TAG_PING, NULL);
        double z = clock_now();
        if (z - a < best) {
            best = z - a;
            off = theirs - (a + z) / 2;
        }
    }
    info->offset_s = off;
    info->rtt_s = best;
}

static int dispatcher_main(const struct rank_args *a, int nranks, int fd)
{
    struct dispatcher d = { .a = a, .fd = fd, .nw = nranks - 1 };
    size_t isz = sizeof(struct mpi_rank_info) * (size_t)nranks;
    struct mpi_rank_info *infos = calloc((size_t)nranks, sizeof *infos);
    char boot[40], msg[600] = "";
    int rc = 0;

    if (!infos)
        return -1;
    if (frame_send(fd, MPI_F_HELLO, 0, 0, 0, 0, NULL, 0) < 0)
        return -1;
    infos[0] = (struct mpi_rank_info){ .rank = 0, .ok = 1, .pid = getpid(), .local = 1,
                                       .same_clock = 1 };
    gethostname(infos[0].host, sizeof infos[0].host - 1);
    boot_id(boot, sizeof boot);
    if (getenv("CONCBENCH_MPI_PINGPONG"))   /* tests: measure offsets even on one clock */
        boot[0] = '\0';
    for (int k = 1; k < nranks; k++) {
        MPI_Status st;
        struct mpi_rank_info in;
        recv_wait(&in, sizeof in, MPI_BYTE, MPI_ANY_SOURCE, MPI_TAG_READY, &st);
        infos[st.MPI_SOURCE] = in;
    }
    unsigned hosts = 0;
    for (int k = 0; k < nranks; k++) {
        struct mpi_rank_info *in = &infos[k];
        bool seen = false;
        for (int j = 0; j < k && !seen; j++)
            seen = strcmp(infos[j].host, in->host) == 0;
        hosts += !seen;
        if (k == 0)
            continue;
        if (!in->ok) {
            if (!msg[0])
                snprintf(msg, sizeof msg, "rank %d on %s: %s", k, in->host, in->err);
            continue;
        }
        in->same_clock = boot[0] && strcmp(in->err, boot) == 0;
        in->err[0] = '\0';
        if (!in->same_clock)
            measure_offset(k, in);
    }
    if (msg[0]) {
        frame_send(fd, MPI_F_FAIL, 0, 0, 0, 0, msg, strlen(msg) + 1);
        rc = -1;
    } else {
        struct mpi_ready r = { (uint32_t)nranks, hosts };
        char *pay = malloc(sizeof r + isz);
        if (pay) {
            memcpy(pay, &r, sizeof r);
            memcpy(pay + sizeof r, infos, isz);
        }
        if (!pay || frame_send(fd, MPI_F_READY, 0, 0, 0, 0, pay, sizeof r + isz) < 0)
            rc = -1;
        free(pay);
    }

    /* GO from the launcher (or its end): the batch start, passed on to every worker on its
     * own clock. */
    struct mpi_frame f;
    double t0 = -1;
    if (rc == 0 && read_all(fd, &f, sizeof f) == 0 && f.type == MPI_F_GO)
        t0 = f.t;
    else
        rc = -1;
    for (int k = 1; k < nranks; k++) {
        double v = t0 < 0 || !infos[k].ok ? -1 : t0 + infos[k].offset_s;
        MPI_Send(&v, 1, MPI_DOUBLE, k, MPI_TAG_GO, MPI_COMM_WORLD);
    }
    free(infos);
    if (rc == 0)
        rc = dispatch(&d);
    free(d.buf);
    return rc;
}

int main(int argc, char **argv)
{
    struct rank_args a;
    int rank = 0, size = 0, rc = 0;

    prctl(PR_SET_PDEATHSIG, SIGKILL);       /* never outlive mpirun or the orted */
    prctl(PR_SET_TIMERSLACK, 10000UL);      /* naps of 20 us are not 70 us */
    if (parse_args(argc, argv, &a) < 0) {
        fprintf(stderr, "concbench-rank: started by the mpi model of concbench, with its "
                "arguments; not a command for people\n");
        return 2;
    }
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    int fd = sock_connect(a.sock);
    if (rank == 0) {
        if (fd < 0) {
            char host[64] = "";
            gethostname(host, sizeof host - 1);
            fprintf(stderr, "concbench-rank: rank 0 (the dispatcher) runs on %s, which cannot "
                    "reach the launcher: list the launching host first in the hostfile\n", host);
            MPI_Abort(MPI_COMM_WORLD, 3);
        }
        rc = dispatcher_main(&a, size, fd);
        close(fd);
        if (rc < 0)
            MPI_Abort(MPI_COMM_WORLD, 3);
    } else {
        rc = worker_main(&a, rank, fd);
    }
    MPI_Finalize();
    return rc < 0 ? 3 : 0;
}
