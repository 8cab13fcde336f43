-- The weekly timetable template and the dated lessons generated from it. Regulations §2.

-- Who is in a group when: a whole-class group holds its class's pupils, the others list theirs.
CREATE VIEW group_pupil AS
SELECT g.school_id, g.id AS group_id, e.pupil_id, e.starts_on, e.ends_on
FROM study_group g
JOIN class_enrollment e ON e.school_id = g.school_id AND e.class_id = g.class_id
WHERE g.kind = 'whole_class'
UNION ALL
SELECT m.school_id, m.group_id, m.pupil_id, m.starts_on, m.ends_on
FROM group_member m;

-- A weekly lesson of a group: weekday (1 = Monday), lesson number of the class's shift, teacher,
-- room, and the dates the template line holds for (a change from a date closes the old line).
CREATE TABLE timetable_slot (
    school_id         bigint NOT NULL,
    id                bigint GENERATED ALWAYS AS IDENTITY,
    academic_year_id  bigint NOT NULL,
    group_id          bigint NOT NULL,
    -- The grade and shift the lesson follows (periods, holidays, bells).
    grade             smallint NOT NULL CHECK (grade BETWEEN 1 AND 11),
    shift             smallint NOT NULL CHECK (shift IN (1, 2)),
    weekday           smallint NOT NULL CHECK (weekday BETWEEN 1 AND 6),
    lesson_number     smallint NOT NULL CHECK (lesson_number BETWEEN 0 AND 12),
    teacher_id        bigint NOT NULL REFERENCES account (id),
    room_id           bigint,
    valid_from        date NOT NULL,
    valid_to          date,
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, academic_year_id) REFERENCES academic_year (school_id, id),
    FOREIGN KEY (school_id, group_id) REFERENCES study_group (school_id, id),
    FOREIGN KEY (school_id, room_id) REFERENCES room (school_id, id),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX timetable_slot_time ON timetable_slot (school_id, academic_year_id, weekday, lesson_number);
CREATE INDEX timetable_slot_group ON timetable_slot (school_id, group_id);

-- A dated lesson. Generated from the timetable; later moved, cancelled, substituted and filled
-- in the journal. Lessons already held are never regenerated.
CREATE TABLE lesson (
    school_id      bigint NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    group_id       bigint NOT NULL,
    lesson_date    date NOT NULL,
    lesson_number  smallint NOT NULL CHECK (lesson_number BETWEEN 0 AND 12),
    teacher_id     bigint NOT NULL REFERENCES account (id),
    room_id        bigint,
    slot_id        bigint,
    status         text NOT NULL DEFAULT 'scheduled'
                   CHECK (status IN ('scheduled', 'held', 'moved', 'cancelled')),
    topic          text,
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, group_id, lesson_date, lesson_number),
    FOREIGN KEY (school_id, group_id) REFERENCES study_group (school_id, id),
    FOREIGN KEY (school_id, room_id) REFERENCES room (school_id, id),
    FOREIGN KEY (school_id, slot_id) REFERENCES timetable_slot (school_id, id) ON DELETE SET NULL (slot_id)
);
CREATE INDEX lesson_date ON lesson (school_id, lesson_date);
CREATE INDEX lesson_teacher ON lesson (teacher_id, lesson_date);
