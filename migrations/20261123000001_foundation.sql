-- Foundation: schools (tenants), accounts, memberships, sessions, the account security log and
-- the append-only audit trail, plus the first pieces of the school year that memberships point
-- to (academic years, classes, pupils). Forward-only: never edit a migration that has shipped.
--
-- Conventions: every tenant table has `school_id` first in its primary key and references other
-- tenant rows through (school_id, id) composite foreign keys, so that a row can never point into
-- another school and the schema can be distributed by school_id.

-- Russian names sort by the Russian alphabet (Ё with Е), whatever the database's own locale.
CREATE COLLATION IF NOT EXISTS ru (provider = icu, locale = 'ru-RU');

CREATE TABLE school (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 3 AND 300),
    short_name  text NOT NULL CHECK (length(btrim(short_name)) BETWEEN 2 AND 100),
    -- URL-safe identifier, unique on the platform.
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    -- IANA zone: the school's "today" and deadlines are in its local time.
    time_zone   text NOT NULL DEFAULT 'Europe/Moscow',
    created_at  timestamptz NOT NULL DEFAULT now(),

    -- Per-school regulation settings (shared/docs/regulations.md §3); rules/ reads them.
    -- J1: entries later than the lesson day are late; after this many days the lesson is locked.
    entry_lock_days            smallint NOT NULL DEFAULT 7 CHECK (entry_lock_days BETWEEN 0 AND 60),
    -- J2: current marks are due by this local time of the lesson day (NULL: end of day).
    mark_cutoff                time,
    -- J7: homework may be written until this many minutes after the class's last lesson.
    homework_window_minutes    smallint NOT NULL DEFAULT 120 CHECK (homework_window_minutes BETWEEN 0 AND 1440),
    -- J12: period marks may be set until this many days after the period ends.
    period_mark_grace_days     smallint NOT NULL DEFAULT 2 CHECK (period_mark_grace_days BETWEEN 0 AND 30),
    -- J11: accumulation of marks.
    accumulation_min_marks_one_hour   smallint NOT NULL DEFAULT 3 CHECK (accumulation_min_marks_one_hour BETWEEN 0 AND 50),
    accumulation_min_marks_more_hours smallint NOT NULL DEFAULT 5 CHECK (accumulation_min_marks_more_hours BETWEEN 0 AND 50),
    accumulation_grace_weeks          smallint NOT NULL DEFAULT 2 CHECK (accumulation_grace_weeks BETWEEN 0 AND 10),
    accumulation_grace_weeks_one_hour smallint NOT NULL DEFAULT 3 CHECK (accumulation_grace_weeks_one_hour BETWEEN 0 AND 10),
    -- J17: state final attestation marks are entered within this many days of the results.
    gia_entry_days             smallint NOT NULL DEFAULT 1 CHECK (gia_entry_days BETWEEN 0 AND 30),
    -- §4 (003): class teachers contact parents who have not opened the diary for this long.
    parent_inactivity_days     smallint NOT NULL DEFAULT 14 CHECK (parent_inactivity_days BETWEEN 1 AND 90)
);
COMMENT ON TABLE school IS 'The tenant: one general-education school and its regulation settings.';

-- A person's login. Global: a parent with children in two schools has one account and two
-- memberships. Personal data the school keeps (pupil and parent records) live in tenant tables.
CREATE TABLE account (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login                 text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    password_hash         text NOT NULL,
    last_name             text COLLATE ru NOT NULL CHECK (length(btrim(last_name)) BETWEEN 1 AND 100),
    first_name            text COLLATE ru NOT NULL CHECK (length(btrim(first_name)) BETWEEN 1 AND 100),
    middle_name           text COLLATE ru NOT NULL DEFAULT '' CHECK (length(middle_name) <= 100),
    email                 text CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+$'),
    -- Issued (initial or reset) credentials must be replaced at the next login.
    must_change_password  boolean NOT NULL DEFAULT true,
    -- The platform operator creates schools; not a member of any school by that right.
    is_operator           boolean NOT NULL DEFAULT false,
    disabled_at           timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    password_changed_at   timestamptz
);

CREATE TABLE academic_year (
    school_id   bigint NOT NULL REFERENCES school (id),
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL CHECK (name ~ '^\d{4}/\d{4}$'),
    starts_on   date NOT NULL,
    ends_on     date NOT NULL,
    -- A closed year's journals are read-only.
    closed_at   timestamptz,
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, name),
    CHECK (ends_on > starts_on)
);

CREATE TABLE school_class (
    school_id         bigint NOT NULL,
    id                bigint GENERATED ALWAYS AS IDENTITY,
    academic_year_id  bigint NOT NULL,
    grade             smallint NOT NULL CHECK (grade BETWEEN 1 AND 11),
    letter            text NOT NULL CHECK (letter ~ '^[А-ЯЁ0-9]{1,3}$'),
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, academic_year_id, grade, letter),
    FOREIGN KEY (school_id, academic_year_id) REFERENCES academic_year (school_id, id)
);

