/* rfcres: inspect what librfcres decides.  See rfcres(1). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "rfcres.h"

static int usage(FILE *f)
{
	fprintf(f,
		"usage: rfcres ahosts [options] NAME [SERVICE]\n"
		"       rfcres sort [--gai-conf FILE] [--explain] "
		"[--src DEST=SRC[/PLEN][,FLAG...]]... DEST...\n"
		"       rfcres conf [--resolv-conf FILE] [--gai-conf FILE] "
		"[--hosts FILE]\n"
		"       rfcres --version\n"
		"Run 'rfcres COMMAND --help' for the options of a command.\n");
	return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	const char *cmd = argv[1];
	if (strcmp(cmd, "ahosts") == 0)
		return cli_ahosts(argc - 1, argv + 1);
	if (strcmp(cmd, "sort") == 0)
		return cli_sort(argc - 1, argv + 1);
	if (strcmp(cmd, "conf") == 0)
		return cli_conf(argc - 1, argv + 1);
	if (strcmp(cmd, "--version") == 0) {
		printf("rfcres %s\n", rfcres_version());
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
		return usage(stdout);
	fprintf(stderr, "rfcres: unknown command '%s'\n", cmd);
	return usage(stderr);
}
