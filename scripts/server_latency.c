/* server_latency.c — a burst of N concurrent HTTP requests, one a connection, and the
 * distribution of their delays (send of the request to the end of its response).
 *
 * usage: server_latency HOST PORT N PATH [ROUNDS]
 * Opens N keep-alive connections to HOST:PORT (numeric IPv4) and warms each up with one
 * "GET /status/200" (so the server has accepted them all), then sends "GET PATH" on every one as
 * fast as it can and times each from its own send to the end of its response (status line,
 * headers and Content-Length body). Prints one line a round:
 *   n=N ok=K min_ms=.. p50_ms=.. p99_ms=.. max_ms=.. burst_ms=..
 * (burst_ms: from the first send to the last response). Built by `make bench-server`. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct lat_conn {
    int fd;
    double sent, done;
    char buf[1024];
    size_t len;
    bool finished;
};

static double lat_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int lat_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The response in c->buf is complete: head and Content-Length bytes of body. */
static bool lat_complete(const struct lat_conn *c)
{
    const char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end)
        return false;
    size_t head = (size_t)(end - c->buf) + 4;
    const char *cl = memmem(c->buf, head, "Content-Length: ", 16);
    size_t body = cl ? strtoul(cl + 16, NULL, 10) : 0;
    return c->len >= head + body;
}

/* Send req on every connection, then read every response. Returns how many got a 2xx; their
 * delays in ms go to lat (unsorted). */
static int lat_burst(struct lat_conn *cs, int n, int ep, const char *req, double *lat)
{
    size_t reqlen = strlen(req);
    for (int k = 0; k < n; k++) {
        cs[k].len = 0;
        cs[k].finished = false;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)k };
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[k].fd, &ev);
    }
    for (int k = 0; k < n; k++) {
        cs[k].sent = lat_now();
        if (send(cs[k].fd, req, reqlen, MSG_NOSIGNAL) != (ssize_t)reqlen) {
            fprintf(stderr, "server_latency: send: %s\n", strerror(errno));
            return 0;
        }
    }
    int left = n, ok = 0;
    struct epoll_event evs[256];
    while (left > 0) {
        int m = epoll_wait(ep, evs, 256, 30000);
        if (m < 0 && errno == EINTR)
            continue;
        if (m <= 0) {
            fprintf(stderr, "server_latency: %d responses missing after 30 s\n", left);
            break;
        }
        double now = lat_now();
        for (int e = 0; e < m; e++) {
            struct lat_conn *c = &cs[evs[e].data.u32];
            ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);
            if (r > 0)
                c->len += (size_t)r;
            if (r <= 0 || lat_complete(c) || c->len == sizeof c->buf - 1) {
                c->finished = true;
                c->done = now;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                left--;
                if (r > 0 && strncmp(c->buf, "HTTP/1.1 2", 10) == 0)
                    lat[ok++] = (c->done - c->sent) * 1e3;
            }
        }
    }
    return ok;
}

static int lat_round(const struct sockaddr_in *sa, int n, const char *path)
{
    struct lat_conn *cs = calloc((size_t)n, sizeof *cs);
    double *lat = malloc((size_t)n * sizeof *lat);
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", path);
    int ep = epoll_create1(0);
    if (!cs || !lat || ep < 0) {
        perror("server_latency");
        return 1;
    }
    for (int k = 0; k < n; k++) {
        cs[k].fd = socket(AF_INET, SOCK_STREAM, 0);
        if (cs[k].fd < 0 || connect(cs[k].fd, (const struct sockaddr *)sa, sizeof *sa) < 0) {
            fprintf(stderr, "server_latency: connection %d: %s\n", k, strerror(errno));
            return 1;
        }
        int one = 1;
        setsockopt(cs[k].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (lat_burst(cs, n, ep, "GET /status/200 HTTP/1.1\r\nHost: bench\r\n\r\n", lat) != n) {
        fprintf(stderr, "server_latency: the warm-up requests failed\n");
        return 1;
    }
    double t0 = lat_now();
    int ok = lat_burst(cs, n, ep, req, lat);
    double t1 = lat_now();
    qsort(lat, (size_t)ok, sizeof *lat, lat_cmp);
    if (ok > 0) {
        size_t p50 = (size_t)(0.50 * (ok - 1) + 0.5), p99 = (size_t)(0.99 * (ok - 1) + 0.5);
        printf("n=%d ok=%d min_ms=%.2f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f burst_ms=%.2f\n", n,
               ok, lat[0], lat[p50], lat[p99], lat[ok - 1], (t1 - t0) * 1e3);
    } else {
        printf("n=%d ok=0\n", n);
    }
    fflush(stdout);
    for (int k = 0; k < n; k++)
        close(cs[k].fd);
    close(ep);
    free(cs);
    free(lat);
    return ok == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: server_latency HOST PORT N PATH [ROUNDS]\n");
        return 2;
    }
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
    int n = atoi(argv[3]), rounds = argc > 5 ? atoi(argv[5]) : 1;
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || n <= 0 || rounds <= 0) {
        fprintf(stderr, "server_latency: bad arguments\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int rc = 0;
    for (int r = 0; r < rounds; r++)
        rc |= lat_round(&sa, n, argv[4]);
    return rc;
}
