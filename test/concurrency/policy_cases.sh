# policy_cases.sh - multi-session cases of the policy cache (sourced by run.sh,
# which has set up $DB, the sessions A, B, ADMIN and lib.sh's helpers).

# A decision of session A for a user, in its own transaction.
pc_decide() {
	q A "BEGIN;" >/dev/null
	q A "SELECT bsperm.bsperm_set_user('$1');" >/dev/null
	q A "SELECT bsperm.bsperm_authorize('$2');"
	q A "COMMIT;" >/dev/null
}

echo "# policy writers do not serialize on one row (issue 7 item 10)"
session_start PW1 -d "$DB" -U postgres
session_start PW2 -d "$DB" -U postgres
q ADMIN "INSERT INTO bsperm.entities (entity) VALUES ('{\"kind\":\"User\",\"metadata\":{\"name\":\"pw1\"}}'), ('{\"kind\":\"User\",\"metadata\":{\"name\":\"pw2\"}}');" >/dev/null
q ADMIN "INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/admin', 'group:default/team-pw');" >/dev/null
check "pw1 has no role yet" "$(pc_decide user:default/pw1 catalog.entity.read)" "DENY"
check "pw2 has no role yet" "$(pc_decide user:default/pw2 catalog.entity.read)" "DENY"
q PW1 "BEGIN;" >/dev/null; q PW2 "BEGIN;" >/dev/null
q PW1 "SET LOCAL lock_timeout = '3s';" >/dev/null; q PW2 "SET LOCAL lock_timeout = '3s';" >/dev/null
check "writer 1 updates a User entity" \
	"$(q PW1 "UPDATE bsperm.entities SET entity = entity || '{\"spec\":{\"profile\":{\"displayName\":\"One\"}}}' WHERE entity_ref = 'user:default/pw1';")" ""
check "writer 2 updates another User entity meanwhile, without waiting" \
	"$(q PW2 "UPDATE bsperm.entities SET entity = entity || '{\"relations\":[{\"type\":\"memberOf\",\"targetRef\":\"group:default/team-pw\"}]}' WHERE entity_ref = 'user:default/pw2';")" ""
check "writer 1 adds a role member, without waiting" \
	"$(q PW1 "INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/admin', 'user:default/pw1');")" ""
check "writer 2 adds a permission line, without waiting" \
	"$(q PW2 "INSERT INTO bsperm.permission_policies (role, object, action, effect) VALUES ('role:default/admin', 'catalog.location.read', 'read', 'allow');")" ""
check "writer 1 updates the entity writer 2 did not touch, again" \
	"$(q PW1 "UPDATE bsperm.entities SET entity = entity || '{\"spec\":{\"x\":2}}' WHERE entity_ref = 'user:default/pw1';")" ""
check "nobody waits on a lock" \
	"$(q ADMIN "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock';")" "0"
check "uncommitted: pw1 still DENY" "$(pc_decide user:default/pw1 catalog.entity.read)" "DENY"
q PW1 "COMMIT;" >/dev/null
check "writer 1 committed: pw1 ALLOW by the next statement" "$(pc_decide user:default/pw1 catalog.entity.read)" "ALLOW"
check "writer 2 not yet: pw2 DENY" "$(pc_decide user:default/pw2 catalog.entity.read)" "DENY"
q PW2 "COMMIT;" >/dev/null
check "writer 2 committed: pw2 ALLOW through its new group" "$(pc_decide user:default/pw2 catalog.entity.read)" "ALLOW"
check "and the permission line of writer 2 counts" "$(pc_decide user:default/pw2 catalog.location.read)" "ALLOW"

echo "# a rolled-back change leaves no version behind"
q PW1 "BEGIN;" >/dev/null
q PW1 "DELETE FROM bsperm.role_members WHERE member = 'user:default/pw1';" >/dev/null
q PW1 "ROLLBACK;" >/dev/null
check "pw1 still ALLOW after a rolled-back revoke" "$(pc_decide user:default/pw1 catalog.entity.read)" "ALLOW"

echo "# compaction: many writing transactions, the change table stays small"
for i in $(seq 1 40); do
	q PW1 "UPDATE bsperm.roles SET description = 'n$i' WHERE name = 'role:default/admin';" >/dev/null
done
check "at most 33 rows in policy_changes after 40 writers" \
	"$(q ADMIN "SELECT count(*) <= 33 FROM bsperm.policy_changes;")" "t"
q PW2 "DELETE FROM bsperm.role_members WHERE member = 'user:default/pw1';" >/dev/null
check "a revoke after compaction is seen by the next statement" "$(pc_decide user:default/pw1 catalog.entity.read)" "DENY"
q ADMIN "DELETE FROM bsperm.role_members WHERE member = 'group:default/team-pw';" >/dev/null
q ADMIN "DELETE FROM bsperm.entities WHERE entity_ref IN ('user:default/pw1', 'user:default/pw2');" >/dev/null
q ADMIN "DELETE FROM bsperm.permission_policies WHERE object = 'catalog.location.read';" >/dev/null
