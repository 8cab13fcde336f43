-- Issue 16: the audit chain's row trigger computes each event's content with
-- `audit_event_content`. As a SQL function it cannot be inlined (`jsonb_build_array` is only
-- stable), so every call goes through the SQL-function executor, whose parsed and planned body
-- lives in the calling expression's state — and a PL/pgSQL trigger's expressions are set up
-- again in every transaction: each audited write parsed and planned the body anew (`perf`:
-- `fmgr_sql`, `base_yyparse` under the trigger; `pgbench` of one audited insert, PostgreSQL CPU:
-- 446 → 407 µs). As PL/pgSQL the body is compiled once per connection and its plan cached.
-- The content is the same expression, byte for byte, so every chain already written verifies as
-- before.
CREATE OR REPLACE FUNCTION audit_event_content(
    school_id bigint, seq bigint, at timestamptz, actor_account_id bigint, actor_role text,
    session_ref text, action text, subject_type text, subject_id bigint, before jsonb,
    after jsonb, reason text, pupil_id bigint, group_id bigint
) RETURNS bytea LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN convert_to(jsonb_build_array(
        school_id, seq, (extract(epoch FROM at) * 1000000)::bigint, actor_account_id, actor_role,
        session_ref, action, subject_type, subject_id, before, after, reason, pupil_id, group_id
    )::text, 'UTF8');
END
$$;
