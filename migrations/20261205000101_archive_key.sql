-- Several servers, one database (issue 17): the public key each school's archives are signed
-- with, recorded at the key's first use. The private key stays a file of the data directory
-- (archive::seal: whoever holds the database cannot sign); the record lets a server whose data
-- directory holds another key, or none, refuse to sign instead of giving the school a second key
-- (servers must share one ZHURNAL_DATA_DIR).
CREATE TABLE archive_key (
    school_id  bigint PRIMARY KEY REFERENCES school (id),
    public_key text NOT NULL CHECK (public_key ~ '^[0-9a-f]{64}$'),
    made_at    timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE archive_key ENABLE ROW LEVEL SECURITY;
CREATE POLICY school_wall ON archive_key USING (zhurnal_school_visible(school_id))
    WITH CHECK (zhurnal_school_visible(school_id));
