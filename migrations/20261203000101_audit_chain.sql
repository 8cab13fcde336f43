-- Tamper-evident audit (issue 14, item 1; regulations §7): each school's audit events form a
-- hash chain. Every row gets its place in its school's chain (`chain_seq`: 1, 2, 3, … with no
-- gap) and `chain_hash` = SHA-256(the previous event's hash || the event's canonical content);
-- the first event's previous hash is 32 zero bytes. `audit_chain_head` keeps each school's last
-- place and hash: a later comparison with a head printed elsewhere (a backup, an archive) proves
-- that nothing before it was rewritten, and a tail deleted after the head was taken shows.
--
-- The chain is computed by the database itself, in the inserting transaction, whoever inserts
-- (`audit::record`, the demo's bulk `INSERT … SELECT`, a test's SQL): a BEFORE INSERT row trigger
-- locks the school's head row (so one school's writers take turns and other schools never wait
-- for them) and links the row; an AFTER INSERT statement trigger moves the head once per
-- statement (a bulk insert of 100 000 rows does not update one row 100 000 times). Ids come from
-- a global sequence and may interleave between concurrent transactions of one school, so the
-- chain is ordered by its own `chain_seq`, never by id or time.

-- The canonical content of an event: a JSON array (jsonb's text is canonical: keys sorted,
-- spacing fixed) of the school, the place, the time in microseconds since 1970 (no time zone in
-- the text), the actor, role, session, action, subject, before, after, reason and the pupil and
-- journal the filters read. Only numbers, text and jsonb go in: the result does not depend on any
-- session setting.
CREATE FUNCTION audit_event_content(
    school_id bigint, seq bigint, at timestamptz, actor_account_id bigint, actor_role text,
    session_ref text, action text, subject_type text, subject_id bigint, before jsonb,
    after jsonb, reason text, pupil_id bigint, group_id bigint
) RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT convert_to(jsonb_build_array(
        school_id, seq, (extract(epoch FROM at) * 1000000)::bigint, actor_account_id, actor_role,
        session_ref, action, subject_type, subject_id, before, after, reason, pupil_id, group_id
    )::text, 'UTF8')
$$;

-- One link: the hash of the previous hash and the content.
CREATE FUNCTION audit_chain_link(previous bytea, content bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT sha256(previous || content)
$$;

-- The previous hash of a school's first event.
CREATE FUNCTION audit_chain_origin() RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT decode(repeat('00', 32), 'hex')
$$;

-- The chain folded over contents in order (the back-fill below, as a running window aggregate).
CREATE AGGREGATE audit_chain_fold(bytea) (
    SFUNC = audit_chain_link,
    STYPE = bytea,
    INITCOND = '\x0000000000000000000000000000000000000000000000000000000000000000'
);

CREATE TABLE audit_chain_head (
    school_id bigint PRIMARY KEY REFERENCES school (id),
    -- The last place of the school's chain (0: no event yet).
    seq       bigint NOT NULL CHECK (seq >= 0),
    hash      bytea NOT NULL CHECK (length(hash) = 32)
);
ALTER TABLE audit_chain_head ENABLE ROW LEVEL SECURITY;
CREATE POLICY school_wall ON audit_chain_head USING (zhurnal_school_visible(school_id))
    WITH CHECK (zhurnal_school_visible(school_id));

ALTER TABLE audit_event
    ADD COLUMN chain_seq bigint,
    ADD COLUMN chain_hash bytea;

-- The back-fill: the rows already written, per school in id order (their order of writing
-- before the chain existed), with the append-only trigger off for this transaction only.
ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_or_delete;
UPDATE audit_event e SET chain_seq = c.seq, chain_hash = c.hash
FROM (
    SELECT n.school_id, n.id, n.seq,
           audit_chain_fold(audit_event_content(
               n.school_id, n.seq, n.at, n.actor_account_id, n.actor_role, n.session_ref,
               n.action, n.subject_type, n.subject_id, n.before, n.after, n.reason, n.pupil_id,
               n.group_id))
             OVER (PARTITION BY n.school_id ORDER BY n.seq) AS hash
    FROM (SELECT a.*, row_number() OVER (PARTITION BY a.school_id ORDER BY a.id) AS seq
          FROM audit_event a) n
) c
WHERE e.school_id = c.school_id AND e.id = c.id;
ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_or_delete;

ALTER TABLE audit_event
    ALTER COLUMN chain_seq SET NOT NULL,
    ALTER COLUMN chain_hash SET NOT NULL;
CREATE UNIQUE INDEX audit_event_chain ON audit_event (school_id, chain_seq);

INSERT INTO audit_chain_head (school_id, seq, hash)
SELECT DISTINCT ON (school_id) school_id, chain_seq, chain_hash
FROM audit_event
ORDER BY school_id, chain_seq DESC;

-- The row trigger. SECURITY DEFINER: it runs with the owner's rights, so the application's role
-- needs (and gets, see `db::ensure_app_role`) only SELECT on `audit_chain_head` — it cannot move
-- a head by itself. The search path is fixed so that no temporary table can stand in.
CREATE FUNCTION audit_event_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    head_seq bigint;
    head_hash bytea;
    last_seq bigint;
    last_hash bytea;
BEGIN
    -- The school's head, locked until the transaction ends: the school's next writer waits
    -- here; other schools' writers lock their own rows.
    SELECT h.seq, h.hash INTO head_seq, head_hash
    FROM public.audit_chain_head h WHERE h.school_id = NEW.school_id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO public.audit_chain_head (school_id, seq, hash)
        VALUES (NEW.school_id, 0, public.audit_chain_origin())
        ON CONFLICT (school_id) DO NOTHING;
        SELECT h.seq, h.hash INTO head_seq, head_hash
        FROM public.audit_chain_head h WHERE h.school_id = NEW.school_id FOR UPDATE;
    END IF;
    -- Rows this statement has already linked (the head moves once, at the statement's end).
    SELECT e.chain_seq, e.chain_hash INTO last_seq, last_hash
    FROM public.audit_event e
    WHERE e.school_id = NEW.school_id AND e.chain_seq > head_seq
    ORDER BY e.chain_seq DESC LIMIT 1;
    IF FOUND THEN
        head_seq := last_seq;
        head_hash := last_hash;
    END IF;
    NEW.chain_seq := head_seq + 1;
    NEW.chain_hash := public.audit_chain_link(head_hash, public.audit_event_content(
        NEW.school_id, NEW.chain_seq, NEW.at, NEW.actor_account_id, NEW.actor_role,
        NEW.session_ref, NEW.action, NEW.subject_type, NEW.subject_id, NEW.before, NEW.after,
        NEW.reason, NEW.pupil_id, NEW.group_id));
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_event_chain BEFORE INSERT ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_chain_link();

-- The statement trigger: each school's head moves to the last row the statement linked.
CREATE FUNCTION audit_event_chain_advance() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    UPDATE public.audit_chain_head h SET seq = t.chain_seq, hash = t.chain_hash
    FROM (SELECT DISTINCT ON (a.school_id) a.school_id, a.chain_seq, a.chain_hash
          FROM added a ORDER BY a.school_id, a.chain_seq DESC) t
    WHERE h.school_id = t.school_id AND t.chain_seq > h.seq;
    RETURN NULL;
END;
$$;
CREATE TRIGGER audit_event_chain_head AFTER INSERT ON audit_event
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_chain_advance();

-- The verification reads a school's chain in order.
COMMENT ON INDEX audit_event_chain IS 'a school''s audit chain in order (audit::chain::verify)';
