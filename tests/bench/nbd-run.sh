#!/bin/sh
# The NBD benchmark in one command: builds hvdpad (release), boots the test
# VM and runs tests/bench/nbd-bench.sh there (pair-run.sh); results land in
# docs/perf/.
#   sh tests/bench/nbd-run.sh [SECONDS_PER_RUN] [RUNS] [IMAGE_MiB]
exec sh "$(dirname "$0")/pair-run.sh" nbd 600 "$@"
