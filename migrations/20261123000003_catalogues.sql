-- Catalogues of a school: subjects with their grading scales, rooms, work types (J4, J5).

CREATE TABLE subject (
    school_id   bigint NOT NULL REFERENCES school (id),
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text COLLATE ru NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 120),
    short_name  text NOT NULL CHECK (length(btrim(short_name)) BETWEEN 1 AND 30),
    -- Federal curriculum or the school's own component.
    component   text NOT NULL DEFAULT 'federal' CHECK (component IN ('federal', 'school')),
    -- The grading scale of the subject; grade 1 never has marks (J10, rules::grading).
    scale       text NOT NULL DEFAULT 'five_point'
                CHECK (scale IN ('five_point', 'pass_fail', 'no_marks')),
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, name)
);

-- A subject graded differently in some grades (e.g. pass/fail for «ОРКСЭ» in grade 4).
CREATE TABLE subject_grade_scale (
    school_id   bigint NOT NULL,
    subject_id  bigint NOT NULL,
    grade       smallint NOT NULL CHECK (grade BETWEEN 1 AND 11),
    scale       text NOT NULL CHECK (scale IN ('five_point', 'pass_fail', 'no_marks')),
    PRIMARY KEY (school_id, subject_id, grade),
    FOREIGN KEY (school_id, subject_id) REFERENCES subject (school_id, id) ON DELETE CASCADE
);

CREATE TABLE room (
    school_id  bigint NOT NULL REFERENCES school (id),
    id         bigint GENERATED ALWAYS AS IDENTITY,
    name       text COLLATE ru NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 60),
    capacity   smallint CHECK (capacity BETWEEN 1 AND 500),
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, name)
);

-- Kinds of work a mark is given for (J5), with the weight in the weighted average and the
-- checking period within which marks for written work are entered (J4).
CREATE TABLE work_type (
    school_id      bigint NOT NULL REFERENCES school (id),
    id             bigint GENERATED ALWAYS AS IDENTITY,
    name           text COLLATE ru NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 80),
    short_name     text NOT NULL CHECK (length(btrim(short_name)) BETWEEN 1 AND 10),
    weight         numeric(3, 1) NOT NULL DEFAULT 1 CHECK (weight BETWEEN 0.1 AND 10),
    -- 0: marks on the day of the lesson (J2); n: written work checked within n days (J4).
    checking_days  smallint NOT NULL DEFAULT 0 CHECK (checking_days BETWEEN 0 AND 30),
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, name)
);

-- The default work types of a new school (regulations J4, J5); the school edits them.
-- One list for the migration below and for tenancy::service::create_school.
CREATE FUNCTION add_default_work_types(p_school_id bigint) RETURNS integer
LANGUAGE sql AS $$
    WITH added AS (
        INSERT INTO work_type (school_id, name, short_name, weight, checking_days)
        SELECT p_school_id, w.name, w.short_name, w.weight, w.checking_days
        FROM (VALUES
            ('Ответ на уроке', 'О', 1.0, 0),
            ('Самостоятельная работа', 'С', 1.5, 3),
            ('Контрольная работа', 'К', 2.0, 3),
            ('Контрольная работа ВШК', 'ВШК', 2.0, 5),
            ('Диктант', 'Д', 1.5, 3),
            ('Сочинение', 'Соч', 2.0, 7),
            ('Изложение', 'Изл', 2.0, 7),
            ('Лабораторная работа', 'Л', 1.5, 3),
            ('Практическая работа', 'П', 1.5, 3),
            ('Письменная работа по иностранному языку', 'ИЯ', 1.5, 7)
        ) AS w(name, short_name, weight, checking_days)
        ON CONFLICT (school_id, name) DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer FROM added;
$$;

-- Schools created before this migration get them too.
SELECT add_default_work_types(id) FROM school;
