/* `tilerace devices [--json]`: every device --device can name. */
#ifndef TILERACE_CLI_DEVICES_H
#define TILERACE_CLI_DEVICES_H

struct cJSON;
struct tr_cl_device_list;

int tr_cli_devices(int argc, char **argv);

/* The device list as JSON (also served by the HTTP API's health endpoint). */
struct cJSON *tr_devices_json(const struct tr_cl_device_list *list);

#endif
