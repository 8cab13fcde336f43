-- `/readyz` writes its one row here to prove that the database still accepts writes (a full
-- disk, a read-only server or a broken WAL refuse them while reads still work).
CREATE TABLE readiness_probe (
    id smallint PRIMARY KEY CHECK (id = 1),
    at timestamptz NOT NULL
);
