#!/bin/sh
# A/B of two builds of hvdpad in ONE VM boot: A is BASE_REV (a git
# revision, built in a scratch worktree), B is the working tree. This is
# how a data-path change earns its place: B/A > 1 over several runs.
# HVDPA_AB_BENCH=nbd runs nbd-bench.sh (both builds on one NBD server)
# instead of blk-bench.sh; results in build-ab/. HVDPA_BENCH_B_OPTS adds
# --blk options to B's device (with BASE_REV HEAD: an A/B of options),
# HVDPA_BENCH_A_OPTS to A's (blk-bench only).
#   sh tests/bench/ab.sh BASE_REV [SECONDS] [RUNS] [WORKLOADS_REGEX]
set -eu
cd "$(dirname "$0")/../.."
top=$(pwd)
base=${1:?usage: ab.sh BASE_REV [SECONDS] [RUNS] [WORKLOADS_REGEX]}
secs=${2:-5}
runs=${3:-5}
wl=${4:-randread-4k-qd1|randread-4k-qd32|randwrite-4k-qd32}
sh tests/vm/host-deps.sh

out=$top/build-ab
wt=$out/base-src
mkdir -p "$out"
rm -rf "$wt"
git worktree prune
git worktree add -f --detach "$wt" "$base" >/dev/null
(cd "$wt" && meson setup build --buildtype=release >/dev/null && ninja -C build >/dev/null)
[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release >/dev/null

# HVDPA_BENCH_HOG, HVDPA_BENCH_AB_QSD (contention-run.sh), HVDPA_BENCH_FS,
# HVDPA_BENCH_FIO_CPUS (fio's CPUs) and HVDPA_BENCH_QSD_CPUS (qsd's) pass
# through.
sh tests/vm/run.sh -t $((900 + secs * runs * 3 * 5 * 2)) "HVDPA_BENCH_HOG='${HVDPA_BENCH_HOG:-0}' \
HVDPA_BENCH_FS='${HVDPA_BENCH_FS:-tmpfs}' \
HVDPA_BENCH_AB_QSD='${HVDPA_BENCH_AB_QSD:-0}' HVDPA_BENCH_WORKLOADS='$wl' \
HVDPA_BENCH_A_OPTS='${HVDPA_BENCH_A_OPTS:-}' HVDPA_BENCH_B_OPTS='${HVDPA_BENCH_B_OPTS:-}' HVDPA_BENCH_FIO_CPUS='${HVDPA_BENCH_FIO_CPUS:-}' \
HVDPA_BENCH_QSD_CPUS='${HVDPA_BENCH_QSD_CPUS:-}' \
HVDPAD_B='$top/build-release/hvdpad' sh tests/bench/${HVDPA_AB_BENCH:-blk}-bench.sh '$wt/build' '$out' $secs $runs 256"
git worktree remove --force "$wt"
