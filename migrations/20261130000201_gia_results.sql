-- Regulations §3 J17: the results of the state final attestation (ГИА) — ОГЭ in grade 9, ЕГЭ in
-- grade 11 — entered no later than `school.gia_entry_days` (default 1) after the results arrive.
-- A later entry is accepted and flagged (`late_entry`), as late journal entries are (J2).
CREATE TABLE gia_result (
    school_id      bigint NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    pupil_id       bigint NOT NULL,
    -- 'oge' (grade 9) or 'ege' (grade 11).
    exam           text NOT NULL CHECK (exam IN ('oge', 'ege')),
    subject_id     bigint NOT NULL,
    exam_date      date NOT NULL,
    -- The day the results arrived at the school: the J17 deadline counts from it.
    results_on     date NOT NULL CHECK (results_on >= exam_date),
    primary_score  smallint NOT NULL CHECK (primary_score BETWEEN 0 AND 100),
    -- ЕГЭ only: the 100-point test score.
    test_score     smallint CHECK (test_score BETWEEN 0 AND 100),
    -- The five-point mark where the scale gives one (every ОГЭ; ЕГЭ базовая математика).
    mark           smallint CHECK (mark BETWEEN 2 AND 5),
    entered_by     bigint NOT NULL REFERENCES account (id),
    entered_at     timestamptz NOT NULL,
    late_entry     boolean NOT NULL,
    PRIMARY KEY (school_id, id),
    -- One result per exam sitting; a corrected entry replaces it (audited with before and after).
    UNIQUE (school_id, pupil_id, exam, subject_id, exam_date),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id),
    FOREIGN KEY (school_id, subject_id) REFERENCES subject (school_id, id),
    CHECK (exam = 'ege' OR test_score IS NULL),
    CHECK (exam = 'ege' OR mark IS NOT NULL)
);
CREATE INDEX gia_result_pupil ON gia_result (school_id, pupil_id);

COMMENT ON TABLE gia_result IS
    'Regulations §3 J17: ОГЭ/ЕГЭ results of grades 9 and 11; late_entry when entered after results_on + school.gia_entry_days.';
