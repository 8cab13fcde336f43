-- Issue 17, item 1 (docs/TESTING.md «Region scale»): the school wall's equality was counted by the
-- planner as a second, independent condition on `school_id` beside every query's own
-- `school_id = $1`. With one school that halved the estimates; with 101 schools it divided every
-- table's estimate by a hundred again, and the missed-topics report's absence statement took
-- 9.2 s instead of 44 ms (a nested loop over a view, 5 566 times). The wall now compares with an
-- operator that is bigint equality itself (`int8eq`, leakproof, strict: NULL still hides the
-- row) but is estimated as a condition nearly every row meets (`neqsel`): what the wall lets
-- through is decided exactly as before; only the planner's arithmetic changes.
CREATE OPERATOR public.=== (
    LEFTARG = bigint,
    RIGHTARG = bigint,
    FUNCTION = int8eq,
    RESTRICT = neqsel
);

CREATE OR REPLACE FUNCTION zhurnal_school_visible(row_school bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(current_setting('zhurnal.all_schools', true), '') = 'on'
        OR row_school OPERATOR(public.===) nullif(current_setting('zhurnal.school', true), '')::bigint
$$;
