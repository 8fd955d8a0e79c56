/*
 * Replay input: the input is a run file (a run document, or the NDJSON of --stream) parsed
 * from memory as `tilerace replay` parses each file it reads. Properties: it is accepted or
 * refused with the usage status and a one-line message (internal only when out of memory); an
 * accepted run, written back as JSON, is accepted again; and that JSON, made safe for the page's
 * <script> element, holds no '<', '>', '&' and still parses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/status.h"
#include "fuzz_common.h"
#include "replay/input.h"
#include "replay/page.h"

static void check_script_safe(const char *json)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    FUZZ_CHECK(f != NULL, "open_memstream failed");
    FUZZ_CHECK(tr_write_script_safe_json(f, json) == 0, "script-safe JSON could not be written");
    FUZZ_CHECK(fclose(f) == 0, "script-safe JSON could not be written");
    for (size_t i = 0; i < len; i++) {
        FUZZ_CHECK(out[i] != '<' && out[i] != '>' && out[i] != '&',
                   "script-safe JSON holds '%c' at %zu", out[i], i);
        FUZZ_CHECK(i + 2 >= len ||
                       !((unsigned char)out[i] == 0xe2 && (unsigned char)out[i + 1] == 0x80 &&
                         ((unsigned char)out[i + 2] & 0xfe) == 0xa8),
                   "script-safe JSON holds U+2028/U+2029 at %zu", i);
    }
    cJSON *back = cJSON_ParseWithLength(out, len);
    FUZZ_CHECK(back != NULL, "script-safe JSON does not parse");
    cJSON_Delete(back);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *doc = NULL, *again = NULL;
    char err[512] = "";
    /* an exact-size copy: ASan sees any read past the end */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    int rc = tr_replay_parse_run(text, size, &doc, err, sizeof(err));
    free(text);
    if (rc) {
        FUZZ_CHECK(doc == NULL, "refused, yet a document came back");
        FUZZ_CHECK(rc == TR_ERR_USAGE || rc == TR_ERR_INTERNAL,
                   "status %d for a bad run (usage expected): %s", rc, err);
        fuzz_check_printed("replay", err, sizeof(err));
        return 0;
    }
    FUZZ_CHECK(doc != NULL, "accepted without a document");
    char *json = cJSON_PrintUnformatted(doc);
    if (json) {
        rc = tr_replay_parse_run(json, strlen(json), &again, err, sizeof(err));
        FUZZ_CHECK(rc == 0 || rc == TR_ERR_INTERNAL,
                   "an accepted run, written back, is refused: %s", err);
        cJSON_Delete(again);
        check_script_safe(json);
        free(json);
    }
    cJSON_Delete(doc);
    return 0;
}
