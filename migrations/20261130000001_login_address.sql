-- Login throttling per address (issue 11): failed attempts are counted per address as well as
-- per login, and a login that has signed in from an address before keeps working there. Both
-- questions are answered from account_event; these indexes keep them cheap.
CREATE INDEX account_event_failed_ip ON account_event (ip, at) WHERE kind = 'login_failed';
CREATE INDEX account_event_succeeded_login_ip ON account_event (login, ip, at)
    WHERE kind = 'login_succeeded';
