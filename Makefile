# bsperm: PGXS build.  The version comes from bsperm.control only.
EXTENSION = bsperm
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = bsperm
CORE_OBJS = src/core/bsp_common.o src/core/bsp_js.o src/core/bsp_flatten.o \
	src/core/bsp_filter.o src/core/bsp_criteria.o src/core/bsp_rbac.o src/core/bsp_rules.o \
	src/core/bsp_rbac_csv.o src/core/bsp_yaml.o
PG_OBJS = src/pg/bsperm.o src/pg/pg_glue.o src/pg/pg_entity.o src/pg/pg_jsonb_walk.o src/pg/pg_sql_render.o \
	src/pg/pg_functions.o src/pg/pg_gin.o src/pg/pg_rls.o src/pg/pg_rls_plans.o src/pg/pg_rls_sample.o src/pg/pg_filter_cache.o \
	src/pg/pg_identity.o src/pg/pg_policy.o src/pg/pg_decide.o \
	src/pg/pg_owner.o src/pg/pg_policy_cache.o src/pg/pg_policy_load.o \
	src/pg/pg_members.o src/pg/pg_entity_source.o src/pg/pg_placeholders.o src/pg/pg_wire.o \
	src/pg/pg_policy_function.o src/pg/pg_release.o src/pg/pg_explain.o src/pg/pg_policy_tests.o src/pg/pg_audit.o \
	src/pg/pg_rbac_files.o src/pg/pg_rules.o
OBJS = $(CORE_OBJS) $(PG_OBJS)

# the install script is built from its parts under src/sql
SQL_PARTS = $(sort $(wildcard src/sql/[0-9]*.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
# released versions, frozen (release/README.md): their install scripts,
# secondary control files and the upgrade scripts between them; the current
# version's install script is the one built above (and must equal its frozen
# copy: scripts/release.sh check)
DATA = $(filter-out release/$(EXTENSION)--$(EXTVERSION).sql,\
	$(wildcard release/$(EXTENSION)--*.sql release/$(EXTENSION)--*.control))
EXTRA_CLEAN = $(EXTENSION)--$(EXTVERSION).sql

JSONC_CFLAGS := $(shell pkg-config --cflags json-c)
JSONC_LIBS := $(shell pkg-config --libs json-c)
PG_CPPFLAGS = -Isrc/core -Isrc/pg $(JSONC_CFLAGS)
SHLIB_LINK = $(JSONC_LIBS) -lyaml

# regression tests (sql/ and expected/), one file per feature
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/[0-9]*.sql)))
# each test creates the extension itself (CREATE EXTENSION IF NOT EXISTS)
REGRESS_OPTS = --dbname=bsperm_regress

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track headers unless PostgreSQL was configured with
# --enable-depend; every object depends on every header here
$(OBJS): $(wildcard src/core/*.h src/pg/*.h)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@

.PHONY: unit
unit:
	$(MAKE) -C test/unit check
