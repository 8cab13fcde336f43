-- Issue 17, item 4 (docs/SCALE.md «The live diary»): on Citus the live diary's row triggers run
-- on the workers, and a worker refuses to PREPARE a transaction that has sent a notification
-- («cannot PREPARE a transaction that has executed LISTEN, UNLISTEN, or NOTIFY»). Citus commits
-- in two phases every transaction that wrote over COPY (its way of running an INSERT … SELECT it
-- cannot push down: the product's inserts from arrays), on several nodes, or on the
-- coordinator's own tables — a teacher's КТП saved with its lessons' planned topics, a timetable
-- regenerated. The triggers therefore send through `diary_send`: here `pg_notify`, as before; on
-- Citus the distribution step replaces it on the workers by a row in a worker's own outbox table,
-- which commits (or not) with the transaction, prepared or not, and which the live diary's
-- listener reads there (`diary::live`).
--
-- And the bulk generators' writes (the demo's year: a year that never happened live) are not
-- news: their transactions set `zhurnal.diary_quiet` (`diary::live::quiet`, a SET LOCAL, which
-- Citus carries to the workers) and nothing is sent. Unset, everything is sent as before.
CREATE FUNCTION diary_send(payload text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('zhurnal.diary_quiet', true), '') <> 'on' THEN
        PERFORM pg_notify('diary', payload);
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION diary_notify_pupil_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM diary_send(json_build_object('s', NEW.school_id, 'g', NEW.group_id,
                                         'p', NEW.pupil_id)::text);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION diary_notify_lesson_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM diary_send(json_build_object('s', NEW.school_id, 'g', NEW.group_id,
                                         'p', NULL)::text);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION diary_notify_absence_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM diary_send(json_build_object('s', l.school_id, 'g', l.group_id,
                                         'p', NEW.pupil_id)::text)
    FROM lesson l WHERE l.school_id = NEW.school_id AND l.id = NEW.lesson_id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION diary_notify_substitution_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed substitution;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    PERFORM diary_send(json_build_object('s', l.school_id, 'g', l.group_id,
                                         'p', NULL)::text)
    FROM lesson l WHERE l.school_id = changed.school_id AND l.id = changed.lesson_id;
    RETURN NULL;
END;
$$;
