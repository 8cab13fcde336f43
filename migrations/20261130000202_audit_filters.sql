-- The audit page filters by pupil and by journal (study group) besides person, kind and time
-- (issue 12, item 10). Pupil and group live inside the recorded JSON (`pupil_id`, `group_id`,
-- `lesson_id`) or in the subject; two plain columns hold them so that the filters are indexed.
-- `audit::record` fills them on every insert; the rows already written are filled here once,
-- with the append-only trigger off for this migration's transaction only.
ALTER TABLE audit_event
    ADD COLUMN pupil_id bigint,
    ADD COLUMN group_id bigint;

-- A JSON number as bigint; anything else as NULL (a malformed value never breaks the backfill).
CREATE FUNCTION audit_json_id(value jsonb) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(value) = 'number' THEN trunc(value::numeric)::bigint END
$$;

ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_or_delete;
UPDATE audit_event e SET
    pupil_id = COALESCE(audit_json_id(e.after -> 'pupil_id'), audit_json_id(e.before -> 'pupil_id'),
                        CASE WHEN e.subject_type = 'pupil' THEN e.subject_id END),
    group_id = COALESCE(audit_json_id(e.after -> 'group_id'), audit_json_id(e.before -> 'group_id'),
                        CASE WHEN e.subject_type = 'study_group' THEN e.subject_id END,
                        (SELECT l.group_id FROM lesson l
                          WHERE l.school_id = e.school_id
                            AND l.id = COALESCE(audit_json_id(e.after -> 'lesson_id'),
                                                audit_json_id(e.before -> 'lesson_id'),
                                                CASE WHEN e.subject_type = 'lesson' THEN e.subject_id END)));
ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_or_delete;

-- The page reads newest first (by id) within one school, narrowed by one of these.
CREATE INDEX audit_event_actor ON audit_event (school_id, actor_account_id, id);
CREATE INDEX audit_event_pupil ON audit_event (school_id, pupil_id, id) WHERE pupil_id IS NOT NULL;
CREATE INDEX audit_event_group ON audit_event (school_id, group_id, id) WHERE group_id IS NOT NULL;
CREATE INDEX audit_event_action ON audit_event (school_id, action, id);
