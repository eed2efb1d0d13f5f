#!/usr/bin/env bash
# bsperm releases (release/README.md).
#
#   scripts/release.sh check        the current version's install script built
#                                   from src/sql equals its frozen copy in
#                                   release/; bsperm.control, META.json and
#                                   debian/changelog name the same version;
#                                   every frozen older version has an upgrade
#                                   script to the next; no frozen file of a
#                                   released version changed since it was
#                                   committed.  Exit 1 with the reason.
#   scripts/release.sh freeze       copy the built install script of the
#                                   current version into release/ (for a
#                                   version not yet released: re-run it after
#                                   src/sql changes, then fix the upgrade
#                                   script with diff and draft)
#   scripts/release.sh next VERSION start VERSION: default_version, META.json,
#                                   debian/changelog, and an upgrade script
#                                   release/bsperm--CURRENT--VERSION.sql to fill
#   scripts/release.sh diff [OLD]   needs a server with this build installed
#                                   (PGHOST/PGPORT, e.g. ./scripts/run shell
#                                   scripts/release.sh diff): creates the
#                                   extension at OLD (default: every older
#                                   version), runs ALTER EXTENSION bsperm
#                                   UPDATE, and prints how its catalog
#                                   (test/ops/catalog.sql) differs from a fresh
#                                   install's; exit 1 if it differs
#   scripts/release.sh draft OLD    the same databases; prints SQL to append to
#                                   the upgrade script: CREATE OR REPLACE for
#                                   every function that is new or differs,
#                                   GRANT/REVOKE and COMMENT where they differ,
#                                   DROP FUNCTION for those gone, and the other
#                                   differences as "-- TODO" lines to write by
#                                   hand (tables, triggers, operators ...)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
EXT=bsperm
PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/${PGVER:-15}/bin/pg_config}"
current() { sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$EXT.control"; }
# frozen versions, oldest first (version sort)
versions() { ls release | sed -n "s/^$EXT--\([^-]*\)\.sql$/\1/p" | sort -V; }
die() { echo "release.sh: $*" >&2; exit 1; }

built() {
	make -s -C "$HERE" PG_CONFIG="$PG_CONFIG" "$EXT--$(current).sql" >/dev/null
	echo "$HERE/$EXT--$(current).sql"
}

cmd_check() {
	local v cur meta deb fail=0 prev="" f
	cur="$(current)"
	meta="$(python3 -c 'import json,sys; d=json.load(open("META.json")); print(d["version"], d["provides"]["bsperm"]["version"])')"
	[ "$meta" = "$cur $cur" ] || { echo "META.json says $meta, bsperm.control says $cur"; fail=1; }
	deb="$(sed -n '1s/^[^ ]* (\([^)-]*\).*/\1/p' debian/changelog)"
	[ "$deb" = "$cur" ] || { echo "debian/changelog says $deb, bsperm.control says $cur"; fail=1; }
	if [ ! -f "release/$EXT--$cur.sql" ]; then
		echo "release/$EXT--$cur.sql is missing: run scripts/release.sh freeze"; fail=1
	elif ! cmp -s "$(built)" "release/$EXT--$cur.sql"; then
		echo "the install script built from src/sql differs from release/$EXT--$cur.sql:"
		diff -u "release/$EXT--$cur.sql" "$(built)" | head -n 40
		echo "A released version never changes: start the next one (scripts/release.sh next X.Y.Z)"
		echo "and put the change in its upgrade script; before $cur is released, re-freeze it"
		echo "(scripts/release.sh freeze) and bring the upgrade scripts to it (diff, draft)."
		fail=1
	fi
	for v in $(versions); do
		if [ -n "$prev" ] && [ ! -f "release/$EXT--$prev--$v.sql" ]; then
			echo "no upgrade script release/$EXT--$prev--$v.sql"; fail=1
		fi
		prev="$v"
	done
	[ "$prev" = "$cur" ] || { echo "the newest frozen version is $prev, bsperm.control says $cur"; fail=1; }
	# released files are immutable: only the current version's may differ from git's HEAD
	if git rev-parse --verify -q HEAD >/dev/null; then
		for f in $(git diff --name-only HEAD -- release/ 2>/dev/null); do
			case "$f" in
				"release/$EXT--$cur.sql" | release/$EXT--*--"$cur".sql | release/README.md) ;;
				*) git cat-file -e "HEAD:$f" 2>/dev/null && { echo "$f was released and changed"; fail=1; } ;;
			esac
		done
	fi
	[ "$fail" = 0 ] && echo "release check: $cur frozen and built alike; versions $(versions | tr '\n' ' ')"
	return "$fail"
}

cmd_freeze() {
	local cur
	cur="$(current)"
	cp "$(built)" "release/$EXT--$cur.sql"
	echo "froze release/$EXT--$cur.sql ($(sha256sum "release/$EXT--$cur.sql" | cut -c1-16))"
}

cmd_next() {
	local new="${1:?usage: release.sh next VERSION}" cur
	cur="$(current)"
	[ -f "release/$EXT--$cur.sql" ] || die "freeze $cur first"
	sed -i "s/^default_version *= *'.*'/default_version = '$new'/" "$EXT.control"
	python3 - "$new" <<'PY'
import json, sys
d = json.load(open('META.json')); v = sys.argv[1]
d['version'] = v; d['provides']['bsperm']['version'] = v; d['provides']['bsperm']['file'] = 'release/bsperm--%s.sql' % v
open('META.json', 'w').write(json.dumps(d, indent=3) + '\n')
PY
	{ printf '%s (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- bsperm developers <bsperm@localhost>  %s\n\n' \
		"$EXT" "$new" "$new" "$(date -R)"; cat debian/changelog; } > debian/changelog.new && mv debian/changelog.new debian/changelog
	printf -- '-- bsperm %s -> %s (ALTER EXTENSION bsperm UPDATE)\n\\echo Use "ALTER EXTENSION bsperm UPDATE" to load this file. \\quit\n\n' \
		"$cur" "$new" > "release/$EXT--$cur--$new.sql"
	echo "now $new; write release/$EXT--$cur--$new.sql (scripts/release.sh draft $cur helps), then freeze"
}

