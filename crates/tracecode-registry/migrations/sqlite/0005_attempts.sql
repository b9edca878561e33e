-- Attempts (docs/API.md, "Attempts"): scans of codes that claim a brand's GTIN and fail
-- verification, and genuine signatures on serials never issued. Evidence of where fakes turn
-- up, for the brand whose GTIN they claim; bounded by age, per GTIN and per client
-- (store/attempts.rs).
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    gtin TEXT NOT NULL,
    lot TEXT,
    verdict TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    region TEXT,
    device TEXT,
    code_hash TEXT NOT NULL,
    -- The client network's keyed hash (as for scans): a client's attempts are capped a day.
    client TEXT NOT NULL
);
CREATE INDEX attempts_by_gtin ON attempts (gtin, at_ms);
CREATE INDEX attempts_by_client ON attempts (client, at_ms);
