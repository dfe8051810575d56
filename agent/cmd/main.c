/* logcanary command line: parses the command and hands over to the command's module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "core/log.h"
#include "iam/diagnose.h"
#include "probes/probe.h"

static const char usage_head[] = "usage: logcanary [--version] [--help] <command> [options]\n"
                                 "\n";

static const char usage_text[] =
    "commands:\n"
    "  check    --config FILE   check every configured log stream once and report\n"
    "  config validate --config FILE\n"
    "                           validate a configuration and list its streams\n"
    "  policy check --key-policy FILE --service S --account ID --region R --bucket B\n"
    "                           evaluate key/bucket policies offline (exit 4: undetermined)\n"
    "  preflight --config FILE  check each permission logcanary needs; print the missing\n"
    "                           ones as IAM policy documents\n"
    "  run      --config FILE   the daemon: check every source on its interval, serve\n"
    "                           /metrics and /healthz (--listen), reload on SIGHUP\n"
    "  version                  print the version\n"
    "\n"
    "exit codes: 0 healthy, 1 problems found, 2 usage or config error, 3 could not run\n";

int lc_usage(FILE *out)
{
    fputs(usage_head, out);
    /* The sources: each probe's service, from the registry. */
    fputs("Proves that AWS logs (", out);
    for (size_t i = 0, n = 0; lc_probes[i]; i++)
        if (lc_probes[i]->diag)
            fprintf(out, "%s%s", n++ ? ", " : "", lc_probes[i]->diag->title);
    fputs(") really arrive in their\nSSE-KMS encrypted S3 buckets.\n\n", out);
    fputs(usage_text, out);
    return out == stdout ? 0 : LC_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return lc_usage(stderr);
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("logcanary %s\n", LC_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
        return lc_usage(stdout);
    /* Under systemd (a service or the timer's unit), stderr goes to the journal: give each line
     * its syslog priority. */
    if (getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID"))
        lc_log_set_syslog_prefix(1);
    for (const struct lc_command *c = lc_commands; c->name; c++)
        if (strcmp(cmd, c->name) == 0)
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "logcanary: unknown command or option '%s'\n", cmd);
    return lc_usage(stderr);
}
