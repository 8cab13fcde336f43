-- The demo's school year is filled in many transactions (through the same service functions as
-- the pages); a killed fill used to leave half a year for good (issue 11). A row here is written
-- before the fill starts and completed after its last step: a row without `finished_at` (or a
-- demo school with subjects and no row) is an unfinished fill, which `zhurnal demo` redoes.
CREATE TABLE demo_fill (
    school_id   bigint PRIMARY KEY REFERENCES school (id),
    started_at  timestamptz NOT NULL,
    finished_at timestamptz
);

-- A demo filled before this table existed is complete if its last step (the messages) ran.
INSERT INTO demo_fill (school_id, started_at, finished_at)
SELECT s.id, now(), now()
FROM school s
WHERE s.slug = 'demo-1'
  AND EXISTS (SELECT 1 FROM message_thread t WHERE t.school_id = s.id);
