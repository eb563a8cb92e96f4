/* ext.h — external models: a model that is a program (docs/external.md has the protocol).
 *
 * An external model is a descriptor file, NAME.model (key = value lines: name, summary, mirrors,
 * color, order, serial, family, dispatch, cost, command), read from the folders in
 * CONCBENCH_EXTERNAL (colon-separated) and from ref/LANG/models beside the binary (or in
 * share/concbench/ref when installed). Each becomes a struct model whose run callback starts the
 * program after the workload's set-up, hands it the spec (JSON on its stdin), reads one JSON
 * object per task and one for the batch from its stdout, and puts them into the results for the
 * workload's own verify. Everything else (concurrency rule, pool, forks, cpu_inline) comes from
 * the C model it mirrors.
 *
 * External models are found by name (model_find): `run -m python-threads`, a profile line that
 * names them. They are not in models[], so selectors (@all, @pool, ...) and `list` keep to the
 * C models: a sweep runs them only where a profile names them (profiles/reference). */
#ifndef CONCBENCH_EXT_H
#define CONCBENCH_EXT_H

#include <stdbool.h>
#include <stddef.h>

#include "models/model.h"

#define EXT_MAX_MODELS 32

/* The external model of that name (descriptors are read on the first call), or NULL. */
const struct model *ext_find(const char *name);
/* The k-th external model (k < ext_count()), in the order the descriptors were read. */
unsigned ext_count(void);
const struct model *ext_at(unsigned k);
/* For an external model: the C model it mirrors and its family ("python"); NULL for a C model. */
const char *ext_mirrors(const struct model *m);
const char *ext_family(const struct model *m);

/* Read the descriptors of one more folder (*.model in it). Returns how many it added, or a
 * negative errno with a message in err. Main thread, before any run. */
int ext_load_dir(const char *dir, char *err, size_t errlen);

/* The profile fragment of reference language LANG, ref/LANG/profile beside the binary (or in
 * share/concbench/ref when installed): the cells `sweep --with-reference LANG` adds to any
 * profile (profiles/reference holds the same lines). 0 with its path in buf, or -ENOENT with a
 * message in err naming the languages there are. */
int ext_reference_profile(const char *lang, char *buf, size_t len, char *err, size_t errlen);

#endif
