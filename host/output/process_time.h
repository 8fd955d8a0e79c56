/* What the whole process has cost so far: wall time since it started, and CPU time. */
#ifndef TILERACE_PROCESS_TIME_H
#define TILERACE_PROCESS_TIME_H

struct tr_process_time {
    double wall_s; /* since the process started (10 ms steps); < 0 where unknown */
    double cpu_s;  /* user + system time of every thread; < 0 where unknown */
};

/* Takes both now. Linux's /proc/self/stat gives the start; elsewhere wall_s is -1. */
void tr_process_time_now(struct tr_process_time *t);

#endif
