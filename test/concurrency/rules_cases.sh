# rules_cases.sh - declared rules and transitive ownership across sessions
# (sourced by run.sh, which has set up $DB, the sessions A, B, ADMIN and
# lib.sh's helpers): a committed change of a rule, or of the group
# hierarchy, is seen by another session's next statement, a prepared one
# included; an uncommitted one is not.
RC_OUT="$WORK/rules_cases.out"
rc_q() { q "$1" "$2" > "$RC_OUT"; }
rc_got() { cat "$RC_OUT"; }
# what user $1 reads, through the prepared statement rc of session A
rc_read() {
	q A "BEGIN;" >/dev/null
	q A "SELECT bsperm_set_user('$1');" >/dev/null
	q A "EXECUTE rc;" > "$RC_OUT"
	q A "COMMIT;" >/dev/null
}

echo "# declared rules and group hierarchies change for every session at its next statement"
q ADMIN "INSERT INTO bsperm.entities (entity) VALUES
 ('{\"kind\":\"Group\",\"metadata\":{\"name\":\"dept\"}}'),
 ('{\"kind\":\"Group\",\"metadata\":{\"name\":\"team-r\"}}'),
 ('{\"kind\":\"User\",\"metadata\":{\"name\":\"rhea\"},\"relations\":[{\"type\":\"memberOf\",\"targetRef\":\"group:default/dept\"}]}'),
 ('{\"kind\":\"Component\",\"metadata\":{\"name\":\"r-gold\",\"labels\":{\"tier\":\"gold\"}}}'),
 ('{\"kind\":\"Component\",\"metadata\":{\"name\":\"r-team\"},\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-r\"}]}');" >/dev/null
q ADMIN "SELECT bsperm_declare_rule('HAS_TIER', 'tiers', '{\"type\":\"object\",\"properties\":{\"tiers\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},\"required\":[\"tiers\"]}', '{\"key\":\"metadata.labels.tier\",\"values\":\"\${tiers}\"}');" >/dev/null
q ADMIN "INSERT INTO bsperm.roles (name) VALUES ('role:default/rules');" >/dev/null
q ADMIN "INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/rules', 'user:default/rhea');" >/dev/null
q ADMIN "INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/rules', 'catalog', 'catalog-entity', '{read}', '{\"anyOf\":[{\"rule\":\"HAS_TIER\",\"resourceType\":\"catalog-entity\",\"params\":{\"tiers\":[\"gold\"]}},{\"rule\":\"IS_ENTITY_OWNER\",\"resourceType\":\"catalog-entity\",\"params\":{\"claims\":[\"\$ownerRefs\"],\"transitive\":\"descendants\"}}]}');" >/dev/null
q A "PREPARE rc AS SELECT coalesce(string_agg(entity->'metadata'->>'name', ',' ORDER BY 1), '(none)') FROM bsperm.entities WHERE entity->>'kind' = 'Component';" >/dev/null
rc_read user:default/rhea; check "rhea reads the gold entity through the declared rule" "$(rc_got)" "r-gold"

q ADMIN "BEGIN;" >/dev/null
q ADMIN "SELECT bsperm_declare_rule('HAS_TIER', 'tiers, or none', '{\"type\":\"object\",\"properties\":{\"tiers\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},\"required\":[\"tiers\"]}', '{\"anyOf\":[{\"key\":\"metadata.labels.tier\",\"values\":\"\${tiers}\"},{\"not\":{\"key\":\"metadata.labels.tier\"}}]}');" >/dev/null
rc_read user:default/rhea; check "an uncommitted change of the rule is not seen" "$(rc_got)" "r-gold"
q ADMIN "COMMIT;" >/dev/null
rc_read user:default/rhea; check "committed: the prepared statement uses the new declaration" "$(rc_got)" "a1,a2,b1,r-gold,r-team"

q ADMIN "SELECT bsperm_declare_rule('HAS_TIER', 'tiers', '{\"type\":\"object\",\"properties\":{\"tiers\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},\"required\":[\"tiers\"]}', '{\"key\":\"metadata.labels.tier\",\"values\":\"\${tiers}\"}');" >/dev/null
rc_read user:default/rhea; check "and the declaration changed back" "$(rc_got)" "r-gold"
q ADMIN "BEGIN;" >/dev/null
q ADMIN "UPDATE bsperm.entities SET entity = entity || '{\"relations\":[{\"type\":\"parentOf\",\"targetRef\":\"group:default/team-r\"}]}' WHERE entity_ref = 'group:default/dept';" >/dev/null
rc_read user:default/rhea; check "an uncommitted change of the hierarchy is not seen" "$(rc_got)" "r-gold"
q ADMIN "COMMIT;" >/dev/null
rc_read user:default/rhea; check "committed: team-r is below rhea's department, its entity is hers" "$(rc_got)" "r-gold,r-team"

rc_q B "SELECT bsperm_drop_rule('HAS_TIER');"
check "an untrusted session cannot drop the rule" "$(rc_got)" "ERROR:  permission denied for function bsperm_drop_rule"
q A "DEALLOCATE rc;" >/dev/null
q ADMIN "DELETE FROM bsperm.conditional_policies WHERE role = 'role:default/rules';" >/dev/null
q ADMIN "DELETE FROM bsperm.role_members WHERE role = 'role:default/rules';" >/dev/null
q ADMIN "DELETE FROM bsperm.roles WHERE name = 'role:default/rules';" >/dev/null
q ADMIN "SELECT bsperm_drop_rule('HAS_TIER');" >/dev/null
q ADMIN "DELETE FROM bsperm.entities WHERE entity_ref IN ('group:default/dept', 'group:default/team-r', 'user:default/rhea', 'component:default/r-gold', 'component:default/r-team');" >/dev/null
