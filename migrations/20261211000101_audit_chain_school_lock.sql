-- Issue 16: a school's chain writers take turns on a transaction-level advisory lock before
-- they move the school's chain head, instead of queueing on the head's row itself.
--
-- Queued on the row, each writer's UPDATE waited for the one before it to commit, then found the
-- row changed and followed it to its newest version and checked it again (EvalPlanQual). Under
-- eight writers of one school (pgbench, docs/TESTING.md «Eleventh round») an audited event cost
-- PostgreSQL 0.68–0.81 ms of CPU and 891–1 053 events went in a second; with the turn taken on
-- the lock first, 0.57–0.69 ms and 1 084–1 500. The lock is taken once per
-- transaction and school, with the head's move: a transaction's later events of the school link
-- after its own last one, as before. The key is a pair of integers (720556, the school), a key
-- space apart from the single-number keys used elsewhere (`db::ensure_app_role`, the backup,
-- sign-in throttling). The chain is the same: the same places, the same hashes.
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
        -- The transaction's first event of the school: the school's chain lock first (the
        -- school's next writer waits here, to the end of this transaction; other schools'
        -- writers take their own), then the head, free by then, moves to this row in the same
        -- statement.
        PERFORM pg_advisory_xact_lock(720556, (NEW.school_id % 2147483647)::int);
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
