-- Part 2 of the catalog-backend 4.0.0 schema (schema-tables.sql): constraints,
-- indexes, statistics, foreign keys; created after the bulk load.
ALTER TABLE ONLY final_entities
    ADD CONSTRAINT final_entities_entity_ref_uniq UNIQUE (entity_ref);

ALTER TABLE ONLY final_entities
    ADD CONSTRAINT final_entities_pkey PRIMARY KEY (entity_id);

ALTER TABLE ONLY knex_migrations_lock
    ADD CONSTRAINT knex_migrations_lock_pkey PRIMARY KEY (index);

ALTER TABLE ONLY knex_migrations
    ADD CONSTRAINT knex_migrations_pkey PRIMARY KEY (id);

ALTER TABLE ONLY location_update_log
    ADD CONSTRAINT location_update_log_pkey PRIMARY KEY (id);

ALTER TABLE ONLY locations
    ADD CONSTRAINT locations_pkey PRIMARY KEY (id);

ALTER TABLE ONLY refresh_state
    ADD CONSTRAINT refresh_state_entity_ref_uniq UNIQUE (entity_ref);

ALTER TABLE ONLY refresh_state
    ADD CONSTRAINT refresh_state_pkey PRIMARY KEY (entity_id);

ALTER TABLE ONLY refresh_state_references
    ADD CONSTRAINT refresh_state_references_pkey PRIMARY KEY (id);

ALTER TABLE ONLY stitch_queue
    ADD CONSTRAINT stitch_queue_pkey PRIMARY KEY (entity_ref);

CREATE INDEX refresh_keys_entity_id_idx ON refresh_keys USING btree (entity_id);

CREATE INDEX refresh_keys_key_idx ON refresh_keys USING btree (key);

CREATE INDEX refresh_state_next_update_at_idx ON refresh_state USING btree (next_update_at);

CREATE INDEX refresh_state_references_source_entity_ref_idx ON refresh_state_references USING btree (source_entity_ref);

CREATE INDEX refresh_state_references_source_key_idx ON refresh_state_references USING btree (source_key);

CREATE INDEX refresh_state_references_target_entity_ref_idx ON refresh_state_references USING btree (target_entity_ref);

CREATE INDEX relations_source_entity_id_idx ON relations USING btree (originating_entity_id);

CREATE INDEX relations_source_entity_ref_idx ON relations USING btree (source_entity_ref);

CREATE INDEX relations_target_entity_ref_idx ON relations USING btree (target_entity_ref);

CREATE UNIQUE INDEX search_entity_key_value_idx ON search USING btree (entity_id, key, value);

CREATE INDEX search_facets_covering_idx ON search USING btree (key, original_value, entity_id) WHERE (original_value IS NOT NULL);

CREATE INDEX search_key_value_entity_idx ON search USING btree (key, value, entity_id);

CREATE INDEX stitch_queue_next_stitch_at_idx ON stitch_queue USING btree (next_stitch_at);

CREATE INDEX update_log_location_id_idx ON location_update_log USING btree (location_id);

CREATE STATISTICS search_key_value_stats ON key, value FROM search;

CREATE OR REPLACE VIEW location_update_log_latest AS
 SELECT t1.id,
    t1.status,
    t1.created_at,
    t1.message,
    t1.location_id,
    t1.entity_name
   FROM (location_update_log t1
     JOIN ( SELECT location_update_log.location_id,
            max(location_update_log.id) AS maxid
           FROM location_update_log
          GROUP BY location_update_log.location_id) t2 ON (((t1.location_id = t2.location_id) AND (t1.id = t2.maxid))))
  GROUP BY t1.location_id, t1.id
  ORDER BY t1.created_at DESC;

ALTER TABLE ONLY final_entities
    ADD CONSTRAINT final_entities_entity_id_foreign FOREIGN KEY (entity_id) REFERENCES refresh_state(entity_id) ON DELETE CASCADE;

ALTER TABLE ONLY location_update_log
    ADD CONSTRAINT location_update_log_location_id_foreign FOREIGN KEY (location_id) REFERENCES locations(id) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY refresh_keys
    ADD CONSTRAINT refresh_keys_entity_id_foreign FOREIGN KEY (entity_id) REFERENCES refresh_state(entity_id) ON DELETE CASCADE;

ALTER TABLE ONLY refresh_state_references
    ADD CONSTRAINT refresh_state_references_source_entity_ref_foreign FOREIGN KEY (source_entity_ref) REFERENCES refresh_state(entity_ref) ON DELETE CASCADE;

ALTER TABLE ONLY refresh_state_references
    ADD CONSTRAINT refresh_state_references_target_entity_ref_foreign FOREIGN KEY (target_entity_ref) REFERENCES refresh_state(entity_ref) ON DELETE CASCADE;

ALTER TABLE ONLY relations
    ADD CONSTRAINT relations_originating_entity_id_foreign FOREIGN KEY (originating_entity_id) REFERENCES refresh_state(entity_id) ON DELETE CASCADE;

ALTER TABLE ONLY search
    ADD CONSTRAINT search_entity_id_foreign FOREIGN KEY (entity_id) REFERENCES final_entities(entity_id) ON DELETE CASCADE;

