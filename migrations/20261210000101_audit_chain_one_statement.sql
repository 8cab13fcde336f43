-- Issue 16: the chain's link made by one statement. Each audited write waited on its school's
-- chain head (`audit_event_chain`) and then made three statements in its triggers: the head
-- read and locked, the transaction's own last link looked up by the chain's index, and at
-- commit the head moved by a deferred trigger that asked the school's highest place again.
-- Under eight writers of one school the event's insert cost 0.83 ms of PostgreSQL's CPU against
-- 0.15 ms for the same row unchained (pgbench, docs/TESTING.md «Tenth round»).
--
-- Now the transaction's first event of a school moves the head itself — one UPDATE that locks
-- the head, links the row after it and writes the new place and hash — and the transaction's
-- later events of the school link after the last one, which the transaction keeps in a
-- transaction-local setting (`zhurnal.chain_tail_<school>`: the transaction's first place, its
-- last place, its last hash). A savepoint rolled back takes back the setting with the rows and
-- the head's move. At commit the deferred row trigger moves the head to the transaction's last
-- event of the school, only when the transaction linked more than one (a bulk insert: one
-- update a school and transaction, as before). The chain is the same: the same content, the
-- same places, the same hashes.
CREATE OR REPLACE FUNCTION audit_event_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    recorded_lesson bigint;
    tail_name text := 'zhurnal.chain_tail_' || NEW.school_id;
    tail text[];
    first_seq bigint;
BEGIN
    -- The journal of the recorded lesson, when the change names no group itself. Only the
    -- event's own school's lesson (the trigger runs with the owner's rights).
    IF NEW.group_id IS NULL THEN
        recorded_lesson := coalesce(public.audit_json_id(NEW.after -> 'lesson_id'),
                                    public.audit_json_id(NEW.before -> 'lesson_id'),
                                    CASE WHEN NEW.subject_type = 'lesson' THEN NEW.subject_id END);
        IF recorded_lesson IS NOT NULL THEN
            SELECT l.group_id INTO NEW.group_id
            FROM public.lesson l WHERE l.school_id = NEW.school_id AND l.id = recorded_lesson;
        END IF;
    END IF;
    tail := string_to_array(nullif(current_setting(tail_name, true), ''), ':');
    IF tail IS NULL THEN
        -- The transaction's first event of the school: the head, locked until the transaction
        -- ends (the school's next writer waits here; other schools' writers lock their own
        -- rows), moves to this row in the same statement.
        FOR i IN 1..2 LOOP
            UPDATE public.audit_chain_head h
            SET seq = h.seq + 1,
                hash = public.audit_chain_link(h.hash, public.audit_event_content(
                    NEW.school_id, h.seq + 1, NEW.at, NEW.actor_account_id, NEW.actor_role,
                    NEW.session_ref, NEW.action, NEW.subject_type, NEW.subject_id, NEW.before,
                    NEW.after, NEW.reason, NEW.pupil_id, NEW.group_id))
            WHERE h.school_id = NEW.school_id
            RETURNING h.seq, h.hash INTO NEW.chain_seq, NEW.chain_hash;
            EXIT WHEN FOUND;
            -- The school's first event ever: its head starts at the origin.
            INSERT INTO public.audit_chain_head (school_id, seq, hash)
            VALUES (NEW.school_id, 0, public.audit_chain_origin())
            ON CONFLICT (school_id) DO NOTHING;
        END LOOP;
        first_seq := NEW.chain_seq;
    ELSE
        -- A later event of the school in this transaction: after the transaction's last link.
        first_seq := tail[1]::bigint;
        NEW.chain_seq := tail[2]::bigint + 1;
        NEW.chain_hash := public.audit_chain_link(decode(tail[3], 'hex'), public.audit_event_content(
            NEW.school_id, NEW.chain_seq, NEW.at, NEW.actor_account_id, NEW.actor_role,
            NEW.session_ref, NEW.action, NEW.subject_type, NEW.subject_id, NEW.before, NEW.after,
            NEW.reason, NEW.pupil_id, NEW.group_id));
    END IF;
    PERFORM set_config(tail_name,
                       first_seq || ':' || NEW.chain_seq || ':' || encode(NEW.chain_hash, 'hex'),
                       true);
    RETURN NEW;
END;
$$;

CREATE OR REPLACE FUNCTION audit_event_chain_advance_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    tail text[] := string_to_array(
        nullif(current_setting('zhurnal.chain_tail_' || NEW.school_id, true), ''), ':');
BEGIN
    -- The transaction's last event of the school, when the head stands at its first.
    IF tail IS NOT NULL AND tail[2]::bigint = NEW.chain_seq AND tail[1]::bigint < NEW.chain_seq THEN
        UPDATE public.audit_chain_head h SET seq = NEW.chain_seq, hash = NEW.chain_hash
        WHERE h.school_id = NEW.school_id AND h.seq < NEW.chain_seq;
    END IF;
    RETURN NULL;
END;
$$;
