/*
 * dom0/cli/cli_metrics.c: `xres metrics`: xresd's metrics in the Prometheus
 * text format, the same text xresd writes to its metrics file.
 */
#include <stdio.h>

#include "cli.h"

static const char metrics_help[] =
"Prints the text xresd writes to its metrics file (metrics_file in\n"
"xres.conf, for the node exporter's textfile collector), taken now:\n"
"domains' memory, target, use, weight and cap; memory moves; failovers;\n"
"the report-to-target reaction time.  See xresd(8) for the names.\n";

static int cmd_metrics(int argc, char **argv)
{
    const xres_cmd *self = xres_cli_find("metrics");
    const char *text;
    yajl_val reply;
    int rc;

    (void)argv;
    if (argc > 1)
        return xres_cli_usage_error(self, "metrics: unexpected argument "
                                    "`%s'", argv[1]);
    rc = xres_cli_call(xres_cli_req_begin("metrics"), &reply);
    if (rc) return rc;
    text = xres_json_get_str(reply, "text");
    if (!text) {
        fprintf(stderr, "xres: xresd's metrics reply has no text\n");
        rc = XRES_EXIT_FAIL;
        goto out;
    }
    fputs(text, stdout);
    rc = fflush(stdout) ? XRES_EXIT_FAIL : 0;
out:
    yajl_tree_free(reply);
    return rc;
}

const xres_cmd xres_cmds_metrics[] = {
    { "metrics", cmd_metrics, NULL,
      "Print xresd's metrics in the Prometheus text format", metrics_help },
    { NULL, NULL, NULL, NULL, NULL },
};
