/* cli.c — number parsing and usage errors shared by the subcommands. */
#include "harness/cli.h"
#include "harness/machine.h"

#include <ctype.h>
#include <sched.h>
#include <string.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

bool cli_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool cli_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || errno || end == s || *end || !(v > lo && v < hi))
        return false;
    *out = v;
    return true;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "concbench %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'concbench %s --help')\n", cmd);
    return EXIT_USAGE;
}

unsigned cli_online_cpus(void)
{
    return machine_cores();
}

unsigned cli_cores(void)
{
    return machine_cores_allowed();
}

int cli_set_cpus(const char *cmd, const char *list)
{
    cpu_set_t want, online;
    char have[256];
    if (machine_cpulist_parse(list, &want) != 0)
        return cli_usage_error(cmd, "bad --cpus '%s': a CPU list such as 0, 0-1 or 0,2", list);
    machine_cpus_online(&online);
    machine_cpulist_format(&online, have, sizeof have);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &want) && !CPU_ISSET(c, &online))
            return cli_usage_error(cmd, "--cpus %s: CPU %d is not online (online: %s)", list, c,
                                   have);
    if (sched_setaffinity(0, sizeof want, &want) != 0) {
        fprintf(stderr, "concbench %s: --cpus %s: sched_setaffinity: %s\n", cmd, list,
                strerror(errno));
        return EXIT_ENV;
    }
    return EXIT_OK;
}
