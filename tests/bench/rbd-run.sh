#!/bin/sh
# The RBD benchmark in one command: builds hvdpad (release), boots the test
# VM and runs tests/bench/rbd-bench.sh there (pair-run.sh): a Ceph cluster
# of its own (some 40 s under TCG), two images filled, then the runs;
# results land in docs/perf/.
#   sh tests/bench/rbd-run.sh [SECONDS_PER_RUN] [RUNS] [IMAGE_MiB]
exec sh "$(dirname "$0")/pair-run.sh" rbd 900 "$@"
