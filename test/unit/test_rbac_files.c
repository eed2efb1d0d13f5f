/*
 * test_rbac_files.c - the RBAC plugin's files as the plugin reads them:
 * the policy CSV (bsp_rbac_csv.c) and the conditional-policies YAML
 * (bsp_yaml.c).  The expected values are the real plugin's (8.1.3, with
 * casbin 5.51 and csv-parse 5.6), checked by hand there; the compatibility
 * suite checks many more lines against the plugin itself.
 */
#include "bsp_rbac_csv.h"
#include "bsp_yaml.h"
#include "unit.h"

static unit_arena ua;

/* One line: "p|v1|v2|v3|v4", "g|v1|v2", or "!" + error prefix. */
static const char *
one(const char *line)
{
	int			n;
	bsp_rbac_csv_line *l;
	bsp_sbuf	b;
	int			i;

	if (!bsp_rbac_csv_parse(&ua.arena, line, strlen(line), &n, &l))
		return "(oom)";
	if (n != 1)
		return n == 0 ? "(none)" : "(several)";
	bsp_sbuf_init(&b, &ua.arena);
	bsp_sbuf_reset(&b);
	if (l->error)
	{
		bsp_sbuf_putc(&b, '!');
		bsp_sbuf_appends(&b, l->error);
		return b.data;
	}
	bsp_sbuf_putc(&b, l->type);
	for (i = 0; i < l->nvalues; i++)
	{
		bsp_sbuf_putc(&b, '|');
		bsp_sbuf_appends(&b, l->values[i]);
	}
	return b.data;
}

