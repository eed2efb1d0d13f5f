# lib.sh - several psql sessions driven from one bash script.
#
#   session_start NAME [psql options...]   start a session (its own backend)
#   q NAME "SQL"                           run SQL in it, print its output
#   check "what" "got" "want"              count a pass or a failure
#   session_stop_all
# Each q waits for the statement to finish: psql echoes a marker after it.
# A statement that blocks (on a lock) makes q wait; tests do not block.

declare -A SESS_IN SESS_OUT SESS_N SESS_PID
PASSED=0
FAILED=0
WORK="$(mktemp -d /tmp/bsperm-conc.XXXXXX)"

session_start() {
	local name="$1"; shift
	mkfifo "$WORK/$name.in"
	: > "$WORK/$name.out"
	psql -X -q -At -v ON_ERROR_STOP=0 "$@" < "$WORK/$name.in" > "$WORK/$name.out" 2>&1 &
	SESS_PID[$name]=$!
	exec {fd}> "$WORK/$name.in"
	SESS_IN[$name]=$fd
	SESS_N[$name]=0
}

q() {
	local name="$1" sql="$2" marker
	# unique without a counter: q usually runs in a $(...) subshell, where
	# an increment would be lost and an old marker found again
	marker="__bsperm_marker_$(date +%s%N)_${RANDOM}__"
	# the output is what psql prints between a begin and an end marker
	printf '\\echo %s\n%s\n\\echo %s\n' "${marker}b" "$sql" "$marker" >&"${SESS_IN[$name]}"
	local waited=0
	until grep -q "^$marker\$" "$WORK/$name.out"; do
		sleep 0.02
		waited=$((waited + 1))
		if [ "$waited" -gt 3000 ]; then echo "timeout in session $name: $sql" >&2; return 1; fi
	done
	sed -n "/^${marker}b\$/,/^${marker}\$/p" "$WORK/$name.out" | sed '1d;$d'
}

check() {
	local what="$1" got="$2" want="$3"
	if [ "$got" == "$want" ]; then
		PASSED=$((PASSED + 1)); echo "ok - $what"
	else
		FAILED=$((FAILED + 1)); echo "not ok - $what"; echo "#   got:  $(echo "$got" | tr '\n' '|')"; echo "#   want: $(echo "$want" | tr '\n' '|')"
	fi
}

session_stop_all() {
	local name
	for name in "${!SESS_IN[@]}"; do
		printf '\\q\n' >&"${SESS_IN[$name]}" 2>/dev/null || true
		exec {SESS_IN[$name]}>&- 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
