-- Run by `scripts/citus up` on the coordinator after every `zhurnal migrate` (issue 17, item 4;
-- docs/SCALE.md), as the owner, with psql.

-- The set-returning `LANGUAGE sql` functions that read tenant tables (the timetable's lessons,
-- the control's problems). PostgreSQL inlines them into the calling query; Citus decides
-- whether a query is distributed before that inlining and then refuses it («parameterized
-- queries for SQL functions referencing distributed tables are not supported»). On Citus each
-- becomes the same query in PL/pgSQL (`RETURN QUERY`, columns winning over the result's names
-- as in SQL), run on the coordinator with its parameters as values, routed by the school it
-- names. On plain PostgreSQL they stay inlined SQL (the reports' plans depend on it). A later
-- migration that replaces one of them as SQL needs this step again (`scripts/citus up` runs it
-- on every start).
DO $do$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.oid, p.proname, pg_get_function_arguments(p.oid) AS args,
               pg_get_function_result(p.oid) AS result, p.provolatile,
               regexp_replace(p.prosrc, '[[:space:];]+$', '') AS body
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.pronamespace = 'public'::regnamespace AND l.lanname = 'sql' AND p.proretset
    LOOP
        EXECUTE format(
            'CREATE OR REPLACE FUNCTION public.%I(%s) RETURNS %s LANGUAGE plpgsql %s AS %L',
            f.proname, f.args, f.result,
            CASE f.provolatile WHEN 'i' THEN 'IMMUTABLE' WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
            E'#variable_conflict use_column\nBEGIN\nRETURN QUERY\n' || f.body || E';\nEND');
        -- Citus pushes a call inside a single-school query down to the school's worker, where
        -- the function's own query (of the same school: every one takes it as a parameter) is
        -- again distributed: allowed for these functions, and correct, since both are routed
        -- to the same shard group (a multi-school query calling one would repeat it per shard).
        EXECUTE format('ALTER FUNCTION public.%I(%s) SET citus.allow_nested_distributed_execution = on',
                       f.proname, f.args);
    END LOOP;
END
$do$;

-- The live diary on the workers (migration 20261206000303_diary_send, docs/SCALE.md «The live
-- diary»): the triggers fire on the shards, where a notification would make Citus's two-phase
-- commit fail («cannot PREPARE a transaction that has executed … NOTIFY»). On each worker
-- `diary_send` writes the event into the worker's own outbox table instead (committed or not
-- with the transaction), which every server's diary listener reads and prunes
-- (diary::live::poll_outbox). Made on the workers only: DDL propagation off, so Citus neither
-- carries it to the coordinator nor back.
SELECT run_command_on_workers($cmd$
SET citus.enable_ddl_propagation TO off;
CREATE UNLOGGED TABLE IF NOT EXISTS public.diary_outbox (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    payload text NOT NULL
);
CREATE INDEX IF NOT EXISTS diary_outbox_at ON public.diary_outbox (at);
GRANT SELECT, INSERT, DELETE ON public.diary_outbox TO zhurnal_app;
CREATE OR REPLACE FUNCTION public.diary_send(payload text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    IF coalesce(current_setting('zhurnal.diary_quiet', true), '') <> 'on' THEN
        INSERT INTO public.diary_outbox (payload) VALUES ($1);
    END IF;
END;
$f$;
RESET citus.enable_ddl_propagation
$cmd$);

-- The view `group_pupil` (made by the migrations before its tables were distributed) exists on
-- the workers too, where the functions above read it, but Citus did not carry the application
-- role's grant there.
SELECT run_command_on_workers(
    format('SET citus.enable_ddl_propagation TO off; GRANT SELECT ON public.group_pupil TO %I',
           'zhurnal_app'));
