/* serve.c — `concbench serve`: the embedded HTTP server in the foreground. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli.h"
#include "workloads/server.h"

static void serve_help(void)
{
    printf("usage: concbench serve [--port P] [--bind ADDR] [--idle-timeout-ms T]\n\n"
           "Runs the embedded HTTP/1.1 server (one thread, one epoll loop, keep-alive,\n"
           "pipelining) until SIGINT or SIGTERM, then exits 0. Once it listens it prints its URL,\n"
           "http://127.0.0.1:PORT, on one line on stdout.\n\n"
           "  -p, --port P              TCP port (default 0: a free port, printed in the URL)\n"
           "  -b, --bind ADDR           numeric IPv4 or IPv6 address to listen on (default\n"
           "                            127.0.0.1; only this option makes it listen elsewhere)\n"
           "      --idle-timeout-ms T   close a connection that makes no progress for T ms, and\n"
           "                            one whose request head takes longer (default %u)\n"
           "  -h, --help                this text\n\n"
           "API (GET or HEAD):\n"
           "  /status/CODE?sleep=MS     status CODE (200-599) after MS ms, empty body; other\n"
           "                            requests go on while it waits\n"
           "  /bytes/N?sleep=MS&chunked=1\n"
           "                            200 and N deterministic bytes (N <= %llu), after MS ms;\n"
           "                            chunked=1: chunked transfer encoding\n"
           "  /stall?after=N            headers and N body bytes of N + 1, then nothing\n"
           "  /close                    close the connection without answering\n"
           "  anything else             404; malformed request 400; head over 8 KiB 431\n\n"
           "exit codes: 0 stopped by SIGINT/SIGTERM, 2 usage error, 3 cannot listen (the reason\n"
           "is printed)\n",
           SERVER_IDLE_TIMEOUT_MS, (unsigned long long)SERVER_BYTES_MAX);
}

static void serve_ready(const struct server *s, void *arg)
{
    char url[128];
    (void)arg;
    server_url(s, url, sizeof url);
    printf("%s\n", url);
    fflush(stdout);
}

enum { OPT_IDLE = 1000 };

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        { "port", required_argument, NULL, 'p' },
        { "bind", required_argument, NULL, 'b' },
        { "idle-timeout-ms", required_argument, NULL, OPT_IDLE },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct server_config cfg = { .bind_addr = "127.0.0.1" };
    uint64_t v;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":p:b:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (!cli_parse_uint(optarg, 0, 65535, &v))
                return cli_usage_error("serve", "bad port '%s' (0 to 65535)", optarg);
            cfg.port = (unsigned)v;
            break;
        case 'b':
            if (server_check_addr(optarg) < 0)
                return cli_usage_error("serve", "bad address '%s': a numeric IPv4 or IPv6 "
                                       "address, like 127.0.0.1 or ::1", optarg);
            cfg.bind_addr = optarg;
            break;
        case OPT_IDLE:
            if (!cli_parse_uint(optarg, 1, 86400000, &v))
                return cli_usage_error("serve", "bad value '%s' for --idle-timeout-ms "
                                       "(1 to 86400000)", optarg);
            cfg.idle_timeout_ms = (unsigned)v;
            break;
        case 'h':
            serve_help();
            return EXIT_OK;
        case ':':
            return cli_usage_error("serve", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("serve", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    if (!server_addr_is_loopback(cfg.bind_addr))
        fprintf(stderr, "concbench serve: listening on %s, not a loopback address: other "
                        "machines may reach this server\n", cfg.bind_addr);

    char err[256];
    int rc = server_run(&cfg, serve_ready, NULL, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "concbench serve: %s\n", err);
        return EXIT_ENV;
    }
    return EXIT_OK;
}
