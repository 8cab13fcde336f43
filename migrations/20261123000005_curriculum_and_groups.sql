-- Curriculum (hours per week per subject per class), study groups (whole class, subgroups,
-- streams, electives, individual plans) with dated membership, and the teaching load.
-- Regulations §2.

CREATE TABLE curriculum_line (
    school_id       bigint NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    class_id        bigint NOT NULL,
    subject_id      bigint NOT NULL,
    hours_per_week  numeric(3, 1) NOT NULL CHECK (hours_per_week > 0 AND hours_per_week <= 20),
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, class_id, subject_id),
    FOREIGN KEY (school_id, class_id) REFERENCES school_class (school_id, id),
    FOREIGN KEY (school_id, subject_id) REFERENCES subject (school_id, id)
);

-- A set of pupils taught one subject together. A whole-class group's pupils are the class's
-- pupils (class_enrollment); the others list theirs in group_member.
CREATE TABLE study_group (
    school_id         bigint NOT NULL,
    id                bigint GENERATED ALWAYS AS IDENTITY,
    academic_year_id  bigint NOT NULL,
    subject_id        bigint NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('whole_class', 'subgroup', 'stream',
                                                    'elective', 'individual')),
    -- The class of a whole-class group or a subgroup.
    class_id          bigint,
    name              text COLLATE ru NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 120),
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, academic_year_id) REFERENCES academic_year (school_id, id),
    FOREIGN KEY (school_id, subject_id) REFERENCES subject (school_id, id),
    FOREIGN KEY (school_id, class_id) REFERENCES school_class (school_id, id),
    CHECK ((kind IN ('whole_class', 'subgroup')) = (class_id IS NOT NULL))
);
CREATE UNIQUE INDEX study_group_one_whole_class ON study_group (school_id, class_id, subject_id)
    WHERE kind = 'whole_class';
CREATE INDEX study_group_year ON study_group (school_id, academic_year_id);

CREATE TABLE group_member (
    school_id  bigint NOT NULL,
    group_id   bigint NOT NULL,
    pupil_id   bigint NOT NULL,
    starts_on  date NOT NULL,
    ends_on    date,
    PRIMARY KEY (school_id, group_id, pupil_id, starts_on),
    FOREIGN KEY (school_id, group_id) REFERENCES study_group (school_id, id) ON DELETE CASCADE,
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id),
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX group_member_pupil ON group_member (school_id, pupil_id);

-- Who teaches a group, and how many hours a week.
CREATE TABLE teaching_assignment (
    school_id       bigint NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    group_id        bigint NOT NULL,
    teacher_id      bigint NOT NULL REFERENCES account (id),
    hours_per_week  numeric(3, 1) NOT NULL CHECK (hours_per_week > 0 AND hours_per_week <= 20),
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, group_id, teacher_id),
    FOREIGN KEY (school_id, group_id) REFERENCES study_group (school_id, id) ON DELETE CASCADE
);
CREATE INDEX teaching_assignment_teacher ON teaching_assignment (teacher_id);
