/* mpi.c — the mpi model: the tasks run on W worker ranks of an Open MPI job, on this machine
 * or on many (--hosts FILE, --mpi-args "...").
 *
 * This file is the launcher, in concbench's own process, and never links libmpi (its ~30
 * mappings would slow every fork of the other models): it starts
 *     mpirun [--oversubscribe] [--hostfile F] [MPI-ARGS] -np W+1 concbench-rank ARGS
 * (bin/concbench-rank, models/mpi_rank.c) before the batch is timed (model.prepare), waits
 * until every rank has set the workload up, then times the batch: rank 0, the dispatcher, hands
 * task ranges to the workers (guided like the pools, or --chunk C) and forwards each range and
 * each result to us over an abstract Unix socket; the results land in the harness's results
 * array, so verification, the record, the timelines and the charts work as for any model.
 *
 * Faults: a rank that dies makes Open MPI end the whole job. The task it was running (the
 * first of its range with no result) fails with the reason mpirun gives ("killed by SIGKILL",
 * rank and host in the message); the tasks the other ranks were running are cancelled ("MPI
 * job aborted"); what was never handed out stays not_started, and finished results are kept.
 * Ctrl-C: the tasks in flight are cancelled and the job is ended (SIGTERM to mpirun's process
 * group, SIGKILL after 0.5 s); every rank dies with its parent (PR_SET_PDEATHSIG). Every wait
 * is bounded: the start-up by --mpi-start-ms, the end by a few seconds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/child.h"
#include "models/model.h"
#include "models/mpi_wire.h"
#include "runtime/clock.h"
#include "runtime/event.h"

extern char **environ;

enum { TAG_MPIRUN = 0, TAG_LISTEN = 1000, TAG_CTL, TAG_OUT };

#define MPI_MAX_SHM 16
#define MPI_MAX_ARGS (OPTIONS_MAX * 2 + 64)
#define OUT_TAIL 16384

struct mpi_worker {
    uint64_t lo, hi, next;      /* its range; next: the first task without a result */
    double seen;                /* when next last moved (CLOCK_MONOTONIC) */
};

struct mpi_job {
    bool active;                /* prepare succeeded: run and finish follow */
    bool launched, ready, done, exited, cancelled;
    struct child_set cs;
    struct child mpirun;
    int wstatus;
    int lfd, ctl, out;          /* listening socket, rank 0's connection, mpirun's output */
    char out_tail[OUT_TAIL];    /* the last of mpirun's output (its error messages) */
    size_t out_len;
    int shm_fd[MPI_MAX_SHM];
    uint64_t shm_size[MPI_MAX_SHM];
    unsigned nshm;
    unsigned nw;                /* worker ranks */
    struct mpi_worker *w;       /* [rank - 1] */
    struct task_result *results;
    const struct run_params *p;
    bool started;               /* a range was handed out (the ready byte was sent) */
    double launch_s;
    char *argv[MPI_MAX_ARGS];
    char **envp;
    char strs[8192];            /* the argument strings */
    size_t strs_len;
    char share[4096];           /* the workload's share() strings */
    char fail[512];             /* why rank 0 said the job cannot run */
    char *frame;                /* the frame being read, and its capacity */
    size_t frame_cap;
    unsigned sock_at;           /* argv index of the socket's name */
    char rank_bin[4096], mpirun_path[4096];
};

static struct mpi_job job;     /* one batch at a time in a process */
extern const struct model model_mpi;

static const struct wopt mpi_opts[] = {
    { "hosts", WOPT_STRING, NULL, 0, 0,
      "Open MPI hostfile: where the ranks run (the launching host first: rank 0 dispatches)", NULL },
    { "mpi-args", WOPT_STRING, NULL, 0, 0,
      "more mpirun arguments, split at blanks (\"--mca btl tcp,self\")", NULL },
    { "mpi-btl", WOPT_STRING, NULL, 0, 0,
      "Open MPI's transports (--mca btl LIST): tcp,self keeps local ranks off shared memory", NULL },
    { "mpi-start-ms", WOPT_UINT, "60000", 100, 3600000,
      "give up when the ranks are not all set up within this time", NULL },
    { 0 },
};

/* ---- small helpers ---- */

