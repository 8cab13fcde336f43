-- Issue 13 / 16: the school wall read its two settings once per ROW. The policy
-- `zhurnal_school_visible(school_id)` is inlined into every scan as
-- `coalesce(current_setting('zhurnal.all_schools', true), '') = 'on' OR school_id === nullif(
-- current_setting('zhurnal.school', true), '')::bigint`, and `current_setting` looks the setting
-- up by name each time it is called: a report scanning the quarter's 88 000 marks spent 30–50 ms
-- of its 75 ms scan there (the same scan as the owner, unwalled: 20 ms). Written with scalar
-- subqueries, the two settings become InitPlans, read once per statement; per row the wall is one
-- bigint comparison. What it lets through is decided exactly as before (the same settings, the
-- same operator, NULL still hides the row).
--
-- Citus refuses a policy with a subquery on a distributed table («Subqueries are not supported in
-- policies on distributed tables»), so where the citus extension is installed the wall keeps the
-- inlined function (docs/SCALE.md). One procedure writes the wall either way; a migration that
-- adds a table of a school's data calls `SELECT zhurnal_school_wall('the_table')`.

CREATE FUNCTION zhurnal_scope_all() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('zhurnal.all_schools', true), '') = 'on'
$$;

CREATE FUNCTION zhurnal_scope_school() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('zhurnal.school', true), '')::bigint
$$;

CREATE FUNCTION zhurnal_school_wall(t regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    wall text := CASE
        WHEN EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')
            THEN 'zhurnal_school_visible(school_id)'
        ELSE '(SELECT zhurnal_scope_all()) OR school_id OPERATOR(public.===) (SELECT zhurnal_scope_school())'
    END;
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS school_wall ON %s', t);
    EXECUTE format('CREATE POLICY school_wall ON %s USING (%s) WITH CHECK (%s)', t, wall, wall);
END
$$;

SELECT zhurnal_school_wall(polrelid::regclass) FROM pg_policy WHERE polname = 'school_wall';
