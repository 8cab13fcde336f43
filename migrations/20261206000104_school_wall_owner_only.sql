-- The procedure that writes a table's school wall is the owner's (migrations); the application's
-- role has no use for it.
REVOKE EXECUTE ON FUNCTION zhurnal_school_wall(regclass) FROM PUBLIC;