static char *job_str(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *job_str(const char *fmt, ...)
{
    va_list ap;
    size_t left = sizeof job.strs - job.strs_len;
    va_start(ap, fmt);
    int n = vsnprintf(job.strs + job.strs_len, left, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= left)
        return NULL;
    char *s = job.strs + job.strs_len;
    job.strs_len += (size_t)n + 1;
    return s;
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

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void epoll_add(int fd, uint64_t tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
    epoll_ctl(job.cs.epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void epoll_del(int fd)
{
    epoll_ctl(job.cs.epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* PATH lookup, as execvp would do it. */
static bool find_in_path(const char *name, char *out, size_t len)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(out, len, "%.*s/%s", (int)n, n ? path : ".", name);
        if (access(out, X_OK) == 0)
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}

/* bin/concbench-rank beside this binary ($CONCBENCH_RANK overrides). */
static bool find_rank_bin(char *out, size_t len)
{
    const char *env = getenv("CONCBENCH_RANK");
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return access(out, X_OK) == 0;
    }
    ssize_t n = readlink("/proc/self/exe", out, len - 32);
    char *slash = n > 0 ? (out[n] = '\0', strrchr(out, '/')) : NULL;
    if (slash) {
        snprintf(slash + 1, len - (size_t)(slash + 1 - out), "concbench-rank");
        if (access(out, X_OK) == 0)
            return true;
    }
#ifdef CONCBENCH_RANK_BUILT
    /* A program of the build that is not in its bin folder (a test running batches itself). */
    if (access(CONCBENCH_RANK_BUILT, X_OK) == 0) {
        snprintf(out, len, "%s", CONCBENCH_RANK_BUILT);
        return true;
    }
#endif
    return false;
}

/* ---- the workload's shared memory, made reachable for the local ranks ---- */

/* Every anonymous shared mapping of this process except the harness's results and errors (the
 * workload's: the probe's counters, thumbnail's stage times) is moved onto a memfd at the same
 * address with the same contents, so local ranks can map it (models/mpi_rank.c, shm_alloc).
 * The order sent is the allocation order as mmap places them: highest address first. */
static void share_mappings(const struct task_result *results)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    struct { uintptr_t a, b; } maps[MPI_MAX_SHM];
    unsigned n = 0;
    uintptr_t ra = (uintptr_t)results, ea = (uintptr_t)results[0].err;

    if (!f)
        return;
    while (fgets(line, sizeof line, f) && n < MPI_MAX_SHM) {
        unsigned long a, b;
        char perms[8];
        int off = 0;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &a, &b, perms, &off) < 3 || off == 0)
            continue;
        if (perms[3] != 's' || strncmp(line + off, "/dev/zero (deleted)", 19) != 0)
            continue;
        if ((a <= ra && ra < b) || (a <= ea && ea < b))
            continue;
        maps[n].a = a;
        maps[n].b = b;
        n++;
    }
    fclose(f);
    for (unsigned k = 0; k < n; k++)        /* highest address first */
        for (unsigned j = k + 1; j < n; j++)
            if (maps[j].a > maps[k].a) {
                typeof(maps[0]) t = maps[k];
                maps[k] = maps[j];
                maps[j] = t;
            }
    for (unsigned k = 0; k < n; k++) {
        size_t len = maps[k].b - maps[k].a;
        void *at = (void *)maps[k].a;
        int fd = memfd_create("concbench-shm", MFD_CLOEXEC);
        if (fd < 0)
            break;
        void *tmp = ftruncate(fd, (off_t)len) == 0 ?
            mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
        if (tmp == MAP_FAILED) {
            close(fd);
            break;
        }
        memcpy(tmp, at, len);
        munmap(tmp, len);
        if (mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED) {
            close(fd);
            break;
        }
        job.shm_fd[job.nshm] = fd;
        job.shm_size[job.nshm++] = len;
    }
}

/* A local rank said hello: a worker gets the shared mappings and goes; rank 0 stays. */
static void accept_rank(void)
{
    int fd = accept4(job.lfd, NULL, NULL, SOCK_CLOEXEC);
    struct mpi_frame f;
    if (fd < 0)
        return;
    struct ucred cr;
    socklen_t cl = sizeof cr;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 || cr.uid != geteuid()) {
        close(fd);
        return;
    }
    struct timeval tv = { 2, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (read_all(fd, &f, sizeof f) < 0 || f.type != MPI_F_HELLO) {
        close(fd);
        return;
    }
    if (f.a == 0 && job.ctl < 0) {
        tv.tv_sec = 0;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        job.ctl = fd;
        epoll_add(fd, TAG_CTL);
        return;
    }
    struct mpi_frame s = { .type = MPI_F_SHM, .bytes = job.nshm * sizeof job.shm_size[0] };
    char cbuf[CMSG_SPACE(sizeof(int) * MPI_MAX_SHM)];
    struct iovec iov = { &s, sizeof s };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (job.nshm) {
        memset(cbuf, 0, sizeof cbuf);
        mh.msg_control = cbuf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * job.nshm);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * job.nshm);
        memcpy(CMSG_DATA(c), job.shm_fd, sizeof(int) * job.nshm);
    }
    if (sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof s && s.bytes)
        write_all(fd, job.shm_size, s.bytes);
    close(fd);
}

/* Keep the last OUT_TAIL bytes of mpirun's output. Returns false at its end. */
static bool read_output(void)
{
    char buf[4096];
    ssize_t n = read(job.out, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0) {
        epoll_del(job.out);
        return false;
    }
    if (job.out_len + (size_t)n >= OUT_TAIL) {     /* n < OUT_TAIL: buf is smaller */
        size_t drop = job.out_len + (size_t)n - (OUT_TAIL - 1);
        memmove(job.out_tail, job.out_tail + drop, job.out_len - drop);
        job.out_len -= drop;
    }
    memcpy(job.out_tail + job.out_len, buf, (size_t)n);
    job.out_len += (size_t)n;
    job.out_tail[job.out_len] = '\0';
    return true;
}

