-- E-mail to parents (regulations §4): the parent's choice, how far their mail has been composed,
-- and the outbox a background worker sends from (retried, never twice, kept across restarts).

ALTER TABLE parent
    -- none: no e-mail; instant: a message for new marks and absences; daily / weekly: a digest.
    ADD COLUMN notify_mode     text NOT NULL DEFAULT 'none'
                               CHECK (notify_mode IN ('none', 'instant', 'daily', 'weekly')),
    -- Marks and absences entered up to this moment have been composed into mail (or skipped).
    -- NULL: nothing composed yet; the composer starts from the moment it first sees the parent.
    ADD COLUMN notified_until  timestamptz,
    -- The school's local day of the last digest composed (daily or weekly).
    ADD COLUMN digest_on       date;

CREATE TABLE mail_outbox (
    school_id        bigint NOT NULL REFERENCES school (id),
    id               bigint GENERATED ALWAYS AS IDENTITY,
    parent_id        bigint NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('instant', 'daily', 'weekly')),
    -- What this message is about (e.g. `daily:<parent>:2026-11-24`): composing twice inserts once.
    dedupe_key       text NOT NULL CHECK (length(dedupe_key) BETWEEN 1 AND 200),
    to_address       text NOT NULL CHECK (to_address ~ '^[^@\s]+@[^@\s]+$'),
    subject          text NOT NULL CHECK (length(btrim(subject)) BETWEEN 1 AND 300),
    body             text NOT NULL CHECK (length(body) BETWEEN 1 AND 100000),
    created_at       timestamptz NOT NULL,
    -- Attempts begun (counted when a worker claims the row, so a worker that dies counts too).
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL,
    -- A worker holds the row until then; after it, another worker may take it again.
    claimed_until    timestamptz,
    last_error       text,
    sent_at          timestamptz,
    -- Not to be sent any more: consent withdrawn, e-mail removed, or a permanent refusal.
    cancelled_at     timestamptz,
    PRIMARY KEY (school_id, id),
    UNIQUE (school_id, dedupe_key),
    FOREIGN KEY (school_id, parent_id) REFERENCES parent (school_id, id),
    CHECK (sent_at IS NULL OR cancelled_at IS NULL)
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX mail_outbox_recent ON mail_outbox (school_id, created_at DESC);
CREATE INDEX mail_outbox_parent ON mail_outbox (school_id, parent_id);
