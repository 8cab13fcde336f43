-- Issue 16: the page cache (`web::page_cache`). A page people read all day (the journal grid,
-- the diary's week and marks) is kept rendered and served again while what it shows is
-- unchanged. «Unchanged» is read from the audit trail, which records every change in the
-- change's own transaction: the last event (by its place in the school's chain, `chain_seq`,
-- given under the chain head's lock, so in commit order) among the events of the page's
-- journals, and among the school's events that name no journal (names, periods, settings,
-- memberships, …) or reshape journals — a split, a group's members set (a pupil who leaves a
-- journal no longer counts its events), a timetable line placed or ended (which regenerates the
-- lessons of every journal of the class, recorded under one). Two backward index probes a
-- page; an audited write pays one more index entry.
CREATE INDEX audit_event_group_chain ON audit_event (school_id, group_id, chain_seq)
    WHERE group_id IS NOT NULL;
-- A conversation begun (the day's most frequent event naming no journal) is left out: no kept
-- page shows messages, and the unread count around a page is in its key.
CREATE INDEX audit_event_school_chain ON audit_event (school_id, chain_seq)
    WHERE ((group_id IS NULL AND action <> 'message_thread.created')
           OR action IN ('study_group.split', 'study_group.members_set',
                         'timetable_slot.created', 'timetable_slot.ended'));

-- The school's events as the pages' versions read them, defined once beside their index: the
-- view is inlined into the query, which then matches the index's predicate. Read with the
-- reader's rights (`security_invoker`): the school wall of `audit_event` applies.
CREATE VIEW audit_school_event WITH (security_invoker = true) AS
SELECT school_id, chain_seq, chain_hash
FROM audit_event
WHERE ((group_id IS NULL AND action <> 'message_thread.created')
       OR action IN ('study_group.split', 'study_group.members_set',
                     'timetable_slot.created', 'timetable_slot.ended'));