/* mpirun's most telling line, for an error message. */
static void output_reason(char *buf, size_t len)
{
    /* The specific cause first (ssh's words), then Open MPI's summary. */
    static const char *const keys[] = {
        "concbench-rank:", "No route", "refused", "Could not resolve", "Permission denied", "timed out",
        "not found", "ORTE was unable", "could not", "not able", "unable to", "rror", "cannot",
        NULL,
    };
    if (job.fail[0]) {
        size_t n = strlen(job.fail);
        if (n > len - 1)
            n = len - 1;
        memcpy(buf, job.fail, n);
        buf[n] = '\0';
        return;
    }
    size_t at = 0;
    buf[0] = '\0';
    for (const char *const *k = keys; *k && at < len / 2; k++) {
        const char *hit = strstr(job.out_tail, *k);
        if (!hit)
            continue;
        const char *s = hit;
        while (s > job.out_tail && s[-1] != '\n')
            s--;
        size_t n = strcspn(s, "\n");
        if (at && strstr(buf, "ORTE") == NULL && strncmp(s, "ORTE", 4) != 0)
            continue;       /* one specific line, plus the summary at most */
        if (at && memmem(buf, at, s, n))
            continue;
        at += (size_t)snprintf(buf + at, len - at, "%s%.*s", at ? " / " : "", (int)n, s);
        if (at >= len)
            return;
    }
    if (at)
        return;
    const char *s = job.out_tail + job.out_len;     /* else the last non-empty line */
    while (s > job.out_tail && (s[-1] == '\n' || s[-1] == '-' || s[-1] == ' '))
        s--;
    const char *e = s;
    while (s > job.out_tail && s[-1] != '\n')
        s--;
    snprintf(buf, len, "%.*s", (int)(e - s), s);
}

/* ---- launching ---- */

static void exec_mpirun(void *arg)
{
    (void)arg;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    setpgid(0, 0);      /* its own group: the job ends with one kill, a terminal's ^C is ours */
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0)
        dup2(null, 0);
    dup2(job.out, 1);   /* the write end, here */
    dup2(job.out, 2);
    execve(job.mpirun_path, job.argv, job.envp);
    dprintf(2, "cannot run %s: %s\n", job.mpirun_path, strerror(errno));
    _exit(127);
}

/* The environment of the job: ours, plus what Open MPI needs here. */
static char **job_env(void)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 16, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    const char *asan = NULL, *tsan = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(environ[i], "ASAN_OPTIONS=", 13) == 0)
            asan = environ[i] + 13;
        else if (strncmp(environ[i], "TSAN_OPTIONS=", 13) == 0)
            tsan = environ[i] + 13;
        else
            env[k++] = environ[i];
    }
    /* Open MPI refuses to run as root unless told twice. */
    if (geteuid() == 0) {
        if (!getenv("OMPI_ALLOW_RUN_AS_ROOT"))
            env[k++] = "OMPI_ALLOW_RUN_AS_ROOT=1";
        if (!getenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"))
            env[k++] = "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1";
    }
    /* Defaults that skip probing for fabrics this benchmark does not use (a command-line
     * --mca in --mpi-args wins over these), and no binding: the dispatcher shares a core. */
    if (!getenv("OMPI_MCA_pml"))
        env[k++] = "OMPI_MCA_pml=ob1";
    if (!getenv("OMPI_MCA_btl"))
        env[k++] = "OMPI_MCA_btl=self,vader,tcp";
    if (!getenv("OMPI_MCA_osc"))
        env[k++] = "OMPI_MCA_osc=^ucx";
    if (!getenv("OMPI_MCA_hwloc_base_binding_policy"))
        env[k++] = "OMPI_MCA_hwloc_base_binding_policy=none";
    if (!getenv("HWLOC_COMPONENTS"))        /* hwloc's OpenGL probe knocks on 10 X displays */
        env[k++] = "HWLOC_COMPONENTS=-gl";
    /* Sanitizer builds: libmpi's own start-up leaks (about 120 KB, inside MPI_Init) are not
     * ours to fix, so the ranks run with leak detection off; libmpi is not instrumented for
     * TSan, so its internals are not reported. */
    env[k++] = job_str("ASAN_OPTIONS=%s%sdetect_leaks=0", asan ? asan : "", asan ? ":" : "");
    if (tsan)
        env[k++] = job_str("TSAN_OPTIONS=%s:ignore_noninstrumented_modules=1", tsan);
    env[k] = NULL;
    return env;
}

