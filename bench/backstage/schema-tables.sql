-- The catalog schema of @backstage/plugin-catalog-backend 4.0.0 after its 45 knex
-- migrations (pg_dump -s of a database they built; public. qualifiers dropped,
-- so that it is created in the schema first in search_path).
-- Part 1: the tables (part 2, schema-indexes.sql, has the constraints and indexes).

CREATE TABLE final_entities (
    entity_id character varying(255) NOT NULL,
    hash character varying(255) NOT NULL,
    final_entity text,
    last_updated_at timestamp with time zone,
    entity_ref character varying(255) NOT NULL
)
WITH (autovacuum_vacuum_scale_factor='0.01', autovacuum_analyze_scale_factor='0.01');

COMMENT ON TABLE final_entities IS 'Final entities after processing and stitching';

COMMENT ON COLUMN final_entities.entity_id IS 'Entity ID -> refresh_state table';

COMMENT ON COLUMN final_entities.hash IS 'Stable hash of the entity data';

COMMENT ON COLUMN final_entities.final_entity IS 'The JSON encoded final entity';

COMMENT ON COLUMN final_entities.last_updated_at IS 'The time when final_entity changed';

COMMENT ON COLUMN final_entities.entity_ref IS 'The entity reference of the entity';

CREATE TABLE knex_migrations (
    id integer NOT NULL,
    name character varying(255),
    batch integer,
    migration_time timestamp with time zone
);

CREATE SEQUENCE knex_migrations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE knex_migrations_id_seq OWNED BY knex_migrations.id;

CREATE TABLE knex_migrations_lock (
    index integer NOT NULL,
    is_locked integer
);

CREATE SEQUENCE knex_migrations_lock_index_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE knex_migrations_lock_index_seq OWNED BY knex_migrations_lock.index;

CREATE TABLE location_update_log (
    id bigint NOT NULL,
    status text NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    message text,
    location_id uuid,
    entity_name text,
    CONSTRAINT location_update_log_status_check CHECK ((status = ANY (ARRAY['success'::text, 'fail'::text])))
);

CREATE SEQUENCE location_update_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE location_update_log_id_seq OWNED BY location_update_log.id;

CREATE VIEW location_update_log_latest AS
SELECT
    NULL::bigint AS id,
    NULL::text AS status,
    NULL::timestamp with time zone AS created_at,
    NULL::text AS message,
    NULL::uuid AS location_id,
    NULL::text AS entity_name;

CREATE TABLE locations (
    id uuid NOT NULL,
    type character varying(255) NOT NULL,
    target text NOT NULL,
    location_entity_ref character varying(255) NOT NULL
);

COMMENT ON TABLE locations IS 'Registered locations that shall be continuously scanned for catalog item updates';

COMMENT ON COLUMN locations.id IS 'Auto-generated ID of the location';

COMMENT ON COLUMN locations.type IS 'The type of location';

COMMENT ON COLUMN locations.target IS 'The actual target of the location';

COMMENT ON COLUMN locations.location_entity_ref IS 'The entity ref of the corresponding Location kind entity, e.g. location:default/generated-<sha1hex>';

CREATE TABLE refresh_keys (
    entity_id character varying(255) NOT NULL,
    key character varying(255) NOT NULL
);

COMMENT ON TABLE refresh_keys IS 'This table contains relations between entities and keys to trigger refreshes with';

COMMENT ON COLUMN refresh_keys.entity_id IS 'A reference to the entity that the refresh key is tied to';

COMMENT ON COLUMN refresh_keys.key IS 'A reference to a key which should be used to trigger a refresh on this entity';

CREATE TABLE refresh_state (
    entity_id character varying(255) NOT NULL,
    entity_ref character varying(255) NOT NULL,
    unprocessed_entity text NOT NULL,
    processed_entity text,
    cache text,
    errors text NOT NULL,
    next_update_at timestamp with time zone NOT NULL,
    last_discovery_at timestamp with time zone NOT NULL,
    location_key text,
    result_hash text,
    unprocessed_hash text
)
WITH (autovacuum_vacuum_scale_factor='0.01', autovacuum_analyze_scale_factor='0.01');

COMMENT ON TABLE refresh_state IS 'Location refresh states';

COMMENT ON COLUMN refresh_state.entity_id IS 'Primary ID, also used as the uid of the entity';

COMMENT ON COLUMN refresh_state.entity_ref IS 'A reference to the entity for this refresh state';

