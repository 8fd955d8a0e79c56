#include "output/process_time.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* The process's start in seconds since boot: field 22 of /proc/self/stat, in clock ticks. */
static double start_since_boot(void)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name (field 2) is in parentheses and may hold spaces or ')' */
    const char *p = strrchr(buf, ')');
    unsigned long long ticks;
    long hz = sysconf(_SC_CLK_TCK);
    if (!p || hz <= 0)
        return -1;
    for (int field = 3; field <= 22; field++) /* to the space before each field */
        if (!(p = strchr(p + 1, ' ')))
            return -1;
    if (sscanf(p + 1, "%llu", &ticks) != 1)
        return -1;
    return (double)ticks / (double)hz;
}

void tr_process_time_now(struct tr_process_time *t)
{
    struct timespec now;
    struct rusage ru;
    double start = start_since_boot();
    t->wall_s = -1;
    t->cpu_s = -1;
    /* /proc's start is on the boot clock, which counts suspended time too */
    if (start >= 0 && clock_gettime(CLOCK_BOOTTIME, &now) == 0) {
        double wall = (double)now.tv_sec + (double)now.tv_nsec / 1e9 - start;
        t->wall_s = wall > 0 ? wall : 0;
    }
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        t->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}
