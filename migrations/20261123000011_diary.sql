-- The diary (regulations §4): what pupils and parents read, the fact that a parent has read it
-- (000 §15, 001 §20), their activity for the class teacher (003), the class teacher's «risk
-- group» (003, 004), and the live signal that tells an open diary page to refresh.

-- One row per person, child and day the diary was opened: the class teacher sees who has not
-- opened it for `school.parent_inactivity_days` (003) and the activity of a week.
CREATE TABLE diary_visit (
    school_id   bigint NOT NULL,
    pupil_id    bigint NOT NULL,
    account_id  bigint NOT NULL REFERENCES account (id),
    role        text NOT NULL CHECK (role IN ('parent', 'pupil')),
    on_date     date NOT NULL,
    first_at    timestamptz NOT NULL,
    last_at     timestamptz NOT NULL,
    views       integer NOT NULL DEFAULT 1 CHECK (views >= 1),
    PRIMARY KEY (school_id, pupil_id, account_id, on_date),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id)
);

-- «Ознакомлен»: a parent confirms having read a week of the child's diary (000 §15).
CREATE TABLE diary_ack (
    school_id        bigint NOT NULL,
    pupil_id         bigint NOT NULL,
    account_id       bigint NOT NULL REFERENCES account (id),
    -- The Monday of the acknowledged week.
    week_start       date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
    acknowledged_at  timestamptz NOT NULL,
    PRIMARY KEY (school_id, pupil_id, account_id, week_start),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id)
);

-- The class teacher's «risk group»: pupils whose marks and attendance they check daily and
-- whose parents' activity weekly (003, 004). Removing a pupil deletes the row; the audit trail
-- keeps the history.
CREATE TABLE risk_pupil (
    school_id  bigint NOT NULL,
    pupil_id   bigint NOT NULL,
    note       text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    marked_by  bigint NOT NULL REFERENCES account (id),
    marked_at  timestamptz NOT NULL,
    PRIMARY KEY (school_id, pupil_id),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id)
);

-- The live diary: every committed change a diary shows sends a notification on channel
-- `diary` with {"s": school, "g": group, "p": pupil or null}. NOTIFY is transactional (nothing
-- for a rolled-back write) and PostgreSQL folds identical payloads of one transaction, so a
-- bulk write sends one notification per group and pupil. Statement-level triggers with
-- transition tables keep bulk inserts cheap.
CREATE FUNCTION diary_notify_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('diary', json_build_object('s', d.school_id, 'g', d.group_id, 'p', d.pupil_id)::text)
    FROM (SELECT DISTINCT school_id, group_id, pupil_id FROM changed_rows) d;
    RETURN NULL;
END;
$$;

CREATE FUNCTION diary_notify_lessons() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('diary', json_build_object('s', d.school_id, 'g', d.group_id, 'p', NULL)::text)
    FROM (SELECT DISTINCT school_id, group_id FROM changed_rows) d;
    RETURN NULL;
END;
$$;

CREATE FUNCTION diary_notify_absences() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('diary', json_build_object('s', d.school_id, 'g', d.group_id, 'p', d.pupil_id)::text)
    FROM (SELECT DISTINCT a.school_id, l.group_id, a.pupil_id
          FROM changed_rows a
          JOIN lesson l ON l.school_id = a.school_id AND l.id = a.lesson_id) d;
    RETURN NULL;
END;
$$;

CREATE FUNCTION diary_notify_substitutions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('diary', json_build_object('s', d.school_id, 'g', d.group_id, 'p', NULL)::text)
    FROM (SELECT DISTINCT s.school_id, l.group_id
          FROM changed_rows s
          JOIN lesson l ON l.school_id = s.school_id AND l.id = s.lesson_id) d;
    RETURN NULL;
END;
$$;

CREATE TRIGGER mark_diary_insert AFTER INSERT ON mark
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION diary_notify_rows();
CREATE TRIGGER mark_diary_update AFTER UPDATE ON mark
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION diary_notify_rows();
CREATE TRIGGER period_mark_diary_insert AFTER INSERT ON period_mark
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION diary_notify_rows();
CREATE TRIGGER period_mark_diary_update AFTER UPDATE ON period_mark
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION diary_notify_rows();
CREATE TRIGGER absence_diary_insert AFTER INSERT ON absence
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION diary_notify_absences();
CREATE TRIGGER absence_diary_update AFTER UPDATE ON absence
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION diary_notify_absences();
-- Lessons change in the diary when the teacher writes topic, homework or a comment, or a deputy
-- moves or cancels them; the generator's inserts (a whole year at once) are not news.
CREATE TRIGGER lesson_diary_update AFTER UPDATE ON lesson
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION diary_notify_lessons();
CREATE TRIGGER substitution_diary_insert AFTER INSERT ON substitution
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION diary_notify_substitutions();
CREATE TRIGGER substitution_diary_delete AFTER DELETE ON substitution
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION diary_notify_substitutions();