static int build_argv(const struct workload *w, void *ctx, const struct options *o,
                      const struct run_params *p, const struct model *m, char *err,
                      size_t errlen)
{
    const char *hosts = wopt_value(m->opts, p->model_opts, "hosts");
    const char *extra = wopt_value(m->opts, p->model_opts, "mpi-args");
    const char *btl = wopt_value(m->opts, p->model_opts, "mpi-btl");
    struct options share = *o;
    unsigned k = 0;
    char *args;

    if (w->share) {
        int r = w->share(ctx, &share, job.share, sizeof job.share);
        if (r < 0) {
            snprintf(err, errlen, "workload %s cannot be shared with the ranks: %s", w->name,
                     strerror(-r));
            return r;
        }
    }
    job.argv[k++] = job.mpirun_path;
    if (hosts) {
        job.argv[k++] = "--hostfile";
        job.argv[k++] = (char *)hosts;
    } else {
        job.argv[k++] = "--oversubscribe";
    }
    if (btl) {
        job.argv[k++] = "--mca";
        job.argv[k++] = "btl";
        job.argv[k++] = (char *)btl;
    }
    if (extra && (args = job_str("%s", extra))) {
        for (char *t = strtok(args, " \t\n"); t && k < MPI_MAX_ARGS - 40 - 2 * OPTIONS_MAX;
             t = strtok(NULL, " \t\n"))
            job.argv[k++] = t;
    }
    job.argv[k++] = "-np";
    job.argv[k++] = job_str("%u", job.nw + 1);
    job.argv[k++] = job.rank_bin;
    job.argv[k++] = "--sock";
    job.sock_at = k;
    job.argv[k++] = "";             /* filled by prepare */
    job.argv[k++] = "--workload";
    job.argv[k++] = (char *)w->name;
    job.argv[k++] = "--tasks";
    job.argv[k++] = job_str("%u", p->tasks);
    job.argv[k++] = "--workers";
    job.argv[k++] = job_str("%u", p->concurrency);
    job.argv[k++] = "--chunk";
    job.argv[k++] = job_str("%u", p->chunk);
    job.argv[k++] = "--timeout-s";
    job.argv[k++] = job_str("%.17g", p->timeout_s);
    job.argv[k++] = "--inject-pct";
    job.argv[k++] = job_str("%.17g", p->inject_pct);
    for (unsigned i = 0; i < share.n; i++) {
        /* a later value of the same name (share's) wins: drop the earlier one */
        bool later = false;
        for (unsigned j = i + 1; j < share.n && !later; j++)
            later = strcmp(share.kv[j].name, share.kv[i].name) == 0;
        if (later)
            continue;
        job.argv[k++] = "--opt";
        job.argv[k++] = job_str("%s=%s", share.kv[i].name, share.kv[i].value);
    }
    job.argv[k] = NULL;
    for (unsigned i = 0; i < k; i++)
        if (!job.argv[i]) {
            snprintf(err, errlen, "too many arguments for mpirun");
            return -E2BIG;
        }
    return 0;
}

static void job_close(void)
{
    if (getenv("CONCBENCH_MPI_DEBUG"))
        fprintf(stderr, "---- mpirun's output (the last %zu bytes) ----\n%s\n----\n", job.out_len,
                job.out_tail);
    if (job.lfd >= 0)
        close(job.lfd);
    if (job.ctl >= 0)
        close(job.ctl);
    if (job.out >= 0)
        close(job.out);
    job.lfd = job.ctl = job.out = -1;
    for (unsigned k = 0; k < job.nshm; k++)
        close(job.shm_fd[k]);
    job.nshm = 0;
    child_set_destroy(&job.cs);
    free(job.envp);
    free(job.w);
    free(job.frame);
    job.envp = NULL;
    job.w = NULL;
    job.frame = NULL;
    job.frame_cap = 0;
    job.active = false;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* A killed mpirun leaves its session folder behind ($TMPDIR/ompi.HOST.UID/pid.PID, Open MPI
 * 4.1's layout). pid > 0: remove that one folder; 0: remove every one of ours whose mpirun is
 * gone (left by a run that was itself killed, say by a second Ctrl-C). */
static void remove_session_dir(pid_t pid)
{
    const char *tmp = getenv("TMPDIR");
    char host[256] = "", base[4096], dir[4400];
    struct stat st;
    if (gethostname(host, sizeof host - 1) < 0 || !host[0])
        return;
    snprintf(base, sizeof base, "%s/ompi.%s.%u", tmp && *tmp ? tmp : "/tmp", host,
             (unsigned)geteuid());
    if (pid > 0) {
        snprintf(dir, sizeof dir, "%s/pid.%d", base, (int)pid);
        if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid())
            nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return;
    }
    DIR *d = opendir(base);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int old = 0;
        if (sscanf(e->d_name, "pid.%d", &old) != 1 || old <= 0 ||
            (kill(old, 0) == 0 || errno != ESRCH))
            continue;
        snprintf(dir, sizeof dir, "%s/%s", base, e->d_name);
        if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid())
            nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    if (d)
        closedir(d);
}

