/* The rfcres command: one file per sub-command, dispatched by main.c. */
#ifndef RFCRES_CLI_H
#define RFCRES_CLI_H

/* Each returns the process exit status: 0 ok, 1 lookup failed, 2 usage. */
int cli_ahosts(int argc, char **argv); /* cli_ahosts.c */
int cli_sort(int argc, char **argv);   /* cli_sort.c */
int cli_conf(int argc, char **argv);   /* cli_conf.c */

#endif
