-- The calendar-thematic plan (КТП) of each group, laid onto its lessons, and the schedule of
-- control works (график контрольных работ, ВШК). Regulations §2, J8.

CREATE TABLE theme_plan_topic (
    school_id  bigint NOT NULL,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    group_id   bigint NOT NULL,
    position   integer NOT NULL CHECK (position >= 1),
    title      text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 500),
    hours      smallint NOT NULL DEFAULT 1 CHECK (hours BETWEEN 1 AND 50),
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, group_id, position),
    FOREIGN KEY (school_id, group_id) REFERENCES study_group (school_id, id) ON DELETE CASCADE
);

-- The topic the plan gives a lesson; the teacher confirms or edits it into lesson.topic.
ALTER TABLE lesson ADD COLUMN planned_topic text;

CREATE TABLE control_work (
    school_id   bigint NOT NULL,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    group_id    bigint NOT NULL,
    work_date   date NOT NULL,
    -- The form of control: «контрольная работа», «диагностическая работа», «ВПР», «тест», …
    form        text NOT NULL CHECK (length(btrim(form)) BETWEEN 1 AND 60),
    title       text NOT NULL DEFAULT '' CHECK (length(title) <= 200),
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, group_id) REFERENCES study_group (school_id, id) ON DELETE CASCADE
);
CREATE INDEX control_work_date ON control_work (school_id, work_date);
