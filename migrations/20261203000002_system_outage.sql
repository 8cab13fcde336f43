-- 001 §6: breaks in the system's work. A deputy or the director registers one; the lessons that
-- started during it are entered afterwards from the paper journal (not late; the reason is in the
-- audit trail), within the lock's days after the break ended.
CREATE TABLE system_outage (
    school_id     bigint NOT NULL REFERENCES school (id),
    id            bigint GENERATED ALWAYS AS IDENTITY,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    note          text NOT NULL DEFAULT '' CHECK (length(note) <= 200),
    registered_by bigint NOT NULL REFERENCES account (id),
    registered_at timestamptz NOT NULL,
    PRIMARY KEY (school_id, id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX system_outage_at ON system_outage (school_id, starts_at);

ALTER TABLE system_outage ENABLE ROW LEVEL SECURITY;
CREATE POLICY school_wall ON system_outage
    USING (zhurnal_school_visible(school_id)) WITH CHECK (zhurnal_school_visible(school_id));
