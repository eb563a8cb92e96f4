/* opts.c — an option's value checked against its declaration: one rule for `run` and the
 * sweep's --set. */
#include "harness/opts.h"

#include <stdio.h>
#include <string.h>

#include "harness/cli.h"

bool wopt_check(const struct wopt *d, const char *value, char *err, size_t errlen)
{
    uint64_t v;
    switch (d->type) {
    case WOPT_UINT:
        if (value && cli_parse_uint(value, d->min, d->max, &v))
            return true;
        snprintf(err, errlen, "bad value '%s' for --%s: a whole number from %llu to %llu",
                 value ? value : "", d->name, (unsigned long long)d->min,
                 (unsigned long long)d->max);
        return false;
    case WOPT_FLAG:
        if (!value || strcmp(value, "1") == 0)
            return true;
        snprintf(err, errlen, "--%s is a flag: it takes no value (given '%s')", d->name, value);
        return false;
    case WOPT_STRING:
        if (value)
            return true;
        snprintf(err, errlen, "--%s needs a value", d->name);
        return false;
    case WOPT_ENUM: {
        if (value && wopt_choice(d, value) >= 0)
            return true;
        char allowed[256] = "";
        for (unsigned k = 0; d->choices && d->choices[k]; k++)
            snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s",
                     k ? ", " : "", d->choices[k]);
        snprintf(err, errlen, "bad value '%s' for --%s: one of %s", value ? value : "", d->name,
                 allowed);
        return false;
    }
    }
    snprintf(err, errlen, "--%s: unknown kind of option", d->name);
    return false;
}
