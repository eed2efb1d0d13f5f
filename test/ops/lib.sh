# lib.sh - helpers of the operations suites (test/suites/{package,upgrade,
# dump,replica,pgbouncer,docs}): counted checks and throwaway clusters
# besides the one scripts/run started.
#
#   ok "what" / notok "what" "detail"   count a pass or a failure
#   check "what" "got" "want"           compare and count
#   aux_root DIR [DEB...]               a private PostgreSQL installation in DIR
#                                       (a copy of the system's, with bsperm as
#                                       installed in BSPERM_PGROOT, or from .debs)
#   aux_start NAME PORT [postgres -c options...]   initdb and start a cluster
#   aux_stop_all                        stop every cluster started here
#   finish SUITE                        print "# suite SUITE: N passed, N failed"
#
# Ports: the suites use BSPERM_AUX_PORT and the nine ports after it (default
# PGPORT + 100), on Unix sockets in private directories only.
PASSED=0
FAILED=0
AUX_PORT="${BSPERM_AUX_PORT:-$((PGPORT + 100))}"
PGVER="${PGVER:-15}"
SYS_PG_CONFIG="/usr/lib/postgresql/$PGVER/bin/pg_config"
# the installation the main cluster runs from (scripts/run build_install)
INST_BIN="${BSPERM_PGROOT:-}$("$SYS_PG_CONFIG" --bindir)"
OPS_WORK="$(mktemp -d /tmp/bsperm-ops.XXXXXX)"
chmod 755 "$OPS_WORK"
declare -a AUX_DIRS=()
declare -A AUX_BIN=()

RUNAS=()
[ "$(id -u)" = 0 ] && RUNAS=(runuser -u postgres --)

ok() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
notok() {
	FAILED=$((FAILED + 1)); echo "not ok - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /' | head -n 60
	return 0
}
check() {
	local what="$1" got="$2" want="$3"
	if [ "$got" == "$want" ]; then
		ok "$what"
	else
		notok "$what" "$(printf 'got:\n%s\nwant:\n%s' "$got" "$want")"
	fi
}

# aux_root DIR [DEB...]: a copy of the system's PostgreSQL with bsperm as the
# main cluster's installation has it, or as the given .deb packages install it
aux_root() {
	local root="$1" d; shift
	mkdir -p "$root"; chmod 755 "$root"
	for d in "$("$SYS_PG_CONFIG" --bindir)" "$("$SYS_PG_CONFIG" --pkglibdir)" "$("$SYS_PG_CONFIG" --sharedir)"; do
		mkdir -p "$root$d"; cp -a "$d/." "$root$d/"
	done
	rm -rf "$root$("$SYS_PG_CONFIG" --pkglibdir)"/bsperm* "$root$("$SYS_PG_CONFIG" --pkglibdir)"/bitcode/bsperm* \
		"$root$("$SYS_PG_CONFIG" --sharedir)"/extension/bsperm*
	if [ $# -eq 0 ]; then
		for d in "$("$SYS_PG_CONFIG" --pkglibdir)" "$("$SYS_PG_CONFIG" --sharedir)/extension"; do
			cp -a "${BSPERM_PGROOT:?}$d"/bsperm* "$root$d/"
		done
		[ -d "$BSPERM_PGROOT$("$SYS_PG_CONFIG" --pkglibdir)/bitcode" ] &&
			cp -a "$BSPERM_PGROOT$("$SYS_PG_CONFIG" --pkglibdir)/bitcode/bsperm"* "$root$("$SYS_PG_CONFIG" --pkglibdir)/bitcode/" 2>/dev/null
	else
		for d in "$@"; do dpkg -x "$d" "$root"; done
	fi
	return 0
}

# aux_start NAME PORT [-c opt ...]: a cluster from $AUX_ROOT_<NAME> or the main
# installation; socket and data in $OPS_WORK/NAME
aux_start() {
	local name="$1" port="$2"; shift 2
	local dir="$OPS_WORK/$name" bin="${AUX_BIN[$name]:-$INST_BIN}"
	mkdir -p "$dir"; chown postgres: "$dir" 2>/dev/null || true
	if [ ! -d "$dir/data" ]; then
		"${RUNAS[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
			cat "$dir/initdb.log"; return 1; }
	fi
	aux_pg_ctl "$name" "$port" "$@"
}

aux_pg_ctl() {
	local name="$1" port="$2"; shift 2
	local dir="$OPS_WORK/$name" bin="${AUX_BIN[$name]:-$INST_BIN}" opts="" o
	for o in "$@"; do opts="$opts $o"; done
	"${RUNAS[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 120 \
		-o "-c listen_addresses='' -c unix_socket_directories='$dir' -p $port -c shared_buffers=64MB -c max_connections=30 $opts" \
		start >/dev/null || { tail -n 20 "$dir/log"; return 1; }
	AUX_DIRS+=("$name")
}

aux_stop() {
	local name="$1" bin="${AUX_BIN[$1]:-$INST_BIN}"
	"${RUNAS[@]}" "$bin/pg_ctl" -D "$OPS_WORK/$name/data" -m fast stop >/dev/null 2>&1 || true
}

aux_stop_all() {
	local n
	for n in "${AUX_DIRS[@]+"${AUX_DIRS[@]}"}"; do aux_stop "$n"; done
	AUX_DIRS=()
}

cleanup_ops() {
	aux_stop_all
	if [ -n "${BSPERM_KEEP:-}" ]; then echo "ops files kept in $OPS_WORK" >&2; else rm -rf "$OPS_WORK"; fi
}
trap cleanup_ops EXIT

# psql on an aux cluster: apsql NAME PORT [psql args]
apsql() {
	local name="$1" port="$2"; shift 2
	psql -X -q -At -h "$OPS_WORK/$name" -p "$port" -U postgres "$@"
}

finish() {
	echo "# suite $1: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# session_end NAME: end one session of test/concurrency/lib.sh
session_end() {
	printf '\\q\n' >&"${SESS_IN[$1]}" 2>/dev/null || true
	exec {SESS_IN[$1]}>&- 2>/dev/null || true
	wait "${SESS_PID[$1]}" 2>/dev/null || true
	unset "SESS_IN[$1]"
}
