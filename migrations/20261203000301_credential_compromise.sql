-- Compromised credentials (000 §21, 004 §5.4): a declaration that an account's credentials
-- leaked as of `since`, and the reverts of the changes made with them since then. Each revert
-- names the audit event it undid, once (the primary key).
CREATE TABLE credential_compromise (
    school_id    bigint NOT NULL REFERENCES school (id),
    id           bigint GENERATED ALWAYS AS IDENTITY,
    account_id   bigint NOT NULL REFERENCES account (id),
    since        timestamptz NOT NULL,
    declared_by  bigint NOT NULL REFERENCES account (id),
    declared_at  timestamptz NOT NULL,
    -- The sessions ended by the declaration.
    sessions_ended integer NOT NULL DEFAULT 0 CHECK (sessions_ended >= 0),
    CHECK (since <= declared_at),
    PRIMARY KEY (school_id, id)
);
CREATE INDEX credential_compromise_account ON credential_compromise (school_id, account_id);

CREATE TABLE credential_compromise_revert (
    school_id      bigint NOT NULL,
    compromise_id  bigint NOT NULL,
    -- The audit event whose change was undone.
    event_id       bigint NOT NULL,
    reverted_by    bigint NOT NULL REFERENCES account (id),
    reverted_at    timestamptz NOT NULL,
    PRIMARY KEY (school_id, event_id),
    FOREIGN KEY (school_id, compromise_id) REFERENCES credential_compromise (school_id, id),
    FOREIGN KEY (school_id, event_id) REFERENCES audit_event (school_id, id)
);

ALTER TABLE credential_compromise ENABLE ROW LEVEL SECURITY;
CREATE POLICY school_wall ON credential_compromise USING (zhurnal_school_visible(school_id))
    WITH CHECK (zhurnal_school_visible(school_id));
ALTER TABLE credential_compromise_revert ENABLE ROW LEVEL SECURITY;
CREATE POLICY school_wall ON credential_compromise_revert USING (zhurnal_school_visible(school_id))
    WITH CHECK (zhurnal_school_visible(school_id));
