# Sourced by suites that install pinned npm packages (test/backstage/run.sh;
# test/compat/run.sh has the same logic and may move here):
#   NPM_SUITE=name; . test/npm_suite.sh
#   npm_suite_need_node                   # node and npm, or skip
#   npm_suite_install DIR                 # npm ci in DIR unless it holds exactly its lock file
#   npm_suite_skip "why" / npm_suite_fail "why"
# A skip FAILS the suite ("0 passed, 1 failed") unless BSPERM_ALLOW_SKIP names
# the suite and the run is not under CI (CI unset, "false" or "0"): then it
# reports "0 passed, 0 failed, 1 skipped".

npm_suite_skip_allowed() {
	case "${CI:-}" in "" | false | 0) ;; *) return 1 ;; esac
	[[ " ${BSPERM_ALLOW_SKIP:-} " =~ [[:space:],]$NPM_SUITE[[:space:],] ]]
}

npm_suite_skip() {
	echo
	echo "##########################################################################"
	echo "##  SUITE $NPM_SUITE NOT RUN: $1"
	if npm_suite_skip_allowed; then
		echo "##  Counted as skipped because BSPERM_ALLOW_SKIP names $NPM_SUITE."
		echo "##########################################################################"
		echo "# suite $NPM_SUITE: 0 passed, 0 failed, 1 skipped"
		exit 0
	fi
	echo "##  Counted as a FAILURE.  Without network, a developer may opt out with"
	echo "##  BSPERM_ALLOW_SKIP=$NPM_SUITE (ignored under CI)."
	echo "##########################################################################"
	echo "# suite $NPM_SUITE: 0 passed, 1 failed"
	exit 1
}

npm_suite_fail() {
	echo "SUITE $NPM_SUITE ERROR: $1"
	echo "# suite $NPM_SUITE: 0 passed, 1 failed"
	exit 1
}

npm_suite_need_node() {
	command -v node >/dev/null && command -v npm >/dev/null || npm_suite_skip "node/npm not installed"
}

npm_suite_install() {
	local dir="$1" stamp="$1/node_modules/.bsperm-$NPM_SUITE-lock" log start
	{ [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; } && return 0
	timeout 45 npm ping --fetch-retries=1 --fetch-timeout=20000 >/dev/null 2>&1 || npm_suite_skip "npm registry unreachable"
	echo "installing the pinned packages in $dir (npm ci)..."
	log="$(mktemp)"
	start=$SECONDS
	if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
		cat "$log"
		if grep -qiE 'ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network' "$log"; then
			rm -f "$log"
			npm_suite_skip "npm registry unreachable"
		fi
		rm -f "$log"
		npm_suite_fail "npm ci failed in $dir"
	fi
	rm -f "$log"
	echo "npm ci took $((SECONDS - start)) s"
	cp "$dir/package-lock.json" "$stamp"
}
