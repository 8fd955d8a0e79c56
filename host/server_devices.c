#include "server_devices.h"

#include <cjson/cJSON.h>

int tr_server_devices_json(struct cJSON *array)
{
    cJSON *cpu = cJSON_CreateString("cpu");
    if (!cpu || !cJSON_AddItemToArray(array, cpu)) {
        cJSON_Delete(cpu);
        return -1;
    }
    return 0;
}
