-- Issue 17, item 4 (docs/SCALE.md): Citus cannot plan a statement of a `LANGUAGE sql` function
-- that uses the function's parameters on a distributed table («could not create distributed
-- plan … parameters in SQL functions»). The default work types of a new school are therefore
-- added by PL/pgSQL (whose parameters reach Citus as values), as one multi-row INSERT … VALUES
-- of the one school (routed to its shard; an INSERT … SELECT would be pulled to the
-- coordinator and COPYed, which row security refuses on the workers). Same list, same result.
CREATE OR REPLACE FUNCTION add_default_work_types(p_school_id bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    added integer;
BEGIN
    INSERT INTO work_type (school_id, name, short_name, weight, checking_days)
    VALUES (p_school_id, 'Ответ на уроке', 'О', 1.0, 0),
           (p_school_id, 'Самостоятельная работа', 'С', 1.5, 3),
           (p_school_id, 'Контрольная работа', 'К', 2.0, 3),
           (p_school_id, 'Контрольная работа ВШК', 'ВШК', 2.0, 5),
           (p_school_id, 'Диктант', 'Д', 1.5, 3),
           (p_school_id, 'Сочинение', 'Соч', 2.0, 7),
           (p_school_id, 'Изложение', 'Изл', 2.0, 7),
           (p_school_id, 'Лабораторная работа', 'Л', 1.5, 3),
           (p_school_id, 'Практическая работа', 'П', 1.5, 3),
           (p_school_id, 'Письменная работа по иностранному языку', 'ИЯ', 1.5, 7)
    ON CONFLICT (school_id, name) DO NOTHING;
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END;
$$;
