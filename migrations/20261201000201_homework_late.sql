-- J7 + J1: homework written after the school's window (homework_window_minutes after the class's
-- last lesson that day) is accepted until the lesson locks, and flagged as late — as marks and
-- attendance are (`late_entry`). The flag describes the homework as it stands: each change of it
-- sets the flag anew.
ALTER TABLE lesson
    ADD COLUMN homework_late boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN lesson.homework_late IS
    'Regulations §3 J7: the homework (or «Не задано») was last written after the homework window.';
