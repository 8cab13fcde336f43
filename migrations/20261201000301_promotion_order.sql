-- Year-end promotion by the director's order (regulations §2, 003): the decision is recorded
-- when the order is entered and applied on its effective date (by default the year's end), not
-- when the button is pressed. Until then the year stays as it is: classes, enrolments, pupils'
-- and parents' access.

CREATE TABLE promotion_order (
    school_id         bigint NOT NULL REFERENCES school (id),
    id                bigint GENERATED ALWAYS AS IDENTITY,
    academic_year_id  bigint NOT NULL,
    -- The year the promoted pupils move into.
    next_year_id      bigint NOT NULL,
    -- «№ 112»: the number as written on the order, without the sign.
    order_number      text NOT NULL CHECK (length(btrim(order_number)) BETWEEN 1 AND 30),
    order_date        date NOT NULL,
    effective_on      date NOT NULL CHECK (effective_on >= order_date),
    recorded_by       bigint REFERENCES account (id),
    recorded_at       timestamptz NOT NULL,
    -- Set when the movements were written (on or after `effective_on`).
    applied_at        timestamptz,
    cancelled_at      timestamptz,
    cancelled_by      bigint REFERENCES account (id),
    PRIMARY KEY (school_id, id),
    FOREIGN KEY (school_id, academic_year_id) REFERENCES academic_year (school_id, id),
    FOREIGN KEY (school_id, next_year_id) REFERENCES academic_year (school_id, id),
    CHECK (applied_at IS NULL OR cancelled_at IS NULL)
);
-- At most one order of a year waits for its date.
CREATE UNIQUE INDEX promotion_order_one_pending ON promotion_order (school_id, academic_year_id)
    WHERE applied_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX promotion_order_due ON promotion_order (effective_on)
    WHERE applied_at IS NULL AND cancelled_at IS NULL;

-- What the order says of each pupil it names.
CREATE TABLE promotion_outcome (
    school_id      bigint NOT NULL,
    order_id       bigint NOT NULL,
    pupil_id       bigint NOT NULL,
    -- The class the pupil was in when the order was recorded.
    from_class_id  bigint NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('promoted', 'repeat', 'graduated')),
    PRIMARY KEY (school_id, order_id, pupil_id),
    FOREIGN KEY (school_id, order_id) REFERENCES promotion_order (school_id, id),
    FOREIGN KEY (school_id, pupil_id) REFERENCES pupil (school_id, id),
    FOREIGN KEY (school_id, from_class_id) REFERENCES school_class (school_id, id)
);
CREATE INDEX promotion_outcome_pupil ON promotion_outcome (school_id, pupil_id);

ALTER TABLE promotion_order ENABLE ROW LEVEL SECURITY;
CREATE POLICY school_wall ON promotion_order USING (zhurnal_school_visible(school_id))
    WITH CHECK (zhurnal_school_visible(school_id));
ALTER TABLE promotion_outcome ENABLE ROW LEVEL SECURITY;
CREATE POLICY school_wall ON promotion_outcome USING (zhurnal_school_visible(school_id))
    WITH CHECK (zhurnal_school_visible(school_id));
