/* server.h — the embedded HTTP/1.1 server behind `concbench serve` and the http workload.
 *
 * One thread, one runtime/loop, non-blocking sockets, keep-alive, pipelined requests answered in
 * order. The API (GET or HEAD):
 *   /status/CODE?sleep=MS   status CODE (200..599), empty body, after MS ms (a loop timer: other
 *                           requests go on meanwhile)
 *   /bytes/N?sleep=MS&chunked=1
 *                           200 and N bytes (N <= SERVER_BYTES_MAX) of deterministic content
 *                           (server_bytes_fill), streamed, never buffered whole; chunked=1 sends
 *                           them with chunked transfer encoding (HTTP/1.1 clients only)
 *   /stall?after=N          the headers (Content-Length N + 1) and N body bytes, then nothing
 *   /close                  closes the connection without answering
 *   anything else           404; a method other than GET or HEAD: 405
 * A malformed request gets 400 and the connection closes (501 for Transfer-Encoding, 505 for
 * another HTTP version); a head over 8 KiB gets 431 and closes. A request head must arrive
 * within the idle timeout of the server starting to wait for it, and a connection that makes no
 * progress (nothing read that completes a request, nothing written) for that long is closed. */
#ifndef CONCBENCH_SERVER_H
#define CONCBENCH_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;
struct server;

#define SERVER_IDLE_TIMEOUT_MS 30000        /* default idle timeout */
#define SERVER_BYTES_MAX (1ull << 30)       /* largest N of /bytes/N and /stall?after=N */
#define SERVER_SLEEP_MAX_MS 3600000ull      /* largest sleep=MS */
#define SERVER_NOFILE_WANT 20000            /* descriptors wanted by default */

struct server_config {
    const char *bind_addr;      /* numeric IPv4 or IPv6 address; NULL: 127.0.0.1 */
    unsigned port;              /* 0: a free port */
    unsigned idle_timeout_ms;   /* 0: SERVER_IDLE_TIMEOUT_MS */
    unsigned nofile_want;       /* descriptors wanted; 0: SERVER_NOFILE_WANT. The soft limit
                                   is raised to the hard one; below this, a note on stderr */
};

/* 0 when addr is a numeric IPv4 or IPv6 address (brackets allowed: "[::1]"), else -EINVAL. */
int server_check_addr(const char *addr);
/* True when addr is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z). */
bool server_addr_is_loopback(const char *addr);

/* Bind, listen and watch the listening socket on loop l (the caller runs the loop). Returns 0
 * and *out, or a negative errno with a message in err. Loop thread only, like every function
 * taking a struct server. */
int server_open(struct loop *l, const struct server_config *cfg, struct server **out, char *err,
                size_t errlen);
/* The port it listens on. */
unsigned server_port(const struct server *s);
/* Its URL, "http://ADDR:PORT" ("http://[ADDR]:PORT" for IPv6), into buf. */
void server_url(const struct server *s, char *buf, size_t len);
/* Open connections and requests answered so far (tests, statistics). */
size_t server_connections(const struct server *s);
uint64_t server_requests(const struct server *s);
/* Close every connection and the listening socket, cancel every timer, free s. */
void server_close(struct server *s);

/* Called once the server listens, from inside server_run. */
typedef void server_ready_fn(const struct server *s, void *arg);

/* The whole server in the calling thread: raise RLIMIT_NOFILE to the hard limit (a note on
 * stderr when that is below cfg->nofile_want), block SIGINT and SIGTERM in this thread and watch
 * them through a signalfd on a new loop, listen, call ready, and serve until one arrives.
 * Returns 0 after SIGINT/SIGTERM (the signals stay blocked), or a negative errno with a message
 * in err when it could not start (the address, the port, the loop). Blocks for the server's
 * lifetime. Nothing goes to stdout. */
int server_run(const struct server_config *cfg, server_ready_fn *ready, void *arg, char *err,
               size_t errlen);

/* Run the server in a child process (fork, no exec): the child closes every inherited
 * descriptor but 0, 1 and 2, leaves the terminal's process group (Ctrl-C reaches the client
 * only, which then stops the server), asks for SIGTERM when the forking thread dies, and calls
 * server_run. Returns 0 once the child listens, with *pid and *port set; or a negative errno
 * with a message in err (the child is reaped). Call it before starting threads when possible;
 * the calling thread should outlive the server (PR_SET_PDEATHSIG follows the thread). Blocks
 * until the child listens (at most 10 s). */
int server_spawn(const struct server_config *cfg, pid_t *pid, int *port, char *err,
                 size_t errlen);

/* SIGTERM a spawned server and reap it (SIGKILL after 5 s). *cpu_s (may be NULL) gets its CPU
 * time, user + system, in seconds. Returns 0 when it exited with status 0, -EIO when it exited
 * otherwise or was killed, -ECHILD when pid is not our child. Blocks until it is reaped. */
int server_stop(pid_t pid, double *cpu_s);

/* The body of /bytes/N is bytes [0, N) of one fixed infinite sequence (so N always gives the
 * same bytes, and /bytes/M is a prefix of /bytes/N for M < N). Write bytes [offset, offset+len)
 * of it into buf. Pure, any thread. */
void server_bytes_fill(uint64_t offset, void *buf, size_t len);

/* The body checksum, FNV-1a 64, computed incrementally: start from SERVER_CHECKSUM_INIT and
 * feed every piece in order. Pure, any thread. */
#define SERVER_CHECKSUM_INIT 0xcbf29ce484222325ull
uint64_t server_checksum_update(uint64_t h, const void *data, size_t len);
/* The checksum of the body of /bytes/n, i.e. of bytes [0, n). O(n). */
uint64_t server_bytes_checksum(uint64_t n);

#endif