# two databases: up_<old> created at OLD and updated, fresh at the current version
make_dbs() {
	local old="$1" q=(psql -X -q -v ON_ERROR_STOP=1 -U postgres)
	local up="bsperm_rel_up_${old//./_}" fresh=bsperm_rel_fresh
	"${q[@]}" -d postgres -c "DROP DATABASE IF EXISTS $up" -c "CREATE DATABASE $up" \
		-c "DROP DATABASE IF EXISTS $fresh" -c "CREATE DATABASE $fresh" >/dev/null 2>&1
	"${q[@]}" -d "$up" -c "SET client_min_messages = warning" -c "CREATE EXTENSION $EXT VERSION '$old'" \
		-c "ALTER EXTENSION $EXT UPDATE" >&2
	"${q[@]}" -d "$fresh" -c "SET client_min_messages = warning" -c "CREATE EXTENSION $EXT" >&2
	echo "$up $fresh"
}

catalog() { psql -X -q -U postgres -d "$1" -f "$HERE/test/ops/catalog.sql"; }

cmd_diff() {
	local olds="${1:-}" old dbs fail=0
	[ -n "$olds" ] || olds="$(versions | grep -vx "$(current)")"
	for old in $olds; do
		dbs=($(make_dbs "$old"))
		if diff -u --label "$old updated to $(current)" --label "$(current) installed" \
			<(catalog "${dbs[0]}") <(catalog "${dbs[1]}"); then
			echo "$old -> $(current): the catalog equals a fresh install's"
		else
			fail=1
		fi
	done
	return "$fail"
}

cmd_draft() {
	local old="${1:?usage: release.sh draft OLD}" dbs
	dbs=($(make_dbs "$old"))
	# function definitions, ACLs and comments as SQL, keyed by signature
	local defs='SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid),
	  coalesce((SELECT string_agg(CASE WHEN a.grantee = 0 THEN $q$PUBLIC$q$ ELSE quote_ident(a.grantee::regrole::text) END
	                              || $q$:$q$ || a.privilege_type, $q$,$q$ ORDER BY 1) FROM aclexplode(coalesce(p.proacl, acldefault($q$f$q$, p.proowner))) a WHERE a.grantee <> p.proowner), $q$none$q$),
	  coalesce(obj_description(p.oid, $q$pg_proc$q$), $q$$q$)
	  FROM pg_proc p JOIN pg_depend d ON d.classid = $q$pg_proc$q$::regclass AND d.objid = p.oid AND d.deptype = $q$e$q$
	  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = $q$bsperm$q$'
	local tmp
	tmp="$(mktemp -d)"
	for db in "${dbs[@]}"; do
		psql -X -q -U postgres -d "$db" -c "SET search_path = pg_catalog" -c "COPY ($defs) TO STDOUT WITH (FORMAT csv)" > "$tmp/$db.csv"
	done
	python3 - "$tmp/${dbs[0]}.csv" "$tmp/${dbs[1]}.csv" <<'PY'
import csv, sys
def load(p):
    return {r[0]: r[1:] for r in csv.reader(open(p, newline=''))}
up, fresh = load(sys.argv[1]), load(sys.argv[2])
out = ['-- draft by scripts/release.sh draft: check every statement before keeping it']
for sig in sorted(fresh):
    d, acl, com = fresh[sig]
    u = up.get(sig)
    if u is None or u[0] != d:
        out.append('-- %s %s' % ('new:' if u is None else 'changed:', sig))
        out.append(d.rstrip().replace("'$libdir/bsperm'", "'MODULE_PATHNAME'") + ';')
    if u is None or u[1] != acl:
        out.append('REVOKE ALL ON FUNCTION %s FROM PUBLIC;' % sig)
        if acl != 'none':
            for item in acl.split(','):
                who, priv = item.rsplit(':', 1)
                out.append('GRANT %s ON FUNCTION %s TO %s;' % (priv, sig, who))
    if (u is None and com) or (u is not None and u[2] != com):
        out.append("COMMENT ON FUNCTION %s IS %s;" % (sig, "NULL" if not com else "'" + com.replace("'", "''") + "'"))
for sig in sorted(set(up) - set(fresh)):
    out.append('DROP FUNCTION %s;  -- gone in the new version' % sig)
print('\n'.join(out))
PY
	# whatever else differs is written by hand
	diff <(catalog "${dbs[0]}" | grep -v '^function \|^comment function ') \
		<(catalog "${dbs[1]}" | grep -v '^function \|^comment function ') |
		grep '^[<>]' | sed 's/^</-- TODO remove:/; s/^>/-- TODO add:/' || true
	rm -rf "$tmp"
}

case "${1:-}" in
	check) cmd_check ;;
	freeze) cmd_freeze ;;
	next) shift; cmd_next "$@" ;;
	diff) shift; cmd_diff "$@" ;;
	draft) shift; cmd_draft "$@" ;;
	*) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
