-- A year's archive made before the year's end covers the records up to the end of the periods
-- already over (regulations §6: «any time for a closed period»); NULL: the whole year.
ALTER TABLE archive ADD COLUMN covers_until date;
