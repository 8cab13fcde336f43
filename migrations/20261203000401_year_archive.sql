-- The year's sealed archive (regulations §6): the journal, attendance and summary sheets of a
-- year as PDFs with a signed manifest, made in the background and kept under the data directory
-- until `retain_until` (journal 5 years, summary sheets 25 years from the year's end). A row is
-- never deleted: the application has no delete path, and the files stay with it.

CREATE TABLE archive (
    school_id      bigint NOT NULL REFERENCES school (id),
    id             bigint GENERATED ALWAYS AS IDENTITY,
    year_id        bigint NOT NULL,
    status         text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    -- Progress: files written of the files to write.
    files_done     integer NOT NULL DEFAULT 0 CHECK (files_done >= 0),
    files_total    integer NOT NULL DEFAULT 0 CHECK (files_total >= 0),
    started_by     bigint REFERENCES account (id),
    started_at     timestamptz NOT NULL,
    made_at        timestamptz,
    -- The latest retention date of its files (the summary sheets'): not deleted before it.
    retain_until   date,
    -- The audit chain head printed in the manifest (NULL until the chain exists).
    head           text,
    -- SHA-256 of manifest.json, hex.
    manifest_sha256 text,
    error          text CHECK (error IS NULL OR length(error) <= 2000),
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, year_id) REFERENCES academic_year (school_id, id)
);
-- One archive of a year is made at a time.
CREATE UNIQUE INDEX archive_one_running ON archive (school_id, year_id) WHERE status = 'running';

ALTER TABLE archive ENABLE ROW LEVEL SECURITY;
CREATE POLICY school_wall ON archive USING (zhurnal_school_visible(school_id))
    WITH CHECK (zhurnal_school_visible(school_id));

-- Not deleted before its retention date, by anyone going through the table (a finished archive
-- keeps its row; one still running or failed has no retention date and may go).
CREATE FUNCTION archive_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.retain_until IS NOT NULL AND OLD.retain_until >= current_date THEN
        RAISE EXCEPTION 'archive % is kept until %', OLD.id, OLD.retain_until
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER archive_kept BEFORE DELETE ON archive FOR EACH ROW EXECUTE FUNCTION archive_kept();
