// Catalog permission rules generated from bsperm's declarations
// (bsperm_declare_rule, doc/rules.md; listed by bsperm_metadata() in the shape
// of Backstage's permissions-metadata endpoint).
//
// A declared rule has Backstage's fields (name, description, resourceType,
// paramsSchema) and `filter`: what it tests, in the criteria engine's terms —
// an EntityFilter over the entity's search keys and values
//   {"key": K, "values": [V...]} | {"key": K} | {"allOf": [...]} | {"anyOf": [...]} | {"not": F}
// written as bsperm_declare_rule takes it: "values": "${p}" is the whole
// string-array parameter p, "${p}" inside a key or value the string parameter
// p, "$$" a "$"; a leaf whose values name a parameter the criteria leave out
// tests only that the key exists. From that one declaration:
//   toQuery(params) = the filter with the parameters substituted, which is
//                     what the catalog turns into SQL over its search table;
//   apply(entity, params) = the same filter evaluated on the entity's search
//                     keys and values, computed as the catalog computes them.
import { z } from 'zod';
import { createPermissionRule } from '@backstage/plugin-permission-node';
import { catalogEntityPermissionResourceRef } from '@backstage/plugin-catalog-node/alpha';

/** One rule as bsperm_metadata() lists it. */
export type DeclaredRule = {
  name: string;
  description?: string;
  resourceType: string;
  paramsSchema?: JsonSchema;
  filter?: FilterTemplate;
};
export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  description?: string;
  additionalProperties?: boolean | JsonSchema;
  minimum?: number;
  maximum?: number;
  minItems?: number;
};
export type FilterTemplate =
  | { key: string; values?: unknown[] | string }
  | { allOf: FilterTemplate[] }
  | { anyOf: FilterTemplate[] }
  | { not: FilterTemplate };
export type EntityFilter =
  | { key: string; values?: string[] }
  | { allOf: EntityFilter[] }
  | { anyOf: EntityFilter[] }
  | { not: EntityFilter };

/** The catalog's own rules: a declaration cannot replace them (the catalog would refuse to start). */
export const CATALOG_BUILTIN_RULES = new Set([
  'HAS_ANNOTATION',
  'HAS_LABEL',
  'HAS_METADATA',
  'HAS_SPEC',
  'IS_ENTITY_KIND',
  'IS_ENTITY_OWNER',
]);

/** A zod schema for the JSON Schema subset rule parameters use; throws on what it does not know. */
export function zodFromJsonSchema(s: JsonSchema | undefined, path = 'paramsSchema'): z.ZodTypeAny {
  if (!s) return z.object({}).strict();
  let t: z.ZodTypeAny;
  if (s.enum) {
    const lits = s.enum.map(v => z.literal(v as any));
    t = lits.length === 1 ? lits[0] : z.union(lits as any);
  } else {
    const type = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
    if (type.length !== 1) throw new Error(`${path}: unsupported type ${JSON.stringify(s.type)}`);
    switch (type[0]) {
      case 'string':
        t = z.string();
        break;
      case 'number':
      case 'integer': {
        let n = type[0] === 'integer' ? z.number().int() : z.number();
        if (s.minimum !== undefined) n = n.min(s.minimum);
        if (s.maximum !== undefined) n = n.max(s.maximum);
        t = n;
        break;
      }
      case 'boolean':
        t = z.boolean();
        break;
      case 'array': {
        let a = z.array(zodFromJsonSchema(s.items ?? {}, `${path}.items`));
        if (s.minItems !== undefined) a = a.min(s.minItems);
        t = a;
        break;
      }
      case 'object': {
        const shape: Record<string, z.ZodTypeAny> = {};
        const required = new Set(s.required ?? []);
        for (const [k, v] of Object.entries(s.properties ?? {})) {
          const p = zodFromJsonSchema(v, `${path}.properties.${k}`);
          shape[k] = required.has(k) ? p : p.optional();
        }
        const o = z.object(shape);
        t = s.additionalProperties === false ? o.strict() : o.passthrough();
        break;
      }
      default:
        throw new Error(`${path}: unsupported type "${type[0]}"`);
    }
  }
  return s.description ? t.describe(s.description) : t;
}

const WHOLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

class MissingParam extends Error {}

/** A template string with its "${p}" string parameters substituted; throws MissingParam for an absent one. */
function interpolate(t: string, params: Record<string, unknown>): string {
  return t.replace(REF, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    const v = params?.[name!];
    if (v === undefined || v === null) throw new MissingParam(name);
    return String(v);
  });
}

