/* machine.h — facts about this machine that the sweep's metadata, the report and the gate's
 * fingerprint share. */
#ifndef CONCBENCH_MACHINE_H
#define CONCBENCH_MACHINE_H

#include <sched.h>
#include <stddef.h>

/* The value of the first "key : value" line of /proc/cpuinfo with this key ("model name"),
 * or "" into buf. */
void machine_cpuinfo(const char *key, char *buf, size_t len);
/* MemTotal of /proc/meminfo in KiB, or -1. */
long machine_mem_total_kb(void);
/* Online CPUs (at least 1). */
unsigned machine_cores(void);

/* CPUs this process may run on (its sched_getaffinity set): what "cores" means for a run,
 * pinned (`--cpus`, taskset) or not. At least 1; machine_cores() when the set is unknown. */
unsigned machine_cores_allowed(void);
/* Parse a CPU list as the kernel writes it ("0", "0-1", "0,2-3") into set. Returns 0, or
 * -EINVAL (not a list, a range running backwards, a CPU beyond CPU_SETSIZE). */
int machine_cpulist_parse(const char *s, cpu_set_t *set);
/* A set as a CPU list ("0-1,4"), "" when empty. Returns buf. */
const char *machine_cpulist_format(const cpu_set_t *set, char *buf, size_t len);
/* The online CPUs (/sys/devices/system/cpu/online; else 0 .. machine_cores() - 1). */
void machine_cpus_online(cpu_set_t *set);
/* This process's affinity set as a CPU list into buf; returns its size (0: unknown, buf ""). */
unsigned machine_cpus_allowed(char *buf, size_t len);

#endif
