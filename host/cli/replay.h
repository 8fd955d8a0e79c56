/* `tilerace replay RUN.json [RUN2.json ...] -o replay.html`: the playback page. */
#ifndef TILERACE_CLI_REPLAY_H
#define TILERACE_CLI_REPLAY_H

#define TR_REPLAY_MAX_RUNS 16

int tr_cli_replay(int argc, char **argv);

#endif
