#include "replay/page.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "core/status.h"

#define RUNS_SLOT  "@TILERACE_RUNS@"
#define EXTRA_SLOT "<!--@TILERACE_EXTRA@-->"

int tr_write_script_safe_json(FILE *f, const char *json)
{
    for (const unsigned char *p = (const unsigned char *)json; *p; p++) {
        int rc;
        if (*p == '<' || *p == '>' || *p == '&') {
            rc = fprintf(f, "\\u%04x", *p);
        } else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            rc = fprintf(f, "\\u%04x", 0x2000 + (p[2] - 0x80));
            p += 2;
        } else {
            rc = fputc(*p, f);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

enum tr_status tr_replay_page_write(FILE *f, const struct cJSON *runs, const char *extra_html)
{
    const char *t = tr_replay_html;
    const char *runs_at = strstr(t, RUNS_SLOT), *extra_at = strstr(t, EXTRA_SLOT);
    if (!runs_at || !extra_at || extra_at > runs_at)
        return TR_ERR_INTERNAL; /* the template lost its slots: a build error the tests catch */
    char *json = runs ? cJSON_PrintUnformatted(runs) : NULL;
    if (runs && !json)
        return TR_ERR_INTERNAL; /* cJSON fails only for memory */
    int rc = fwrite(t, 1, (size_t)(extra_at - t), f) == (size_t)(extra_at - t) &&
                     fputs(extra_html ? extra_html : "", f) >= 0 &&
                     fwrite(extra_at + strlen(EXTRA_SLOT), 1,
                            (size_t)(runs_at - extra_at) - strlen(EXTRA_SLOT),
                            f) == (size_t)(runs_at - extra_at) - strlen(EXTRA_SLOT) &&
                     tr_write_script_safe_json(f, json ? json : "[]") == 0 &&
                     fputs(runs_at + strlen(RUNS_SLOT), f) >= 0
                 ? 0
                 : TR_ERR_IO;
    cJSON_free(json);
    return rc;
}
