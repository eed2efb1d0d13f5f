#!/usr/bin/env bash
# bench/pooled/run.sh DB - pooled throughput: the same two prepared reads by
# hand on an unprotected table, under row security for the same user every
# transaction, and for a different user every transaction; interleaved
# rounds of BENCH_POOL_SECONDS (default 8) each, medians of the tps.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DB="${1:-bsperm_bench}"
ROUNDS="${BENCH_ROUNDS:-3}"
SECS="${BENCH_POOL_SECONDS:-8}"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$HERE/../common.sql" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$HERE/setup.sql" >/dev/null
declare -A tps
for ((r = 1; r <= ROUNDS; r++)); do
	for f in plain same_user switch_user; do
		t=$(pgbench -n -M prepared -T "$SECS" -c 1 -f "$HERE/$f.pgbench" -U bsperm_pool_app "$DB" 2>&1 |
			sed -n 's/^tps = \([0-9.]*\).*/\1/p')
		tps[$f]="${tps[$f]:-} $t"
	done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p=$(median "${tps[plain]}"); s=$(median "${tps[same_user]}"); w=$(median "${tps[switch_user]}")
echo "== pooled throughput, transactions per second (medians of $ROUNDS rounds of ${SECS}s)"
echo "  by hand, unprotected:            $p"
echo "  row security, same user:         $s"
echo "  row security, a user per txn:    $w"
awk -v s="$s" -v w="$w" -v p="$p" 'BEGIN {
  printf "  identity switching cost per transaction: %.1f%% of a same-user transaction (target <= 20%%)\n", (s / w - 1) * 100;
  printf "  protected, switching / by hand: %.2f\n", w / p }'
