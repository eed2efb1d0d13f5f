/*
 * fuzz_rbac_files.c - libFuzzer target for the RBAC plugin's file readers:
 * the policy CSV (bsp_rbac_csv.c) and the conditional-policies YAML
 * (bsp_yaml.c, over libyaml).  The same bytes go to both.  Besides ASan,
 * UBSan and LSan, it aborts when an invariant breaks: an accepted "p" line
 * has four values, a valid subject ref, a known action and effect; an
 * accepted "g" member is a valid ref without upper-case ASCII (the plugin
 * lower-cases it); every YAML document comes out as JSON that json-c reads.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "bsp_rbac_csv.h"
#include "bsp_yaml.h"
#include "../unit/unit.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
must(int cond, const char *what)
{
	if (!cond)
	{
		fprintf(stderr, "invariant broken: %s\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unit_arena ua;
	int			n,
				i;
	bsp_rbac_csv_line *lines;
	bsp_yaml_result yr;

	unit_arena_init(&ua);
	if (bsp_rbac_csv_parse(&ua.arena, (const char *) data, size, &n, &lines))
		for (i = 0; i < n; i++)
		{
			const bsp_rbac_csv_line *l = &lines[i];
			const char *c;

			must((l->type == 0) == (l->error != NULL), "accepted xor refused");
			if (l->type == 'p')
			{
				must(l->nvalues == 4, "p has four values");
				must(bsp_rbac_check_ref(l->values[0], NULL) == NULL, "p subject valid");
				must(strcmp(l->values[3], "allow") == 0 || strcmp(l->values[3], "deny") == 0, "effect");
				must(l->values[1][0] != '\0' && strchr(l->values[1], '"') == NULL, "permission");
			}
			else if (l->type == 'g')
			{
				must(l->nvalues == 2, "g has two values");
				must(bsp_rbac_check_ref(l->values[0], NULL) == NULL, "g member valid");
				for (c = l->values[0]; *c; c++)
					must(!(*c >= 'A' && *c <= 'Z'), "g member lower-cased");
				must(strncmp(l->values[1], "role:", 5) == 0, "g role");
			}
		}
	if (bsp_yaml_to_json(&ua.arena, (const char *) data, size, &yr))
		for (i = 0; i < yr.ndocs; i++)
		{
			json_object *o = json_tokener_parse(yr.docs[i].json);

			must(o != NULL || strcmp(yr.docs[i].json, "null") == 0, "document is JSON");
			json_object_put(o);
		}
	unit_arena_free(&ua);
	return 0;
}