COMMENT ON COLUMN refresh_state.unprocessed_entity IS 'The unprocessed entity (in original form) as JSON';

COMMENT ON COLUMN refresh_state.processed_entity IS 'The processed entity (not yet stitched) as JSON';

COMMENT ON COLUMN refresh_state.cache IS 'Cache information tied to refreshes of this entity';

COMMENT ON COLUMN refresh_state.errors IS 'JSON array containing all errors related to entity';

COMMENT ON COLUMN refresh_state.next_update_at IS 'Timestamp of when entity should be updated';

COMMENT ON COLUMN refresh_state.last_discovery_at IS 'The last timestamp that this entity was discovered';

COMMENT ON COLUMN refresh_state.location_key IS 'Opaque conflict resolution key';

COMMENT ON COLUMN refresh_state.result_hash IS 'A hash of the processed contents, used to avoid duplicate work';

COMMENT ON COLUMN refresh_state.unprocessed_hash IS 'A hash of the unprocessed contents';

CREATE TABLE refresh_state_references (
    id bigint NOT NULL,
    source_key text,
    source_entity_ref text,
    target_entity_ref text NOT NULL
)
WITH (autovacuum_vacuum_scale_factor='0.01', autovacuum_analyze_scale_factor='0.01');

COMMENT ON TABLE refresh_state_references IS 'Edges between refresh state rows';

COMMENT ON COLUMN refresh_state_references.id IS 'Primary key to distinguish unique lines from each other';

COMMENT ON COLUMN refresh_state_references.source_key IS 'Opaque identifier for non-entity sources';

COMMENT ON COLUMN refresh_state_references.source_entity_ref IS 'EntityRef of entity sources';

COMMENT ON COLUMN refresh_state_references.target_entity_ref IS 'The EntityRef of the target entity.';

CREATE SEQUENCE refresh_state_references_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE refresh_state_references_id_seq OWNED BY refresh_state_references.id;

CREATE TABLE relations (
    originating_entity_id character varying(255) NOT NULL,
    source_entity_ref character varying(255) NOT NULL,
    type character varying(255) NOT NULL,
    target_entity_ref character varying(255) NOT NULL
)
WITH (autovacuum_vacuum_scale_factor='0.01', autovacuum_analyze_scale_factor='0.01');

COMMENT ON TABLE relations IS 'All relations between entities';

COMMENT ON COLUMN relations.originating_entity_id IS 'The entity that provided the relation';

COMMENT ON COLUMN relations.source_entity_ref IS 'Entity reference of the source entity of the relation';

COMMENT ON COLUMN relations.type IS 'The type of the relation between the entities';

COMMENT ON COLUMN relations.target_entity_ref IS 'Entity reference of the target entity of the relation';

CREATE TABLE search (
    entity_id character varying(255),
    key character varying(255) NOT NULL,
    value character varying(255),
    original_value character varying(255)
)
WITH (autovacuum_vacuum_scale_factor='0.01', autovacuum_analyze_scale_factor='0.01');

COMMENT ON TABLE search IS 'Flattened key-values from the entities, for filtering';

COMMENT ON COLUMN search.entity_id IS 'The entity that matches this key/value';

COMMENT ON COLUMN search.key IS 'A key that occurs in the entity';

COMMENT ON COLUMN search.value IS 'The corresponding value to match on';

COMMENT ON COLUMN search.original_value IS 'Holds the corresponding original case sensitive value';

CREATE TABLE stitch_queue (
    entity_ref character varying(255) NOT NULL,
    stitch_ticket character varying(255) NOT NULL,
    next_stitch_at timestamp with time zone NOT NULL
);

COMMENT ON COLUMN stitch_queue.entity_ref IS 'The entity ref that needs stitching';

COMMENT ON COLUMN stitch_queue.stitch_ticket IS 'Changes with every new stitch request';

COMMENT ON COLUMN stitch_queue.next_stitch_at IS 'Timestamp of when entity should be stitched';

ALTER TABLE ONLY knex_migrations ALTER COLUMN id SET DEFAULT nextval('knex_migrations_id_seq'::regclass);

ALTER TABLE ONLY knex_migrations_lock ALTER COLUMN index SET DEFAULT nextval('knex_migrations_lock_index_seq'::regclass);

ALTER TABLE ONLY location_update_log ALTER COLUMN id SET DEFAULT nextval('location_update_log_id_seq'::regclass);

ALTER TABLE ONLY refresh_state_references ALTER COLUMN id SET DEFAULT nextval('refresh_state_references_id_seq'::regclass);
