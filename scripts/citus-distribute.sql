-- The distribution step of scripts/citus (issue 17, item 4; docs/SCALE.md), run once on the
-- coordinator after `zhurnal migrate`, as the owner, with psql (-v shards=N). The migrations are
-- the same as on plain PostgreSQL; this turns their tables into Citus tables:
--
-- * every tenant table (a `school_id` column; tests/it/distributable.rs proves each can be
--   sharded) is hash-distributed by school_id, all in one co-location group: a school's rows of
--   every table live in the same shard number on the same worker, so a school's joins,
--   transactions, triggers and foreign keys stay on one node;
-- * `school` and `account` become reference tables (a copy on every node: tenant tables refer
--   to them and join them on the workers);
-- * `session`, `account_event` and `readiness_probe` stay on the coordinator (Citus local tables
--   once their foreign keys to the reference tables are back): they are read and written on
--   every request or login by key, never joined on a worker, and copying each write to every
--   node would only slow a login down.
--
-- Citus distributes a table only when no plain table points at it and it points only at Citus
-- tables, so the foreign keys are taken off first and put back at the end (Citus then creates
-- them shard by shard, each between co-located shards).
\set ON_ERROR_STOP on
SET citus.shard_count = :shards;
SET client_min_messages = warning;

-- The school wall's operator `===` (migration 20261205000501_school_wall_estimate): Citus 13
-- propagates the functions of the row-security policies but not CREATE OPERATOR, so the workers
-- would fail every policy check on a shard («operator does not exist: bigint === bigint»). It is
-- created on each worker here, before any shard exists (a worker added later needs the same).
SELECT run_command_on_workers($cmd$
DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_operator WHERE oprname = '==='
                     AND oprnamespace = 'public'::regnamespace) THEN
        CREATE OPERATOR public.=== (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = int8eq,
                                    RESTRICT = neqsel);
    END IF;
END
$do$
$cmd$);

CREATE TEMP TABLE saved_fk AS
SELECT k.conrelid::regclass AS tbl, k.conname, pg_get_constraintdef(k.oid) AS def
FROM pg_constraint k
WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace;

SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, conname) FROM saved_fk \gexec

SELECT create_reference_table('school');
SELECT create_reference_table('account');

-- The tenant tables, the anchor of the co-location group first.
CREATE TEMP TABLE tenant AS
SELECT c.relname::text AS name
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'school_id' AND NOT a.attisdropped
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
  AND c.relname NOT IN ('account_event');

SELECT create_distributed_table('pupil', 'school_id', colocate_with => 'none');
SELECT format('SELECT create_distributed_table(%L, %L, colocate_with => %L)',
              name, 'school_id', 'pupil')
FROM tenant WHERE name <> 'pupil' ORDER BY name \gexec

SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, conname, def) FROM saved_fk \gexec

-- Plain tables left are the coordinator's own: account_event and session became Citus local
-- tables with their foreign keys to the reference tables; readiness_probe and the migrations'
-- ledger stay plain.

-- Row security on the workers. The policies travel with the shards and would be checked there
-- as the application's role, but Citus does not carry a session's settings (`zhurnal.school`,
-- set by db::scope on the coordinator's connection) to its connections to the workers: the
-- wall would hide every row. And Citus writes the rows of an INSERT … SELECT it cannot push
-- down (the product's bulk inserts from arrays: `INSERT … SELECT … FROM unnest($n)`) into the
-- shards with COPY, which PostgreSQL refuses under row security («COPY FROM not supported with
-- row-level security»). On the workers only, the application's role therefore bypasses row
-- security (BYPASSRLS there, not on the coordinator, where db::ensure_app_role refuses such a
-- role and the wall holds): on Citus the wall on the shards is the school in every query, which
-- is also what routes it (docs/SCALE.md «Row security»). ALTER ROLE on a worker would travel to
-- every node, the coordinator too; with DDL propagation off it stays on the worker.
SELECT run_command_on_workers(
    format('SET citus.enable_ddl_propagation TO off; ALTER ROLE %I BYPASSRLS', 'zhurnal_app'));
