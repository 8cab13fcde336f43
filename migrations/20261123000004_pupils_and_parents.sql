-- Classes with their profile; pupils' parents with consent to personal-data processing; the
-- history of pupil movement (enrolment, transfer, withdrawal). Regulations §2, §4 (000 §3).

ALTER TABLE school_class
    ADD COLUMN profile text CHECK (profile IS NULL OR length(btrim(profile)) BETWEEN 1 AND 100);

-- A parent or guardian as the school knows them. `account_id` once credentials are issued.
CREATE TABLE parent (
    school_id      bigint NOT NULL REFERENCES school (id),
    id             bigint GENERATED ALWAYS AS IDENTITY,
    last_name      text COLLATE ru NOT NULL CHECK (length(btrim(last_name)) BETWEEN 1 AND 100),
    first_name     text COLLATE ru NOT NULL CHECK (length(btrim(first_name)) BETWEEN 1 AND 100),
    middle_name    text COLLATE ru NOT NULL DEFAULT '' CHECK (length(middle_name) <= 100),
    phone          text CHECK (phone IS NULL OR phone ~ '^\+7\d{10}$'),
    email          text CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+$'),
    -- Consent to personal-data processing: NULL until recorded; then given or refused, and when.
    pd_consent     boolean,
    pd_consent_on  date,
    account_id     bigint REFERENCES account (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, id),
    CHECK ((pd_consent IS NULL) = (pd_consent_on IS NULL))
);

CREATE TABLE pupil_parent (
    school_id  bigint NOT NULL,
    pupil_id   bigint NOT NULL,
    parent_id  bigint NOT NULL,
    -- «мать», «отец», «опекун», …
    relation   text NOT NULL CHECK (length(btrim(relation)) BETWEEN 1 AND 40),
    PRIMARY KEY (school_id, pupil_id, parent_id),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id),
    FOREIGN KEY (school_id, parent_id) REFERENCES parent (school_id, id)
);
CREATE INDEX pupil_parent_parent ON pupil_parent (school_id, parent_id);

-- Every movement of a pupil, with its date and reason; class_enrollment holds the resulting
-- periods in classes.
CREATE TABLE pupil_movement (
    school_id      bigint NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    pupil_id       bigint NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('enrolment', 'transfer', 'withdrawal', 'promotion')),
    on_date        date NOT NULL,
    from_class_id  bigint,
    to_class_id    bigint,
    reason         text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    -- The order («приказ») the movement follows, as written on it.
    order_ref      text NOT NULL DEFAULT '' CHECK (length(order_ref) <= 100),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id),
    FOREIGN KEY (school_id, from_class_id) REFERENCES school_class (school_id, id),
    FOREIGN KEY (school_id, to_class_id) REFERENCES school_class (school_id, id)
);
CREATE INDEX pupil_movement_pupil ON pupil_movement (school_id, pupil_id, on_date);

-- At most one open enrolment per pupil.
CREATE UNIQUE INDEX class_enrollment_one_open ON class_enrollment (school_id, pupil_id)
    WHERE ends_on IS NULL;

-- Enrolments made before this migration get their movement record.
INSERT INTO pupil_movement (school_id, pupil_id, kind, on_date, to_class_id, reason)
SELECT school_id, pupil_id, 'enrolment', starts_on, class_id, ''
FROM class_enrollment;
