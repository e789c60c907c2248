#!/usr/bin/env bash
# bench-event-loop.sh records bench-event-loop.txt: BenchmarkStateMachine
# (one GET /hello through the state machine, the gateway and the
# application, no system call) before and after the lean HTTP layer of
# step 11: step11-event-loop at commit BEFORE (386d349, with step 10's
# parser and gateway) and as it is in the working tree, the two taking
# turns, ROUNDS runs each, then the median of each.
#
#   bash docs/evidence/bench-event-loop.sh > docs/evidence/bench-event-loop.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
BEFORE=${BEFORE:-386d349}
ROUNDS=${ROUNDS:-7}
work=$(mktemp -d)
old=_bench-before-$$ # inside the module, for its imports; go ./... skips names that start with _
trap 'rm -rf "$work" "$old"' EXIT
mkdir "$old"
git archive "$BEFORE" step11-event-loop | tar -x -C "$old" --strip-components=1
go test -c -o "$work/before.test" "./$old"
go test -c -o "$work/after.test" ./step11-event-loop
echo "# BenchmarkStateMachine, step11-event-loop at $BEFORE (before) and now (after), taking turns (docs/evidence/bench-event-loop.sh)"
echo "# $(nproc) cores ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(go version | awk '{print $3}')"
for _ in $(seq "$ROUNDS"); do
  for which in before after; do
    "$work/$which.test" -test.run '^$' -test.bench StateMachine -test.benchmem -test.benchtime 1s |
      awk -v w="$which" '/^BenchmarkStateMachine/ {printf "%-6s %s ns/op %s B/op %s allocs/op\n", w, $3, $5, $7}'
  done
done | tee "$work/runs"
for which in before after; do
  awk -v w="$which" '$1 == w {print $2}' "$work/runs" | sort -g | awk -v w="$which" '{v[NR] = $1} END {printf "median %-6s %s ns/op\n", w, v[int((NR + 1) / 2)]}'
done
# The ratio of each round, after over before, and their median.
ratios=$(paste <(awk '$1 == "before" {print $2}' "$work/runs") <(awk '$1 == "after" {print $2}' "$work/runs") |
  awk '{printf "%.2f\n", $2 / $1}')
echo "after/before by round: $(echo $ratios) (median $(sort -g <<<"$ratios" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'))"
