-- Issue 16: who the request's person is, in one round trip on a connection with no scope.
--
-- Every signed-in page reads its person (the account, the membership, the unread messages'
-- count: `auth::repo::current`). That read ran on a pool connection, and every acquire costs a
-- round trip setting the connection's scope (`db::scope`); the page's own connection then costs
-- another. This function sets the same scope the pool would — the membership's school, or no
-- school — for its own statement only (`set_config(…, true)`: local to the statement's
-- transaction, gone when it ends), then reads exactly what the query read. It is called on the
-- sessions' pool (`db::session_pool`), whose connections otherwise carry no scope at all and see
-- no walled row. Not SECURITY DEFINER: it runs as the application's role, behind the same wall.

CREATE FUNCTION zhurnal_current_member(
    p_account bigint, p_school bigint, p_membership bigint, p_locked_hash text
) RETURNS TABLE (
    account_id bigint, login text, full_name text, must_change_password boolean,
    is_operator boolean, membership_count bigint, school_id bigint, membership_id bigint,
    role text, class_id bigint, pupil_id bigint, school_name text, school_time_zone text,
    timetable_editor boolean, unread_messages bigint
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
    PERFORM set_config('zhurnal.school', coalesce(p_school::text, ''), true),
            set_config('zhurnal.all_schools', 'off', true);
    RETURN QUERY
    SELECT a.id, a.login,
           a.last_name || ' ' || a.first_name || ' ' || a.middle_name,
           a.must_change_password, a.is_operator,
           (SELECT count(*) FROM membership x
            WHERE x.account_id = p_account AND x.revoked_at IS NULL),
           m.school_id, m.id, m.role, m.class_id, m.pupil_id,
           s.name, s.time_zone,
           coalesce(m.timetable_editor, false),
           (SELECT count(*) FROM thread_participant tp
            JOIN message_thread t ON t.school_id = tp.school_id AND t.id = tp.thread_id
            JOIN message msg ON msg.school_id = tp.school_id AND msg.thread_id = tp.thread_id
                            AND msg.id > tp.last_read_message_id
                            AND msg.author_id <> tp.account_id
            WHERE tp.school_id = p_school AND tp.account_id = p_account
              -- A parent's membership reads the threads about its child (as the inbox).
              AND (m.role <> 'parent' OR t.about_pupil_id = m.pupil_id))
    FROM account a
    LEFT JOIN membership m
           ON m.school_id = p_school AND m.id = p_membership AND m.account_id = a.id
          AND m.revoked_at IS NULL
    LEFT JOIN school s ON s.id = m.school_id
    WHERE a.id = p_account AND a.disabled_at IS NULL
      -- Credentials declared compromised: no session of the account works until a new
      -- password is issued (even one written back by a request under way at the time).
      AND a.password_hash <> p_locked_hash;
END
$$;
