-- Issue 17, item 4 (docs/SCALE.md «The audit row»): `audit::record` took the journal (study
-- group) of a recorded lesson by joining `lesson` in its INSERT (`INSERT … SELECT … FROM school
-- LEFT JOIN lesson`). Citus does not route an INSERT … SELECT: it runs the SELECT, then COPYs the
-- row into the shard, which the worker refuses under row security («COPY FROM not supported with
-- row-level security»). The INSERT is now plain VALUES (routed to the school's shard, one round
-- trip as before), and the chain's row trigger, which runs where the row is stored (on Citus the
-- worker holding the school, beside the school's `lesson` shard), fills the lesson's group
-- before it hashes the row: the same content, the same chain, on both.
CREATE OR REPLACE FUNCTION audit_event_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    head_seq bigint;
    head_hash bytea;
    last_seq bigint;
    last_hash bytea;
    recorded_lesson bigint;
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
    -- Rows this transaction has already linked (the head moves at commit).
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
