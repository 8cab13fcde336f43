-- Regulations §5 (issue 13): the homework load report compares the minutes of homework a pupil
-- has for a day with the age limits of the sanitary rules (СанПиН 1.2.3685-21, table 6.6):
-- grade 1 — no homework; 2–3 — 1.5 h; 4–5 — 2 h; 6–8 — 2.5 h; 9–11 — 3.5 h. The limits are school
-- settings, edited on «Настройки школы» with the other regulation settings (0 = no homework).

ALTER TABLE school
    ADD COLUMN homework_limit_grade_1      smallint NOT NULL DEFAULT 0   CHECK (homework_limit_grade_1 BETWEEN 0 AND 600),
    ADD COLUMN homework_limit_grades_2_3   smallint NOT NULL DEFAULT 90  CHECK (homework_limit_grades_2_3 BETWEEN 0 AND 600),
    ADD COLUMN homework_limit_grades_4_5   smallint NOT NULL DEFAULT 120 CHECK (homework_limit_grades_4_5 BETWEEN 0 AND 600),
    ADD COLUMN homework_limit_grades_6_8   smallint NOT NULL DEFAULT 150 CHECK (homework_limit_grades_6_8 BETWEEN 0 AND 600),
    ADD COLUMN homework_limit_grades_9_11  smallint NOT NULL DEFAULT 210 CHECK (homework_limit_grades_9_11 BETWEEN 0 AND 600);

COMMENT ON COLUMN school.homework_limit_grade_1 IS
    'Regulations §5, СанПиН 1.2.3685-21: minutes of homework a day allowed in grade 1 (0: none).';
COMMENT ON COLUMN school.homework_limit_grades_2_3 IS
    'Regulations §5, СанПиН 1.2.3685-21: minutes of homework a day allowed in grades 2-3.';
COMMENT ON COLUMN school.homework_limit_grades_4_5 IS
    'Regulations §5, СанПиН 1.2.3685-21: minutes of homework a day allowed in grades 4-5.';
COMMENT ON COLUMN school.homework_limit_grades_6_8 IS
    'Regulations §5, СанПиН 1.2.3685-21: minutes of homework a day allowed in grades 6-8.';
COMMENT ON COLUMN school.homework_limit_grades_9_11 IS
    'Regulations §5, СанПиН 1.2.3685-21: minutes of homework a day allowed in grades 9-11.';

-- The homework load report finds the lessons of the year's groups with homework by group and
-- date (lesson_group_date); the catch-up report reads absences and marks per pupil
-- (absence_pupil, mark_pupil_day): no new index is needed.
