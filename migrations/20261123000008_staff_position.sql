-- A staff member's position in the school («учитель математики», «педагог-психолог»).
ALTER TABLE membership
    ADD COLUMN position text CHECK (position IS NULL OR length(btrim(position)) BETWEEN 1 AND 100);
