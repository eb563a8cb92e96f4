/* machine.h — facts about this machine that the sweep's metadata, the report and the gate's
 * fingerprint share. */
#ifndef CONCBENCH_MACHINE_H
#define CONCBENCH_MACHINE_H

#include <stddef.h>

/* The value of the first "key : value" line of /proc/cpuinfo with this key ("model name"),
 * or "" into buf. */
void machine_cpuinfo(const char *key, char *buf, size_t len);
/* MemTotal of /proc/meminfo in KiB, or -1. */
long machine_mem_total_kb(void);
/* Online CPUs (at least 1). */
unsigned machine_cores(void);

#endif