/* End the job: SIGTERM to mpirun's group, SIGKILL after grace_s; reap mpirun. */
static void job_kill(double grace_s)
{
    if (!job.launched)
        return;
    if (!job.exited && job.mpirun.pid > 0) {
        kill(-job.mpirun.pid, SIGTERM);
        double until = clock_now() + grace_s;
        while (!job.exited && clock_now() < until) {
            uint32_t tags[8];
            bool c = false;
            int got = child_set_wait(&job.cs, until, tags, 8, &c);
            for (int t = 0; t < got; t++) {
                if (tags[t] == TAG_MPIRUN)
                    job.exited = true;
                else if (tags[t] == TAG_OUT)
                    read_output();
                else if (tags[t] == TAG_CTL) {      /* rank 0 is going: stop listening to it */
                    epoll_del(job.ctl);
                } else if (tags[t] == TAG_LISTEN) {
                    epoll_del(job.lfd);
                }
            }
        }
        if (!job.exited)
            kill(-job.mpirun.pid, SIGKILL);
    }
    pid_t pid = job.mpirun.pid;
    if (pid > 0) {
        struct rusage ru;
        child_reap(&job.cs, &job.mpirun, &job.wstatus, &ru);
        kill(-pid, SIGKILL);                /* anything left in its group */
        job.exited = true;
        if (!WIFEXITED(job.wstatus))
            remove_session_dir(pid);
    }
    job.launched = false;
}

/* ---- frames from the dispatcher ---- */

static void note_clock(const struct mpi_ready *r, const struct mpi_rank_info *in)
{
    unsigned other = 0, away = 0;
    double worst = 0, rtt = 0;
    for (unsigned k = 1; k < r->ranks; k++) {
        away += !in[k].local;
        if (!in[k].same_clock) {
            other++;
            if (fabs(in[k].offset_s) >= fabs(worst)) {
                worst = in[k].offset_s;
                rtt = in[k].rtt_s;
            }
        }
    }
    struct run_stats *s = job.p->stats;
    int n = snprintf(s->clock, sizeof s->clock, "%u of %u workers off this host; ", away,
                     r->ranks - 1);
    if (other == 0)
        snprintf(s->clock + n, sizeof s->clock - (size_t)n, "one clock (same boot id)");
    else
        snprintf(s->clock + n, sizeof s->clock - (size_t)n, "ping-pong offsets for %u, up to "
                 "%.1f us +- %.1f", other, worst * 1e6, rtt * 5e5);
}

static void take_results(uint32_t rank, const char *buf, size_t len)
{
    struct mpi_batch b;
    if (len < sizeof b || rank < 1 || rank > job.nw)
        return;
    memcpy(&b, buf, sizeof b);
    if (len < sizeof b + b.results * sizeof(struct mpi_result) +
                  b.errors * sizeof(struct mpi_error))
        return;
    const struct mpi_result *rs = (const void *)(buf + sizeof b);
    const struct mpi_error *es = (const void *)(buf + sizeof b + b.results * sizeof *rs);
    struct mpi_worker *wk = &job.w[rank - 1];
    for (uint32_t k = 0; k < b.results; k++) {
        struct mpi_result r;
        memcpy(&r, &rs[k], sizeof r);
        if (r.index >= job.p->tasks)
            continue;
        struct task_result *t = &job.results[r.index];
        t->start_s = r.start_s;
        t->end_s = r.end_s;
        t->value = r.value;
        memcpy(t->extra, r.extra, sizeof t->extra);
        t->status = r.status;
        if (r.index + 1 > wk->next) {
            wk->next = r.index + 1;
            wk->seen = clock_now();
        }
    }
    for (uint32_t k = 0; k < b.errors; k++) {
        struct mpi_error e;
        memcpy(&e, &es[k], sizeof e);
        if (e.index < job.p->tasks && job.results[e.index].err)
            *job.results[e.index].err = e.e;
    }
}

