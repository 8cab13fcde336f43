-- Issue 17, item 4 (docs/SCALE.md «Triggers»): on Citus a table's triggers fire on its shards, on
-- the worker that holds the school, and a statement trigger there cannot read its transition
-- table («executor could not find named tuplestore»). The live diary's notifications and the
-- audit chain's head therefore move to row triggers, the same on plain PostgreSQL and Citus;
-- each reads only the school's own rows (on Citus: the co-located shards on the same worker).

-- The live diary: one notification per changed row. PostgreSQL still folds the identical
-- payloads of one transaction, so a bulk write sends one per group and pupil, as before.
DROP TRIGGER mark_diary_insert ON mark;
DROP TRIGGER mark_diary_update ON mark;
DROP TRIGGER period_mark_diary_insert ON period_mark;
DROP TRIGGER period_mark_diary_update ON period_mark;
DROP TRIGGER absence_diary_insert ON absence;
DROP TRIGGER absence_diary_update ON absence;
DROP TRIGGER lesson_diary_update ON lesson;
DROP TRIGGER substitution_diary_insert ON substitution;
DROP TRIGGER substitution_diary_delete ON substitution;
DROP FUNCTION diary_notify_rows();
DROP FUNCTION diary_notify_lessons();
DROP FUNCTION diary_notify_absences();
DROP FUNCTION diary_notify_substitutions();

-- A mark or a period mark: the pupil's row of the group.
CREATE FUNCTION diary_notify_pupil_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('diary', json_build_object('s', NEW.school_id, 'g', NEW.group_id,
                                                 'p', NEW.pupil_id)::text);
    RETURN NULL;
END;
$$;

-- A lesson's topic, homework or comment, a move or a cancellation: the whole group.
CREATE FUNCTION diary_notify_lesson_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('diary', json_build_object('s', NEW.school_id, 'g', NEW.group_id,
                                                 'p', NULL)::text);
    RETURN NULL;
END;
$$;

-- An absence: the pupil, in the group of its lesson.
CREATE FUNCTION diary_notify_absence_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('diary', json_build_object('s', l.school_id, 'g', l.group_id,
                                                 'p', NEW.pupil_id)::text)
    FROM lesson l WHERE l.school_id = NEW.school_id AND l.id = NEW.lesson_id;
    RETURN NULL;
END;
$$;

-- A substitution made or removed: the whole group of its lesson.
CREATE FUNCTION diary_notify_substitution_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed substitution;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    PERFORM pg_notify('diary', json_build_object('s', l.school_id, 'g', l.group_id,
                                                 'p', NULL)::text)
    FROM lesson l WHERE l.school_id = changed.school_id AND l.id = changed.lesson_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER mark_diary AFTER INSERT OR UPDATE ON mark
    FOR EACH ROW EXECUTE FUNCTION diary_notify_pupil_row();
CREATE TRIGGER period_mark_diary AFTER INSERT OR UPDATE ON period_mark
    FOR EACH ROW EXECUTE FUNCTION diary_notify_pupil_row();
CREATE TRIGGER absence_diary AFTER INSERT OR UPDATE ON absence
    FOR EACH ROW EXECUTE FUNCTION diary_notify_absence_row();
-- The generator's inserts (a whole year at once) are not news, as before.
CREATE TRIGGER lesson_diary AFTER UPDATE ON lesson
    FOR EACH ROW EXECUTE FUNCTION diary_notify_lesson_row();
CREATE TRIGGER substitution_diary AFTER INSERT OR DELETE ON substitution
    FOR EACH ROW EXECUTE FUNCTION diary_notify_substitution_row();

-- The audit chain's head. The row trigger `audit_event_chain` links each row after the head and
-- after the rows the transaction has linked already (it looks them up by the chain's index),
-- and keeps the school's head row locked. The head moves at commit: a deferred row trigger,
-- which writes only for the school's last row (one update per school and transaction, however
-- many rows a bulk insert adds), instead of the statement trigger over its transition table.
DROP TRIGGER audit_event_chain_head ON audit_event;
DROP FUNCTION audit_event_chain_advance();

CREATE FUNCTION audit_event_chain_advance_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    UPDATE public.audit_chain_head h SET seq = NEW.chain_seq, hash = NEW.chain_hash
    WHERE h.school_id = NEW.school_id AND h.seq < NEW.chain_seq
      AND NEW.chain_seq = (SELECT max(e.chain_seq) FROM public.audit_event e
                           WHERE e.school_id = NEW.school_id);
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER audit_event_chain_head AFTER INSERT ON audit_event
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_event_chain_advance_row();
