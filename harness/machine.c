/* machine.c — facts about this machine from /proc: CPU model, memory, cores. */
#include "harness/machine.h"

#include "harness/text.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The value of the first "key : value" line of /proc/cpuinfo with this key. */
void machine_cpuinfo(const char *key, char *buf, size_t len)
{
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    buf[0] = '\0';
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        size_t kl = strlen(key);
        if (strncmp(line, key, kl) != 0 || (line[kl] != ' ' && line[kl] != '\t' &&
                                            line[kl] != ':'))
            continue;
        char *v = strchr(line, ':');
        if (!v)
            continue;
        v++;
        while (isspace((unsigned char)*v))
            v++;
        v[strcspn(v, "\n")] = '\0';
        snprintf(buf, len, "%s", v);
        break;
    }
    fclose(f);
}

long machine_mem_total_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

unsigned machine_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

int machine_cpulist_parse(const char *s, cpu_set_t *set)
{
    CPU_ZERO(set);
    if (!s || !*s)
        return -EINVAL;
    const char *p = s;
    for (;;) {
        char *e;
        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        unsigned long lo = strtoul(p, &e, 10), hi = lo;
        p = e;
        if (*p == '-') {
            if (!isdigit((unsigned char)p[1]))
                return -EINVAL;
            hi = strtoul(p + 1, &e, 10);
            p = e;
        }
        if (hi < lo || hi >= CPU_SETSIZE)
            return -EINVAL;
        for (unsigned long c = lo; c <= hi; c++)
            CPU_SET(c, set);
        if (*p == '\0' || *p == '\n')
            return 0;
        if (*p++ != ',')
            return -EINVAL;
    }
}

const char *machine_cpulist_format(const cpu_set_t *set, char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, set))
            continue;
        int e = c;
        while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
            e++;
        str_append(buf, len, "%s%d", buf[0] ? "," : "", c);
        if (e > c)
            str_append(buf, len, "-%d", e);
        c = e;
    }
    return buf;
}

void machine_cpus_online(cpu_set_t *set)
{
    char *t = NULL;
    if (text_slurp("/sys/devices/system/cpu/online", 4096, &t, NULL) == 0 &&
        machine_cpulist_parse(t, set) == 0 && CPU_COUNT(set) > 0) {
        free(t);
        return;
    }
    free(t);
    CPU_ZERO(set);
    for (unsigned c = 0, n = machine_cores(); c < n && c < CPU_SETSIZE; c++)
        CPU_SET(c, set);
}

unsigned machine_cpus_allowed(char *buf, size_t len)
{
    cpu_set_t set;
    if (len)
        buf[0] = '\0';
    if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) == 0)
        return 0;
    machine_cpulist_format(&set, buf, len);
    return (unsigned)CPU_COUNT(&set);
}

unsigned machine_cores_allowed(void)
{
    char buf[8];
    unsigned n = machine_cpus_allowed(buf, sizeof buf);
    return n ? n : machine_cores();
}
