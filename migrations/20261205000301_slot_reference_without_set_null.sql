-- Issue 17, item 4 (docs/SCALE.md): Citus refuses a foreign key that includes the distribution
-- column with ON DELETE SET NULL — even PostgreSQL 15's column list `SET NULL (slot_id)`, which
-- leaves school_id alone. When a timetable line that had not started is removed
-- (timetable::repo::end_slot), its lessons kept from that date (a future lesson with a topic)
-- must lose their line, as before: a row trigger does it before the line goes, on the school's
-- own rows (on Citus: the co-located shard, on the same worker), and the foreign key checks with
-- no action. The same on plain PostgreSQL and Citus.
ALTER TABLE lesson DROP CONSTRAINT lesson_school_id_slot_id_fkey;
ALTER TABLE lesson ADD CONSTRAINT lesson_school_id_slot_id_fkey
    FOREIGN KEY (school_id, slot_id) REFERENCES timetable_slot (school_id, id);

CREATE FUNCTION timetable_slot_release_lessons() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE lesson SET slot_id = NULL WHERE school_id = OLD.school_id AND slot_id = OLD.id;
    RETURN OLD;
END;
$$;
CREATE TRIGGER timetable_slot_release_lessons BEFORE DELETE ON timetable_slot
    FOR EACH ROW EXECUTE FUNCTION timetable_slot_release_lessons();
