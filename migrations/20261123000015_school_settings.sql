-- When e-mail digests to parents are composed (regulations §4) becomes a school setting, edited
-- with the other regulation settings on «Настройки школы» (/admin/settings).

ALTER TABLE school
    -- Daily and weekly digests are composed from this local hour (0–23).
    ADD COLUMN digest_hour    smallint NOT NULL DEFAULT 18 CHECK (digest_hour BETWEEN 0 AND 23),
    -- The weekly digest is composed from this ISO weekday (1 = Monday … 6 = Saturday,
    -- 7 = Sunday) at digest_hour, or later in the same week if it was missed.
    ADD COLUMN digest_weekday smallint NOT NULL DEFAULT 6 CHECK (digest_weekday BETWEEN 1 AND 7);

COMMENT ON COLUMN school.digest_hour IS
    'Regulations §4: local hour from which daily and weekly e-mail digests are composed (0-23).';
COMMENT ON COLUMN school.digest_weekday IS
    'Regulations §4: ISO weekday (1 = Monday ... 7 = Sunday) of the weekly e-mail digest; caught up later in the same week if missed.';
