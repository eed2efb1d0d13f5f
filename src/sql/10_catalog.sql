-- bsperm install script, part 10: the catalog table.
--
-- One row per Backstage entity (the catalog's final_entity as jsonb).  The
-- decision functions load resources from here by exact canonical entity ref,
-- as the catalog's apply-conditions endpoint does (spec section 1.5 step 3),
-- and compute users' group memberships from the entities' relations.

CREATE TABLE bsperm.entities (
  entity_ref text PRIMARY KEY
    GENERATED ALWAYS AS (@extschema@.bsperm_entity_ref(entity)) STORED,
  entity jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  CONSTRAINT entities_entity_is_object
    CHECK (pg_catalog.jsonb_typeof(entity) OPERATOR(pg_catalog.=) 'object')
);
COMMENT ON TABLE bsperm.entities IS
  'Backstage catalog entities (final_entity as jsonb), keyed by their canonical entity ref';
COMMENT ON COLUMN bsperm.entities.entity_ref IS
  'canonical ref kind:namespace/name, lowercased; generated from the entity';

CREATE INDEX entities_entity_idx ON bsperm.entities
  USING gin (entity @extschema@.bsperm_entity_ops);
