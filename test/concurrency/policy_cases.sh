# policy_cases.sh - multi-session cases of the policy cache (sourced by run.sh,
# which has set up $DB, the sessions A, B, ADMIN and lib.sh's helpers).
#
# q numbers its markers in a shell variable, so it must not run in a
# subshell ($(...)): a marker number used there is used again by the next
# q, which then returns before its statement ran.  These cases call q in
# this shell and read its output from a file.
PC_OUT="$WORK/policy_cases.out"

# Runs SQL in a session; its output is then $(pc_got).
pc_q() { q "$1" "$2" > "$PC_OUT"; }
pc_got() { cat "$PC_OUT"; }

# A decision of session PA for a user, in its own transaction; then $(pc_got).
pc_decide() {
	q PA "BEGIN;" >/dev/null
	q PA "SELECT bsperm_set_user('$1');" >/dev/null
	q PA "SELECT bsperm_authorize('$2');" > "$PC_OUT"
	q PA "COMMIT;" >/dev/null
}

echo "# policy writers do not serialize on one row (issue 7 item 10)"
# sessions of their own (see above): a reader, two writers, an administrator
session_start PA -d "$DB" -U bsperm_conc_app
session_start PW1 -d "$DB" -U postgres
session_start PW2 -d "$DB" -U postgres
session_start PADM -d "$DB" -U postgres
q PADM "INSERT INTO bsperm.entities (entity) VALUES ('{\"kind\":\"User\",\"metadata\":{\"name\":\"pw1\"}}'), ('{\"kind\":\"User\",\"metadata\":{\"name\":\"pw2\"}}');" >/dev/null
q PADM "INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/admin', 'group:default/team-pw');" >/dev/null
pc_decide user:default/pw1 catalog.entity.read; check "pw1 has no role yet" "$(pc_got)" "DENY"
pc_decide user:default/pw2 catalog.entity.read; check "pw2 has no role yet" "$(pc_got)" "DENY"
q PW1 "BEGIN;" >/dev/null; q PW2 "BEGIN;" >/dev/null
q PW1 "SET LOCAL lock_timeout = '3s';" >/dev/null; q PW2 "SET LOCAL lock_timeout = '3s';" >/dev/null
pc_q PW1 "UPDATE bsperm.entities SET entity = entity || '{\"spec\":{\"profile\":{\"displayName\":\"One\"}}}' WHERE entity_ref = 'user:default/pw1';"
check "writer 1 updates a User entity" "$(pc_got)" ""
pc_q PW2 "UPDATE bsperm.entities SET entity = entity || '{\"relations\":[{\"type\":\"memberOf\",\"targetRef\":\"group:default/team-pw\"}]}' WHERE entity_ref = 'user:default/pw2';"
check "writer 2 updates another User entity meanwhile, without waiting" "$(pc_got)" ""
pc_q PW1 "INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/admin', 'user:default/pw1');"
check "writer 1 adds a role member, without waiting" "$(pc_got)" ""
pc_q PW2 "INSERT INTO bsperm.permission_policies (role, object, action, effect) VALUES ('role:default/admin', 'catalog.location.read', 'read', 'allow');"
check "writer 2 adds a permission line, without waiting" "$(pc_got)" ""
pc_q PW1 "UPDATE bsperm.entities SET entity = entity || '{\"spec\":{\"x\":2}}' WHERE entity_ref = 'user:default/pw1';"
check "writer 1 updates the entity writer 2 did not touch, again" "$(pc_got)" ""
pc_q PADM "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock';"
check "nobody waits on a lock" "$(pc_got)" "0"
pc_decide user:default/pw1 catalog.entity.read; check "uncommitted: pw1 still DENY" "$(pc_got)" "DENY"
q PW1 "COMMIT;" >/dev/null
pc_decide user:default/pw1 catalog.entity.read; check "writer 1 committed: pw1 ALLOW by the next statement" "$(pc_got)" "ALLOW"
pc_decide user:default/pw2 catalog.entity.read; check "writer 2 not yet: pw2 DENY" "$(pc_got)" "DENY"
q PW2 "COMMIT;" >/dev/null
pc_decide user:default/pw2 catalog.entity.read; check "writer 2 committed: pw2 ALLOW through its new group" "$(pc_got)" "ALLOW"
pc_decide user:default/pw2 catalog.location.read; check "and the permission line of writer 2 counts" "$(pc_got)" "ALLOW"

echo "# a rolled-back change leaves no version behind"
q PW1 "BEGIN;" >/dev/null
q PW1 "DELETE FROM bsperm.role_members WHERE member = 'user:default/pw1';" >/dev/null
q PW1 "ROLLBACK;" >/dev/null
pc_decide user:default/pw1 catalog.entity.read; check "pw1 still ALLOW after a rolled-back revoke" "$(pc_got)" "ALLOW"

echo "# compaction: many writing transactions, the change table stays small"
for i in $(seq 1 40); do
	q PW1 "UPDATE bsperm.roles SET description = 'n$i' WHERE name = 'role:default/admin';" >/dev/null
done
pc_q PADM "SELECT count(*) <= 33 FROM bsperm.policy_changes;"
check "at most 33 rows in policy_changes after 40 writers" "$(pc_got)" "t"
q PW2 "DELETE FROM bsperm.role_members WHERE member = 'user:default/pw1';" >/dev/null
pc_decide user:default/pw1 catalog.entity.read; check "a revoke after compaction is seen by the next statement" "$(pc_got)" "DENY"
q PADM "DELETE FROM bsperm.role_members WHERE member = 'group:default/team-pw';" >/dev/null
q PADM "DELETE FROM bsperm.entities WHERE entity_ref IN ('user:default/pw1', 'user:default/pw2');" >/dev/null
q PADM "DELETE FROM bsperm.permission_policies WHERE object = 'catalog.location.read';" >/dev/null
