-- Regulations §1/§2: the timetable is edited by a deputy, or by an administrator who holds the
-- timetable permission («диспетчер расписания»). The first administrator of a school holds it;
-- administrators existing before this migration keep the right they had.
ALTER TABLE membership ADD COLUMN timetable_editor boolean NOT NULL DEFAULT false;
UPDATE membership SET timetable_editor = true WHERE role = 'administrator';
COMMENT ON COLUMN membership.timetable_editor IS
    'An administrator who may edit the timetable, substitutions and transfers (deputies always may).';
