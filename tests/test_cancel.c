/* test_cancel.c — an interrupted run's text output. Cancellation in every model (SIGINT,
 * SIGTERM, a second SIGINT, per-task timeouts, a failing task mid-batch) is part of the model
 * contract: test_models.c. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers.h"

/* Text output of an interrupted run still names the cell and what completed. The signal goes
 * once the first task has started (run --ready-fd), so the run is really under way. */
static void test_sigint_text(void **state)
{
    char *argv[] = { (char *)cb_path(), "run", "-w", "sleep", "-m", "single", "-n", "5",
                     "--sleep-ms", "200", NULL };
    struct cb_signal plan = { .sig = SIGINT, .after = 0.1, .on_ready = true };
    struct cb_out o;
    (void)state;
    cb_runv_plan(&o, argv, &plan, NULL);
    assert_true(o.ready_s >= 0);
    assert_int_equal(o.status, 130);
    assert_non_null(strstr(o.out, "sleep x single: 5 tasks"));
    assert_non_null(strstr(o.out, "interrupted by SIGINT"));
    cb_out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigint_text),
    };
    return cmocka_run_group_tests_name("cancel", tests, NULL, NULL);
}
