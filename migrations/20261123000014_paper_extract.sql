-- The printed weekly extract (regulations §4): a parent without a computer asks the class teacher
-- for the diary on paper. Parents who refused the processing of personal data (`pd_consent` false)
-- get it on paper too, without asking: nothing electronic reaches them.
ALTER TABLE parent ADD COLUMN paper_extract boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN parent.paper_extract IS 'Asked for the weekly printed extract of the diary (§4).';
