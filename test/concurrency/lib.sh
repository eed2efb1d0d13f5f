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
	local name="$1" sql="$2" n marker start
	n=$(( ${SESS_N[$name]} + 1 ))
	SESS_N[$name]=$n
	# q usually runs in $(...), a subshell, so SESS_N does not advance there:
	# the marker is made unique, and searched only after this statement
	marker="__bsperm_marker_${n}_${BASHPID}_${RANDOM}${RANDOM}__"
	start=$(wc -l < "$WORK/$name.out")
	printf '%s\n\\echo %s\n' "$sql" "$marker" >&"${SESS_IN[$name]}"
	local waited=0
	until tail -n +"$((start + 1))" "$WORK/$name.out" | grep -q "^$marker\$" && [ -z "$(tail -c 1 "$WORK/$name.out")" ]; do
		sleep 0.02
		waited=$((waited + 1))
		if [ "$waited" -gt 1500 ]; then echo "timeout in session $name: $sql" >&2; return 1; fi
	done
	tail -n +"$((start + 1))" "$WORK/$name.out" | sed "/^$marker\$/,\$d"
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
