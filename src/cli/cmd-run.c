/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `buildward run`: the stages live in src/run/ (run/run.h); this is the command line's door to them. */
#include "basic/log.h"
#include "cli/commands.h"
#include "run/run.h"

int cmd_run(int argc, char **argv) {
        struct run_options o;
        run_options_init(&o);
        log_step("parent: cmd_run");
        int ret = run_options_parse(argc, argv, &o);
        if (ret == 0)
                ret = run_pipeline(&o);
        run_options_done(&o);
        return ret;
}
