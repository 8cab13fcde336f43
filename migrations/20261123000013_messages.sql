-- Internal messages (regulations §4: class teachers message parents through the system's
-- internal mail, 002, 004). A thread is about one pupil; its participants are accounts (a parent
-- and a member of staff in the pupil's circle, see messages::repo::circle). A participant's
-- unread messages are those after `last_read_message_id` that someone else wrote.

CREATE TABLE message_thread (
    school_id        bigint NOT NULL REFERENCES school (id),
    id               bigint GENERATED ALWAYS AS IDENTITY,
    subject          text NOT NULL CHECK (length(btrim(subject)) BETWEEN 1 AND 200),
    -- The child the conversation is about.
    about_pupil_id   bigint NOT NULL,
    created_by       bigint NOT NULL REFERENCES account (id),
    created_at       timestamptz NOT NULL,
    last_message_at  timestamptz NOT NULL,
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, about_pupil_id) REFERENCES pupil (school_id, id)
);
CREATE INDEX message_thread_pupil ON message_thread (school_id, about_pupil_id);

CREATE TABLE thread_participant (
    school_id             bigint NOT NULL,
    thread_id             bigint NOT NULL,
    account_id            bigint NOT NULL REFERENCES account (id),
    -- Messages up to this id have been read (0: none).
    last_read_message_id  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (school_id, thread_id, account_id),
    FOREIGN KEY (school_id, thread_id) REFERENCES message_thread (school_id, id)
);
-- The inbox: a person's threads in a school.
CREATE INDEX thread_participant_account ON thread_participant (school_id, account_id, thread_id);

CREATE TABLE message (
    school_id  bigint NOT NULL,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    thread_id  bigint NOT NULL,
    author_id  bigint NOT NULL REFERENCES account (id),
    body       text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 5000),
    sent_at    timestamptz NOT NULL,
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, thread_id) REFERENCES message_thread (school_id, id),
    -- Only a participant writes in a thread.
    FOREIGN KEY (school_id, thread_id, author_id)
        REFERENCES thread_participant (school_id, thread_id, account_id)
);
-- A thread's messages in order, and the unread count (id > last read) as a range scan.
CREATE INDEX message_thread_order ON message (school_id, thread_id, id);
