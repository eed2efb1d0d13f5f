/*
 * unit_walk.h - a flattener driver over json-c trees, for tests only.
 *
 * The server never runs this walk (it walks jsonb: src/pg/pg_jsonb_walk.c);
 * the unit tests use it to feed entities written as JSON text, and the
 * fuzzer compares it with the jsonb walk.  Objects are walked in json-c's
 * order (insertion order) or, with bsp_flatten_json_sorted, in jsonb's
 * key order (length, then bytes; the last of duplicate keys wins in both),
 * which is the order the server sees.
 */
#ifndef BSPERM_UNIT_WALK_H
#define BSPERM_UNIT_WALK_H

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bsp_flatten.h"

static bool
unit_to_scalar(json_object *o, bsp_scalar *s)
{
	memset(s, 0, sizeof(*s));
	switch (json_object_get_type(o))
	{
		case json_type_null:
			s->type = BSP_J_NULL;
			return true;
		case json_type_boolean:
			s->type = BSP_J_BOOL;
			s->boolean = json_object_get_boolean(o);
			return true;
		case json_type_int:
			s->type = BSP_J_NUMBER;
			s->num = (double) json_object_get_int64(o);
			return true;
		case json_type_double:
			s->type = BSP_J_NUMBER;
			s->num = json_object_get_double(o);
			return true;
		case json_type_string:
			s->type = BSP_J_STRING;
			s->str = json_object_get_string(o);
			s->len = (size_t) json_object_get_string_len(o);
			return true;
		default:
			return false;
	}
}

/* jsonb's key order: shorter first, then bytes */
static int
unit_jsonb_key_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *) a;
	const char *y = *(const char *const *) b;
	size_t		lx = strlen(x),
				ly = strlen(y);

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return memcmp(x, y, lx);
}

/* The object's keys, sorted as jsonb stores them (malloc'd; free it). */
static const char **
unit_sorted_keys(json_object *o, size_t *n)
{
	const char **keys = malloc(sizeof(char *) * (json_object_object_length(o) + 1));
	size_t		i = 0;

	json_object_object_foreach(o, key, val)
	{
		(void) val;
		keys[i++] = key;
	}
	qsort(keys, i, sizeof(char *), unit_jsonb_key_cmp);
	*n = i;
	return keys;
}

static bool
unit_walk(bsp_flat *f, json_object *o, bool item, bool sorted)
{
	bsp_scalar	s;
	size_t		i,
				n;

	if (f->failed)
		return false;
	if (json_object_is_type(o, json_type_object))
	{
		if (sorted)
		{
			const char **keys = unit_sorted_keys(o, &n);

			for (i = 0; i < n && bsp_flat_tick(f); i++)
			{
				json_object *val = json_object_object_get(o, keys[i]);

				if (bsp_flat_may_enter(f, keys[i], strlen(keys[i])) &&
					bsp_flat_push_key(f, keys[i], strlen(keys[i])))
				{
					unit_walk(f, val, false, sorted);
					bsp_flat_pop(f);
				}
			}
			free(keys);
			return !f->failed;
		}
		json_object_object_foreach(o, key, val)
		{
			if (bsp_flat_push_key(f, key, strlen(key)))
			{
				unit_walk(f, val, false, sorted);
				bsp_flat_pop(f);
			}
		}
		return !f->failed;
	}
	if (json_object_is_type(o, json_type_array))
	{
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			unit_walk(f, json_object_array_get_idx(o, i), true, sorted);
		return !f->failed;
	}
	unit_to_scalar(o, &s);
	return bsp_flat_scalar(f, &s, item);
}

/* member of obj as a scalar; NULL when undefined or not a scalar */
static const bsp_scalar *
unit_member_scalar(json_object *obj, const char *name, bsp_scalar *buf)
{
	json_object *v;

	if (!json_object_is_type(obj, json_type_object) ||
		!json_object_object_get_ex(obj, name, &v))
		return NULL;
	return unit_to_scalar(v, buf) ? buf : NULL;
}

static bool
unit_flatten_json(bsp_flat *f, json_object *entity, bool sorted)
{
	json_object *meta = NULL,
			   *rels = NULL;
	bsp_scalar	b1,
				b2,
				b3;
	size_t		i,
				n;

	unit_walk(f, entity, false, sorted);
	if (json_object_is_type(entity, json_type_object))
	{
		json_object_object_get_ex(entity, "metadata", &meta);
		json_object_object_get_ex(entity, "relations", &rels);
	}
	if (f->wants_fixed)
		bsp_flat_fixed_rows(f, unit_member_scalar(meta, "name", &b1),
							unit_member_scalar(meta, "namespace", &b2),
							unit_member_scalar(meta, "uid", &b3));
	if (f->wants_relations && json_object_is_type(rels, json_type_array))
	{
		n = json_object_array_length(rels);
		for (i = 0; i < n; i++)
		{
			json_object *rel = json_object_array_get_idx(rels, i);

			if (!json_object_is_type(rel, json_type_object))
				continue;
			bsp_flat_relation(f, unit_member_scalar(rel, "type", &b1),
							  unit_member_scalar(rel, "targetRef", &b2));
		}
	}
	return !f->failed;
}

/* Drives a flattener over an entity held as a json-c tree (json-c's order). */
static inline bool
bsp_flatten_json(bsp_flat *f, json_object *entity)
{
	return unit_flatten_json(f, entity, false);
}

/* The same in jsonb's key order, i.e. the order the server walks. */
static inline bool
bsp_flatten_json_sorted(bsp_flat *f, json_object *entity)
{
	return unit_flatten_json(f, entity, true);
}

#endif							/* BSPERM_UNIT_WALK_H */
