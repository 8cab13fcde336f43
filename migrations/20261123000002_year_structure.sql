-- The structure of an academic year: study periods per level, holidays, the working regime
-- (5- or 6-day week, shifts) and bell schedules. Regulations §2.

-- The default week of the year; a class may differ (working regime per class).
ALTER TABLE academic_year
    ADD COLUMN week_days smallint NOT NULL DEFAULT 5 CHECK (week_days IN (5, 6));

ALTER TABLE school_class
    ADD COLUMN shift smallint NOT NULL DEFAULT 1 CHECK (shift IN (1, 2)),
    ADD COLUMN week_days smallint CHECK (week_days IN (5, 6));

-- How a range of grades divides the year: quarters for grades 1–9, half-years for 10–11, …
CREATE TABLE period_scheme (
    school_id         bigint NOT NULL,
    id                bigint GENERATED ALWAYS AS IDENTITY,
    academic_year_id  bigint NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('quarter', 'trimester', 'half_year')),
    grade_from        smallint NOT NULL CHECK (grade_from BETWEEN 1 AND 11),
    grade_to          smallint NOT NULL CHECK (grade_to BETWEEN 1 AND 11),
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, academic_year_id) REFERENCES academic_year (school_id, id),
    CHECK (grade_from <= grade_to)
);
CREATE INDEX period_scheme_year ON period_scheme (school_id, academic_year_id);

-- A study period of a scheme: «1 четверть», «2 полугодие».
CREATE TABLE study_period (
    school_id   bigint NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    scheme_id   bigint NOT NULL,
    number      smallint NOT NULL CHECK (number BETWEEN 1 AND 4),
    starts_on   date NOT NULL,
    ends_on     date NOT NULL,
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, scheme_id, number),
    FOREIGN KEY (school_id, scheme_id) REFERENCES period_scheme (school_id, id) ON DELETE CASCADE,
    CHECK (ends_on >= starts_on)
);

-- Holidays of the year, for all grades or a range (extra February holidays for grade 1).
CREATE TABLE holiday (
    school_id         bigint NOT NULL,
    id                bigint GENERATED ALWAYS AS IDENTITY,
    academic_year_id  bigint NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('autumn', 'winter', 'spring', 'summer',
                                                    'extra', 'public')),
    name              text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    starts_on         date NOT NULL,
    ends_on           date NOT NULL,
    grade_from        smallint NOT NULL DEFAULT 1 CHECK (grade_from BETWEEN 1 AND 11),
    grade_to          smallint NOT NULL DEFAULT 11 CHECK (grade_to BETWEEN 1 AND 11),
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, academic_year_id) REFERENCES academic_year (school_id, id),
    CHECK (ends_on >= starts_on),
    CHECK (grade_from <= grade_to)
);
CREATE INDEX holiday_year ON holiday (school_id, academic_year_id, starts_on);

-- Bell times of a shift: lesson number → start and end.
CREATE TABLE bell (
    school_id         bigint NOT NULL,
    academic_year_id  bigint NOT NULL,
    shift             smallint NOT NULL CHECK (shift IN (1, 2)),
    lesson_number     smallint NOT NULL CHECK (lesson_number BETWEEN 0 AND 12),
    starts_at         time NOT NULL,
    ends_at           time NOT NULL,
    PRIMARY KEY (school_id, academic_year_id, shift, lesson_number),
    FOREIGN KEY (school_id, academic_year_id) REFERENCES academic_year (school_id, id),
    CHECK (ends_at > starts_at)
);
