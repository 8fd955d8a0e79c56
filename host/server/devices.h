/* The device selectors that GET /api/compute/health lists. */
#ifndef TILERACE_SERVER_DEVICES_H
#define TILERACE_SERVER_DEVICES_H

struct cJSON;

/*
 * Appends one string per device a request may name in `device` to array: "cpu" always, then
 * the OpenCL shortcuts that resolve here ("opencl", "gpu", "pocl") and every "opencl:P.D".
 * The OpenCL devices are listed once per process. Returns 0, or -1 when out of memory.
 */
int tr_server_devices_json(struct cJSON *array);

/* Lists the devices now if that was not done yet (the first health request then need not). */
void tr_server_devices_warm(void);

#endif
