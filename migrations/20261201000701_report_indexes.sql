-- Reports (regulations §5): the progress report of a period reads every period mark of the
-- school's period at once.
CREATE INDEX period_mark_period ON period_mark (school_id, period_id);