/* Read one frame from rank 0 and act on it. Returns false when the connection ended. */
static bool read_frame(void)
{
    struct mpi_frame f;

    if (read_all(job.ctl, &f, sizeof f) < 0)
        return false;
    if (f.bytes > job.frame_cap) {
        char *nb = realloc(job.frame, f.bytes);
        if (!nb)
            return false;
        job.frame = nb;
        job.frame_cap = f.bytes;
    }
    char *buf = job.frame;
    if (f.bytes && read_all(job.ctl, buf, f.bytes) < 0)
        return false;
    struct run_stats *s = job.p->stats;
    switch (f.type) {
    case MPI_F_READY: {
        struct mpi_ready r;
        if (f.bytes < sizeof r)
            return false;
        memcpy(&r, buf, sizeof r);
        if (f.bytes >= sizeof r + r.ranks * sizeof(struct mpi_rank_info))
            note_clock(&r, (const void *)(buf + sizeof r));
        job.ready = true;
        break;
    }
    case MPI_F_FAIL:
        snprintf(job.fail, sizeof job.fail, "%.*s", (int)f.bytes, buf);
        return false;
    case MPI_F_ASSIGN:
        if (f.a >= 1 && f.a <= job.nw && f.c <= job.p->tasks && f.b < f.c) {
            job.w[f.a - 1] = (struct mpi_worker){ f.b, f.c, f.b, clock_now() };
            if (!job.started) {
                job.started = true;
                model_task_started();
            }
        }
        break;
    case MPI_F_RESULTS:
        take_results(f.a, buf, f.bytes);
        break;
    case MPI_F_DONE: {
        struct mpi_done d;
        if (f.bytes < sizeof d)
            return false;
        memcpy(&d, buf, sizeof d);
        s->other_cpu_user_s = d.cpu_user_s;
        s->other_cpu_sys_s = d.cpu_sys_s;
        s->children_max_rss_kb = d.max_rss_kb;
        s->children_sum_rss_kb = d.sum_rss_kb;
        s->dispatch_cpu_s = d.dispatcher_cpu_s;
        if (!s->note[0] && d.dispatcher_wall_s > 0)
            snprintf(s->note, sizeof s->note, "dispatcher (rank 0) CPU %.3f s in %.3f s "
                     "(%.1f %%), %llu messages from %u workers", d.dispatcher_cpu_s,
                     d.dispatcher_wall_s, 100.0 * d.dispatcher_cpu_s / d.dispatcher_wall_s,
                     (unsigned long long)d.messages, job.nw);
        job.done = true;
        break;
    }
    default:
        return false;
    }
    return true;
}

/* Frames while rank 0 has more to say without blocking. */
static bool read_frames(void)
{
    do {
        if (!read_frame())
            return false;
        char c;
        ssize_t n = recv(job.ctl, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n <= 0)
            return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                   ? true : n != 0;
    } while (!job.done);
    return true;
}

/* One round of the event loop: returns false when nothing more will come (mpirun ended or
 * rank 0 went away). */
static bool job_wait(double deadline, bool *cancelled)
{
    uint32_t tags[16];
    int got = child_set_wait(&job.cs, deadline, tags, 16, cancelled);
    bool alive = true;
    if (got < 0)
        return false;
    for (int t = 0; t < got; t++) {
        switch (tags[t]) {
        case TAG_MPIRUN:
            /* Its output first: why it ended. */
            while (job.out >= 0 && read_output())
                ;
            job.exited = true;
            alive = false;
            break;
        case TAG_LISTEN:
            accept_rank();
            break;
        case TAG_CTL:
            if (!read_frames()) {
                epoll_del(job.ctl);
                alive = job.done;
            }
            break;
        case TAG_OUT:
            read_output();
            break;
        }
    }
    return alive;
}

/* ---- the model ---- */