static bool
starts(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
test_csv(void)
{
	int			n;
	bsp_rbac_csv_line *l;
	const char *text = "# header\n\np, role:default/dev, catalog-entity, read, allow\r\n"
		"  \t\n g, user:default/bob, role:default/dev\nbad line\n";

	CHECK(bsp_rbac_csv_parse(&ua.arena, text, strlen(text), &n, &l) && n == 3,
		  "blank lines and comments are skipped (%d lines)", n);
	CHECK(n == 3 && l[0].lineno == 3 && l[1].lineno == 5 && l[2].lineno == 6,
		  "line numbers count every line");
	CHECK(n == 3 && l[2].error != NULL && l[2].type == 0, "a bad line is reported");

	CHECK_STR(one("p, role:default/dev, catalog-entity, read, allow"),
			  "p|role:default/dev|catalog-entity|read|allow", "a p line");
	CHECK_STR(one("p,role:default/dev,catalog.entity.read,read,deny"),
			  "p|role:default/dev|catalog.entity.read|read|deny", "no spaces");
	CHECK_STR(one("p, \"role:default/dev\", \"catalog-entity\", read, allow"),
			  "p|role:default/dev|catalog-entity|read|allow", "quoted fields lose their quotes");
	CHECK_STR(one("p, role:default/dev, catalog-entity, read, allow, extra"),
			  "p|role:default/dev|catalog-entity|read|allow", "extra fields are ignored, as the plugin does");
	CHECK_STR(one("g, user:default/Eve, role:default/x"),
			  "g|user:default/eve|role:default/x", "a g member is lower-cased");
	CHECK_STR(one("g, User:default/Carl, role:default/x"),
			  "g|user:default/carl|role:default/x", "the kind too");
	CHECK_STR(one("g, GROUP:DEFAULT/TEAM, role:default/x"),
			  "g|group:default/team|role:default/x", "and the namespace");
	CHECK(starts(one("g, user:default/eve, role:default/X y"), "!"),
		  "the role is not lower-cased, and must be valid");
	CHECK_STR(one("g, user:default/eve, role:default/Ops"),
			  "g|user:default/eve|role:default/Ops", "a role name keeps its case");
	CHECK(starts(one("p, User:default/carl, catalog-entity, read, allow"), "!unsupported kind"),
		  "a p subject is not lower-cased: User is no kind");
	CHECK(starts(one("p, role:default/dev, catalog-entity, write, allow"), "!invalid action"),
		  "unknown action");
	CHECK(starts(one("p, role:default/dev, catalog-entity, read, Allow"), "!invalid effect"),
		  "effects are lower case");
	CHECK(starts(one("p, role:default/dev, catalog-entity, read"), "!'effect'"),
		  "four fields: no effect");
	CHECK(starts(one("p, role:default/dev, , read, allow"), "!'permission'"),
		  "empty permission");
	CHECK(starts(one("p, role:default/dev, \"a\"\"b\", read, allow"), "!'permission' contains"),
		  "a permission with a double quote");
	CHECK(starts(one("p, dev, catalog-entity, read, allow"), "!an entity reference"),
		  "a subject that is not a full ref");
	CHECK(starts(one("p, role:Default/dev, catalog-entity, read, allow"), "!the namespace"),
		  "namespaces are lower case");
	CHECK(starts(one("p, role:default/dev!, catalog-entity, read, allow"), "!the name"),
		  "name characters");
	CHECK(starts(one("g, user:default/bob"), "!a \"g\" line has 3"), "g with 2 fields");
	CHECK(starts(one("g, role:default/a, role:default/b"), "!roles cannot"), "role inheritance");
	CHECK(starts(one("g, user:default/a, group:default/b"), "!the third field"),
		  "group memberships come from the catalog");
	CHECK(starts(one("g"), "!a \"g\" line without"), "g alone (the plugin's lower-casing throws)");
	CHECK(starts(one("x, user:default/bob, role:default/dev"), "!unrecognized line type"),
		  "other line types");
	CHECK(starts(one("pp, role:default/dev, catalog-entity, read, allow"), "!unrecognized line type"),
		  "the type is exactly p or g");
	CHECK_STR(one("\"p\", role:default/dev, catalog-entity, read, allow"),
			  "p|role:default/dev|catalog-entity|read|allow", "a quoted type");
	CHECK(starts(one("p, \"role:default/dev, catalog-entity, read, allow"), "!Quote Not Closed"),
		  "an unclosed quote");
	CHECK(starts(one("p, \"role:default/dev\"x, catalog-entity, read, allow"), "!Invalid Closing Quote"),
		  "a character after a closing quote");
	CHECK_STR(one("p, role:default/dev, cat\"alog-entity, read, allow"),
			  "!'permission' contains double quotes (\"), which the plugin does not support",
			  "a quote inside an unquoted field is kept (relax_quotes), then refused");
	CHECK_STR(one("p, \"role:default/dev\" , catalog-entity , read , allow "),
			  "p|role:default/dev|catalog-entity|read|allow", "spaces around quoted fields");
	CHECK_STR(one("p, role:default/dev, \"catalog-entity,x\", read, allow"),
			  "p|role:default/dev|catalog-entity,x|read|allow", "a comma inside quotes");
	CHECK_STR(one("p, role:default/dev, f(a, b), read, allow"),
			  "p|role:default/dev|f(a,b)|read|allow", "Casbin re-joins tokens inside parentheses");
	CHECK(starts(one("p, role:default/dev, f(a, read, allow"), "!Unmatched brackets"),
		  "an unmatched parenthesis");
	CHECK_STR(one("p, role:default/dev,\xc2\xa0" "catalog-entity\xc2\xa0" ", read, allow"),
			  "p|role:default/dev|catalog-entity|read|allow", "JavaScript's trim removes U+00A0");
	CHECK(starts(one("p, role:default/dev, catalog-entity, read, allow\rp, x"), "!Invalid Record Length"),
		  "a carriage return inside a line starts another record");
	CHECK_STR(one("p, role:default/dev, catalog-entity, read, allow\r"),
			  "p|role:default/dev|catalog-entity|read|allow", "a CRLF line end");

	CHECK(bsp_rbac_check_ref("role:default/a.b-c_d", NULL) == NULL, "a valid ref");
	CHECK(bsp_rbac_check_ref("role:default/a..b", NULL) != NULL, "two separators");
	CHECK(bsp_rbac_check_ref("role:default/a/b", NULL) != NULL, "a slash in the name");
	CHECK(bsp_rbac_check_ref("component:default/a", NULL) != NULL, "another kind");
}

static const char *
yaml1(const char *text, int *ndocs, const char **err)
{
	bsp_yaml_result r;

	if (!bsp_yaml_to_json(&ua.arena, text, strlen(text), &r))
		return "(oom)";
	*ndocs = r.ndocs;
	*err = r.error;
	return r.ndocs > 0 ? r.docs[0].json : NULL;
}

static void
test_yaml(void)
{
	int			n;
	const char *err;
	const char *j;
	bsp_yaml_result r;
	const char *multi =
		"result: CONDITIONAL\nroleEntityRef: 'role:default/test'\npluginId: catalog\n"
		"resourceType: catalog-entity\npermissionMapping:\n  - read\n  - update\n"
		"conditions:\n  rule: IS_ENTITY_OWNER\n  resourceType: catalog-entity\n"
		"  params:\n    claims:\n      - group:default/team-a\n      - $ownerRefs\n"
		"---\n"
		"result: CONDITIONAL\nroleEntityRef: role:default/b\npluginId: catalog\n"
		"resourceType: catalog-entity\npermissionMapping:\n  - {name: catalog.entity.delete, action: delete}\n"
		"conditions:\n  not:\n    rule: IS_ENTITY_KIND\n    resourceType: catalog-entity\n    params: {kinds: [Group]}\n";

	CHECK(bsp_yaml_to_json(&ua.arena, multi, strlen(multi), &r) && r.ndocs == 2 && r.error == NULL,
		  "two documents");
	CHECK_STR(r.ndocs > 0 ? r.docs[0].json : NULL,
			  "{\"result\":\"CONDITIONAL\",\"roleEntityRef\":\"role:default/test\",\"pluginId\":\"catalog\","
			  "\"resourceType\":\"catalog-entity\",\"permissionMapping\":[\"read\",\"update\"],"
			  "\"conditions\":{\"rule\":\"IS_ENTITY_OWNER\",\"resourceType\":\"catalog-entity\","
			  "\"params\":{\"claims\":[\"group:default/team-a\",\"$ownerRefs\"]}}}",
			  "the first as JSON");
	CHECK(r.ndocs == 2 && r.docs[1].line == 15, "the second starts at line %d", r.ndocs == 2 ? r.docs[1].line : 0);
	CHECK_STR(r.ndocs == 2 ? r.docs[1].json : NULL,
			  "{\"result\":\"CONDITIONAL\",\"roleEntityRef\":\"role:default/b\",\"pluginId\":\"catalog\","
			  "\"resourceType\":\"catalog-entity\",\"permissionMapping\":[{\"name\":\"catalog.entity.delete\","
			  "\"action\":\"delete\"}],\"conditions\":{\"not\":{\"rule\":\"IS_ENTITY_KIND\","
			  "\"resourceType\":\"catalog-entity\",\"params\":{\"kinds\":[\"Group\"]}}}}",
			  "flow style, {name, action}");
	j = yaml1("a: [1, -2, 3.5, 1e3, 0x1F, 0o17, true, False, ~, null, '1', \"x\\ty\", yes, .inf, 1_000]", &n, &err);
	CHECK_STR(j, "{\"a\":[1,-2,3.5,1000,31,15,true,false,null,null,\"1\",\"x\\ty\",\"yes\",null,1000]}",
			  "scalars as js-yaml's default schema reads them");
	j = yaml1("a: &x {b: 1}\nc: *x\n", &n, &err);
	CHECK_STR(j, "{\"a\":{\"b\":1},\"c\":{\"b\":1}}", "aliases are followed");
	j = yaml1("a: 1\na: 2\n", &n, &err);
	CHECK(n == 0 && err && strcmp(err, "duplicated mapping key") == 0, "a duplicate key is refused");
	j = yaml1("a: b\n---\n- [unclosed\n", &n, &err);
	CHECK(n == 1 && err != NULL, "a syntax error stops the stream after the good documents");
	j = yaml1("", &n, &err);
	CHECK(n == 0 && err == NULL, "an empty stream has no documents");
	j = yaml1("? [a]\n: b\n", &n, &err);
	CHECK(n == 0 && err && strstr(err, "scalar"), "a key that is not a scalar");
	j = yaml1("a: !custom x\n", &n, &err);
	CHECK(n == 0 && err && strstr(err, "tag"), "an unknown tag");
	j = yaml1("a: &a [*a]\n", &n, &err);
	CHECK(n == 0 && err != NULL, "a recursive alias is refused, not followed forever");
	{
		/* an alias bomb stops at the output limit */
		const char *bomb =
			"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
			"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
			"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
			"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n";

		j = yaml1(bomb, &n, &err);
		CHECK(n == 0 && err && strstr(err, "16 MB"), "an alias bomb is refused");
	}
}

int
main(void)
{
	unit_arena_init(&ua);
	test_csv();
	test_yaml();
	unit_arena_free(&ua);
	return unit_done("test_rbac_files");
}
