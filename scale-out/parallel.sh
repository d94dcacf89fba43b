#!/usr/bin/env bash
# A long run in 8 shards with GNU parallel, then merged. On several hosts,
# add -S host1,host2 --wd ... and set OUT to an absolute path they share.
set -euo pipefail
YEARS=${YEARS:-100000000} OUT=${OUT:-output/parallel}
parallel availsim run three-fd --years "$YEARS" --quiet --threads 1 --shard {}/8 --out "$OUT/run-{}" ::: $(seq 8)
availsim merge "$OUT"/run-* --out "$OUT/run"
# A sweep in 4 shards, each a quarter of every point's years; the merge
# writes sweep.csv, sweep.json and sweep.svg and checks the assertion.
parallel availsim sweep three-fd --years "$YEARS" --quiet --threads 1 \
  --vary load_balancer.health_check.interval=10s,30s,60s \
  --assert "'request_availability.mean >= 0.998'" --shard {}/4 --out "$OUT/sweep-{}" ::: $(seq 4)
availsim merge "$OUT"/sweep-* --out "$OUT/sweep"