static int mpi_prepare(const struct workload *w, void *ctx, const struct options *o,
                       const struct run_params *p, struct task_result *results, char *err,
                       size_t errlen)
{
    const struct model *m = &model_mpi;
    double start_timeout = (double)strtoull(wopt_value(m->opts, p->model_opts, "mpi-start-ms"),
                                            NULL, 10) / 1000.0;
    int r, pipefd[2];

    memset(&job, 0, sizeof job);
    job.lfd = job.ctl = job.out = -1;
    job.cs.epfd = -1;
    job.p = p;
    job.results = results;
    job.nw = p->concurrency ? p->concurrency : 1;
    if (job.nw > p->tasks)
        job.nw = p->tasks;

    if (!find_in_path("mpirun", job.mpirun_path, sizeof job.mpirun_path)) {
        snprintf(err, errlen, "mpirun not found (Open MPI is not installed); install it with: "
                 "apt-get install openmpi-bin libopenmpi-dev");
        return -ENOENT;
    }
    if (!find_rank_bin(job.rank_bin, sizeof job.rank_bin)) {
        snprintf(err, errlen, "%s not found: build it with make (it needs libopenmpi-dev)",
                 job.rank_bin[0] ? job.rank_bin : "concbench-rank");
        return -ENOENT;
    }
    if ((r = build_argv(w, ctx, o, p, m, err, errlen)) < 0)
        return r;
    if (!(job.envp = job_env()) || !(job.w = calloc(job.nw, sizeof *job.w))) {
        job_close();
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }

    /* The socket rank 0 (and every local worker) connects to: abstract, so it lives in this
     * network namespace only, and unguessable. */
    unsigned char rnd[12];
    int rfd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (rfd < 0 || read_all(rfd, rnd, sizeof rnd) < 0) {
        if (rfd >= 0)
            close(rfd);
        job_close();
        snprintf(err, errlen, "cannot read /dev/urandom");
        return -EIO;
    }
    close(rfd);
    char name[64];
    int nl = snprintf(name, sizeof name, "concbench-mpi-%d-", (int)getpid());
    for (size_t k = 0; k < sizeof rnd; k++)
        nl += snprintf(name + nl, sizeof name - (size_t)nl, "%02x", rnd[k]);
    job.argv[job.sock_at] = job_str("%s", name);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    memcpy(sa.sun_path + 1, name, (size_t)nl);
    job.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (job.lfd < 0 ||
        bind(job.lfd, (struct sockaddr *)&sa,
             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)nl)) < 0 ||
        listen(job.lfd, 256) < 0) {
        r = -errno;
        job_close();
        snprintf(err, errlen, "cannot listen on a Unix socket: %s", strerror(-r));
        return r;
    }
    if ((r = child_set_init(&job.cs, p->cancel)) < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
        r = r < 0 ? r : -errno;
        job_close();
        snprintf(err, errlen, "cannot watch the job: %s", strerror(-r));
        return r;
    }
    share_mappings(results);
    remove_session_dir(0);      /* what killed runs before this one left */

    /* Launch. */
    job.launch_s = clock_now();
    job.out = pipefd[1];
    r = child_spawn(&job.cs, &job.mpirun, TAG_MPIRUN, exec_mpirun, NULL);
    close(pipefd[1]);
    job.out = pipefd[0];
    if (r < 0) {
        job_close();
        snprintf(err, errlen, "cannot start mpirun: %s", strerror(-r));
        return r;
    }
    setpgid(job.mpirun.pid, job.mpirun.pid);    /* also here: no race with a kill */
    job.launched = job.active = true;
    fcntl(job.out, F_SETFL, O_NONBLOCK);
    epoll_add(job.lfd, TAG_LISTEN);
    epoll_add(job.out, TAG_OUT);

    /* Until rank 0 says every rank is set up, mpirun ends, Ctrl-C, or the start-up times out. */
    double deadline = job.launch_s + start_timeout;
    bool cancelled = false;
    while (!job.ready && !cancelled) {
        if (clock_now() >= deadline) {
            job_kill(0.5);
            char why[300];
            output_reason(why, sizeof why);
            snprintf(err, errlen, "the MPI job did not start within %.1f s (--mpi-start-ms)%s%s",
                     start_timeout, why[0] ? ": mpirun says: " : "", why);
            job_close();
            return -ETIMEDOUT;
        }
        if (!job_wait(deadline, &cancelled)) {
            /* mpirun ended, or rank 0 failed: wait a moment for its words */
            job_kill(1.0);
            char why[600];
            output_reason(why, sizeof why);
            snprintf(err, errlen, "the MPI job failed to start: %s", why[0] ? why : "mpirun "
                     "ended without a message");
            job_close();
            return -EIO;
        }
    }
    p->stats->startup_s = clock_now() - job.launch_s;
    if (cancelled)
        job_kill(0.5);      /* run() finds the job gone and leaves every task not_started */
    return 0;
}

/* The job ended with tasks in flight: settle them. dead: the rank that died (0: not known). */
static void settle_in_flight(int why, int dead, const char *reason)
{
    double now = clock_now() - job.p->t0;
    for (unsigned k = 0; k < job.nw; k++) {
        struct mpi_worker *wk = &job.w[k];
        if (wk->next >= wk->hi)
            continue;
        unsigned i = (unsigned)wk->next;
        struct task_result *r = &job.results[i];
        if (r->status != TASK_NOT_STARTED)
            continue;
        if (r->start_s < 0)
            r->start_s = now;
        r->end_s = now;
        if (why == TASK_CANCELLED)
            r->status = task_fail(r, TASK_CANCELLED, "cancelled", "task %u: cancelled", i);
        else if (dead == 0 || (int)k + 1 == dead)
            r->status = task_fail(r, TASK_FAILED, reason, "task %u: rank %u %s", i, k + 1,
                                  reason);
        else
            r->status = task_fail(r, TASK_CANCELLED, "MPI job aborted",
                                  "task %u: the MPI job ended when rank %d died", i, dead);
    }
}

/* Why the job died, from mpirun's words: the rank, and "killed by SIGKILL" / "exit status 3". */
static int death_reason(char *reason, size_t len)
{
    const char *t = job.out_tail;
    const char *at = strstr(t, "process rank ");
    int rank = 0, sig = 0, code = 0;
    if (at && sscanf(at, "process rank %d", &rank) == 1) {
        const char *s = strstr(at, "exited on signal ");
        if (s && sscanf(s, "exited on signal %d", &sig) == 1) {
            child_status_text(sig & 0x7f, reason, len);
            return rank;
        }
    }
    if ((at = strstr(t, "Process name: [[")) && (at = strchr(at + 16, ',')) &&
        sscanf(at + 1, "%d]", &rank) == 1) {
        const char *s = strstr(at, "Exit code:");
        if (s && sscanf(s, "Exit code: %d", &code) == 1) {
            snprintf(reason, len, "exit status %d", code);
            return rank;
        }
    }
    snprintf(reason, len, "MPI job ended");
    return 0;
}

