-- Row-level security: a second wall behind the application's `SchoolId` scoping. The
-- application role sees and writes only the rows of the school its connection is set to
-- (`zhurnal.school`), or every school's when `zhurnal.all_schools` is 'on' (work outside a
-- request: the command line, the mail worker, the tests). A connection with neither set sees
-- nothing and may write nothing. The owner (migrations, the demo's redo) is not walled: row
-- security is enabled, not forced.
--
-- Not walled: `school` (no school_id: the list of schools), `account`, `session`, and the two
-- tables an account reads across its schools — `membership` (login, the choice of a school,
-- every request's count of the person's roles, the rule that a password is reset only for people
-- who work in one school alone) and `account_event` (the security log; lock-outs count
-- failures whatever the school, and a failed login has no school).
CREATE FUNCTION zhurnal_school_visible(row_school bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('zhurnal.all_schools', true), '') = 'on'
        OR row_school = nullif(current_setting('zhurnal.school', true), '')::bigint
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.table_name
        FROM information_schema.columns c
        JOIN information_schema.tables tb
          ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
        WHERE c.table_schema = 'public' AND c.column_name = 'school_id'
          AND tb.table_type = 'BASE TABLE'
          AND c.table_name NOT IN ('membership', 'account_event')
        ORDER BY c.table_name
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY school_wall ON %I USING (zhurnal_school_visible(school_id)) '
            'WITH CHECK (zhurnal_school_visible(school_id))', t);
    END LOOP;
    -- A view reads its tables with its owner's rights (the owner is not walled); from
    -- PostgreSQL 15 it can read them with the caller's. On 14 the view stays outside the wall
    -- (it is read only with the school's id in its query).
    IF current_setting('server_version_num')::int >= 150000 THEN
        EXECUTE 'ALTER VIEW group_pupil SET (security_invoker = true)';
    END IF;
END
$$;