/** The declaration's filter with the parameters substituted (what toQuery returns). */
export function substitute(t: FilterTemplate, params: Record<string, unknown>): EntityFilter {
  if ('allOf' in t) return { allOf: t.allOf.map(c => substitute(c, params)) };
  if ('anyOf' in t) return { anyOf: t.anyOf.map(c => substitute(c, params)) };
  if ('not' in t) return { not: substitute(t.not, params) };
  const key = interpolate(t.key, params);
  if (t.values === undefined) return { key };
  try {
    if (typeof t.values === 'string') {
      const m = WHOLE.exec(t.values);
      if (!m) return { key, values: [interpolate(t.values, params)] };
      const v = params?.[m[1]];
      if (v === undefined || v === null) throw new MissingParam(m[1]);
      return { key, values: (Array.isArray(v) ? v : [v]).map(x => String(x)) };
    }
    return { key, values: t.values.map(v => interpolate(String(v), params)) };
  } catch (e) {
    if (e instanceof MissingParam) return { key }; // an optional parameter left out: the key exists
    throw e;
  }
}

/**
 * The entity's search keys and values, as the catalog's search table holds
 * them (buildEntitySearch): every leaf of the entity under its dotted,
 * lower-cased path (array items under the array's path), `relations` as
 * `relations.<type>` = target ref, metadata.namespace defaulting to
 * "default"; values lower-cased, strings longer than 200 characters skipped.
 */
export function searchPairs(entity: unknown): Map<string, Set<string | null>> {
  const out = new Map<string, Set<string | null>>();
  const add = (k: string, v: string | null) => {
    const key = k.toLocaleLowerCase('en-US');
    let s = out.get(key);
    if (!s) out.set(key, (s = new Set()));
    s.add(v === null ? null : v.toLocaleLowerCase('en-US'));
  };
  const walk = (v: unknown, path: string) => {
    if (v === null || v === undefined) {
      add(path, null);
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, path);
    } else if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (path === '' && k === 'relations') continue;
        walk(x, path ? `${path}.${k}` : k);
      }
    } else if (typeof v === 'string') {
      if (v.length <= 200) add(path, v);
      else add(path, null);
    } else if (typeof v === 'number' || typeof v === 'boolean') {
      add(path, String(v));
    }
  };
  const e = (entity ?? {}) as { metadata?: { namespace?: string }; relations?: Array<{ type: string; targetRef: string }> };
  walk({ ...e, relations: undefined }, '');
  out.delete('relations');
  if (!out.has('metadata.namespace')) add('metadata.namespace', 'default');
  for (const r of e.relations ?? []) add(`relations.${r.type}`, r.targetRef);
  return out;
}

/** The filter evaluated on one entity, as the catalog's SQL would evaluate it on that entity's rows. */
export function matches(pairs: Map<string, Set<string | null>>, f: EntityFilter): boolean {
  if ('allOf' in f) return f.allOf.every(c => matches(pairs, c));
  if ('anyOf' in f) return f.anyOf.some(c => matches(pairs, c));
  if ('not' in f) return !matches(pairs, f.not);
  const vals = pairs.get(f.key.toLocaleLowerCase('en-US'));
  if (!vals) return false;
  if (f.values === undefined) return true;
  return f.values.some(v => vals.has(v.toLocaleLowerCase('en-US')));
}

/** Catalog permission rules for the declarations that need one; `skipped` says why the others got none. */
export function rulesFromMetadata(metadata: unknown): { rules: ReturnType<typeof createPermissionRule<any, any>>[]; skipped: string[] } {
  const declared = ((metadata as { rules?: DeclaredRule[] } | undefined)?.rules ?? []) as DeclaredRule[];
  const rules: any[] = [];
  const skipped: string[] = [];
  for (const d of declared) {
    if (d.resourceType !== catalogEntityPermissionResourceRef.resourceType) continue;
    if (CATALOG_BUILTIN_RULES.has(d.name)) continue; // the catalog's own
    if (!d.filter) {
      skipped.push(`${d.name}: declared without a filter the catalog can run`);
      continue;
    }
    try {
      const filter = d.filter;
      const paramsSchema = zodFromJsonSchema(d.paramsSchema);
      rules.push(
        createPermissionRule({
          name: d.name,
          description: d.description ?? `bsperm rule ${d.name}`,
          resourceRef: catalogEntityPermissionResourceRef,
          paramsSchema: paramsSchema as z.ZodSchema<any>,
          apply: (entity: unknown, params: any) => matches(searchPairs(entity), substitute(filter, params ?? {})),
          toQuery: (params: any) => substitute(filter, params ?? {}) as any,
        }),
      );
    } catch (e) {
      skipped.push(`${d.name}: ${(e as Error).message}`);
    }
  }
  return { rules, skipped };
}