CREATE TABLE pupil (
    school_id    bigint NOT NULL REFERENCES school (id),
    id           bigint GENERATED ALWAYS AS IDENTITY,
    last_name    text COLLATE ru NOT NULL CHECK (length(btrim(last_name)) BETWEEN 1 AND 100),
    first_name   text COLLATE ru NOT NULL CHECK (length(btrim(first_name)) BETWEEN 1 AND 100),
    middle_name  text COLLATE ru NOT NULL DEFAULT '' CHECK (length(middle_name) <= 100),
    birth_date   date,
    sex          text CHECK (sex IN ('m', 'f')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (school_id, id)
);

-- Which class a pupil belongs to, and since/until when (movement history is never lost).
CREATE TABLE class_enrollment (
    school_id  bigint NOT NULL,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    pupil_id   bigint NOT NULL,
    class_id   bigint NOT NULL,
    starts_on  date NOT NULL,
    ends_on    date,
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id),
    FOREIGN KEY (school_id, class_id) REFERENCES school_class (school_id, id),
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX class_enrollment_class ON class_enrollment (school_id, class_id);
CREATE INDEX class_enrollment_pupil ON class_enrollment (school_id, pupil_id);

-- A role an account holds in a school. Scope: the class of a class teacher; the pupil of a
-- parent (one membership per child) or of the pupil themself.
CREATE TABLE membership (
    school_id   bigint NOT NULL REFERENCES school (id),
    id          bigint GENERATED ALWAYS AS IDENTITY,
    account_id  bigint NOT NULL REFERENCES account (id),
    role        text NOT NULL CHECK (role IN ('director', 'deputy', 'administrator', 'teacher',
                                              'class_teacher', 'parent', 'pupil')),
    class_id    bigint,
    pupil_id    bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, class_id) REFERENCES school_class (school_id, id),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id),
    CHECK ((role = 'class_teacher') = (class_id IS NOT NULL)),
    CHECK ((role IN ('parent', 'pupil')) = (pupil_id IS NOT NULL))
);
CREATE UNIQUE INDEX membership_active_unique ON membership
    (school_id, account_id, role, coalesce(class_id, 0), coalesce(pupil_id, 0))
    WHERE revoked_at IS NULL;
CREATE INDEX membership_account ON membership (account_id) WHERE revoked_at IS NULL;
CREATE UNIQUE INDEX membership_one_pupil_account ON membership (school_id, pupil_id)
    WHERE role = 'pupil' AND revoked_at IS NULL;

-- Browser sessions (tower-sessions store). The key is a SHA-256 of the session id, so that a
-- copy of this table does not let anyone take over a session. `account_id` lets a password
-- change (or a leaked-credentials report) end every other session of the account.
CREATE TABLE session (
    id_hash     text PRIMARY KEY,
    account_id  bigint REFERENCES account (id) ON DELETE CASCADE,
    data        jsonb NOT NULL,
    expires_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_account ON session (account_id);
CREATE INDEX session_expires ON session (expires_at);

-- The security log of accounts: logins (for lock-out and activity reports), logouts, password
-- changes. Failed attempts on logins that do not exist are kept too (account_id NULL).
CREATE TABLE account_event (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    login       text NOT NULL,
    account_id  bigint REFERENCES account (id),
    kind        text NOT NULL CHECK (kind IN ('login_succeeded', 'login_failed', 'login_locked',
                                              'logout', 'password_changed', 'school_entered')),
    school_id   bigint REFERENCES school (id),
    ip          inet,
    user_agent  text
);
CREATE INDEX account_event_login ON account_event (login, at);
CREATE INDEX account_event_account ON account_event (account_id, at);
CREATE INDEX account_event_school ON account_event (school_id, at) WHERE school_id IS NOT NULL;

-- The audit trail of every change to a school's data: who, when, before, after, why. Written
-- by audit::record in the same transaction as the change. Append-only: the database refuses
-- UPDATE, DELETE and TRUNCATE.
CREATE TABLE audit_event (
    school_id            bigint NOT NULL REFERENCES school (id),
    id                   bigint GENERATED ALWAYS AS IDENTITY,
    at                   timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- NULL actor: the platform itself (command line, demo seed).
    actor_account_id     bigint REFERENCES account (id),
    actor_role           text,
    -- A short hash of the session the change came from (to find operations made with leaked
    -- credentials).
    session_ref          text,
    action               text NOT NULL,
    subject_type         text NOT NULL,
    subject_id           bigint,
    before               jsonb,
    after                jsonb,
    reason               text,
    PRIMARY KEY (school_id, id)
);
CREATE INDEX audit_event_subject ON audit_event (school_id, subject_type, subject_id);
CREATE INDEX audit_event_at ON audit_event (school_id, at);

CREATE FUNCTION audit_event_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_event_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_is_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_is_append_only();