static int mpi_run(const struct workload *w, void *ctx, const struct run_params *p,
                   struct task_result *results)
{
    (void)w;
    (void)ctx;
    (void)results;
    if (!job.active || !job.launched)
        return 0;       /* cancelled during the start-up: nothing ran */
    struct mpi_frame go = { .type = MPI_F_GO, .t = p->t0 };
    bool cancelled = event_is_set(p->cancel), alive = true;
    if (!cancelled && write_all(job.ctl, &go, sizeof go) < 0)
        alive = false;
    /* The timeout backstop, as in the process pool: a task still without a result timeout +
     * 1 s (+ the workers' 1 ms of result batching) after the previous one ended has ignored
     * its deadline; its rank is killed, which ends the job. */
    double limit = p->timeout_s + 1.0 + 0.01;
    int overran = 0;
    while (alive && !cancelled && !job.done) {
        double next = 0, now = clock_now();
        for (unsigned k = 0; p->timeout_s > 0 && k < job.nw && !overran; k++) {
            const struct mpi_worker *wk = &job.w[k];
            if (wk->next >= wk->hi)
                continue;
            if (now >= wk->seen + limit)
                overran = (int)k + 1;
            else if (next == 0 || wk->seen + limit < next)
                next = wk->seen + limit;
        }
        if (overran)
            break;
        if (p->timeout_s > 0 && next == 0)
            next = now + limit;
        alive = job_wait(next, &cancelled);
    }
    if (job.done)
        return 0;
    if (overran) {
        struct mpi_worker *wk = &job.w[overran - 1];
        struct task_result *r = &job.results[wk->next];
        double now = clock_now() - p->t0;
        if (r->start_s < 0)
            r->start_s = wk->seen - p->t0;
        r->end_s = now;
        r->status = task_fail(r, TASK_TIMEOUT, "timeout", "task %u: timeout, its rank %d was "
                              "killed %.0f ms after its start", (unsigned)wk->next, overran,
                              (now - r->start_s) * 1e3);
        settle_in_flight(TASK_FAILED, overran, "timeout");
        job_kill(0.25);
        snprintf(p->stats->note, sizeof p->stats->note, "task %u of rank %d ignored its "
                 "deadline: the job was ended (the other ranks' tasks in flight cancelled)",
                 (unsigned)wk->next, overran);
        return 0;
    }
    if (cancelled) {
        settle_in_flight(TASK_CANCELLED, 0, NULL);
        job_kill(0.25);
        return 0;
    }
    /* The job ended before the batch did: a rank died, and Open MPI ends them all. mpirun
     * says which and why as it goes: let it, a few seconds at most. */
    double until = clock_now() + 3.0;
    while (!job.exited && clock_now() < until) {
        bool c = false;
        job_wait(until, &c);
    }
    job_kill(1.0);
    char reason[40];
    int dead = death_reason(reason, sizeof reason);
    settle_in_flight(TASK_FAILED, dead, reason);
    char why[200];
    output_reason(why, sizeof why);
    if (!dead)
        snprintf(p->stats->note, sizeof p->stats->note, "the MPI job ended mid-batch: %s", why);
    else
        snprintf(p->stats->note, sizeof p->stats->note, "rank %d %s mid-batch; Open MPI ended "
                 "the job: its task failed, the other ranks' tasks in flight were cancelled",
                 dead, reason);
    return 0;
}

static void mpi_finish(const struct run_params *p)
{
    (void)p;
    if (!job.active)
        return;
    if (job.launched && job.done) {
        /* The ranks finalize and exit: wait for mpirun, a few seconds at most. */
        double until = clock_now() + 10.0;
        bool c = false;
        while (!job.exited && clock_now() < until)
            if (!job_wait(until, &c) && !job.exited)
                break;
    }
    job_kill(1.0);
    if (job.done && !(WIFEXITED(job.wstatus) && WEXITSTATUS(job.wstatus) == 0) &&
        !job.p->stats->note[0]) {
        char why[200];
        output_reason(why, sizeof why);
        snprintf(job.p->stats->note, sizeof job.p->stats->note,
                 "mpirun ended badly after the batch: %s", why);
    }
    job_close();
}

const struct model model_mpi = {
    .name = "mpi",
    .summary = "W Open MPI worker ranks, on this machine or many (--hosts), take task ranges "
               "from a dispatcher rank (-j W)",
    .order = 9,             /* 7 is the proof build's test model */
    .color = "#882255",
    .pool = true,
    .forks = true,
    .conc = MODEL_CONC_POOL,
    .dispatch_s = 4e-6,
    .cost_text = "a message to a dispatcher rank and its answer for each range of task indices "
                 "(guided, so few), and the 64-byte results sent back over MPI to the "
                 "dispatcher and on to concbench; the job's start-up (mpirun, MPI_Init, the "
                 "workload's set-up on every rank) is outside the timed region",
    .opts = mpi_opts,
    .remote = true,
    .prepare = mpi_prepare,
    .run = mpi_run,
    .finish = mpi_finish,
};
