-- The verifier's matched watermark test keeps every issued identifier in memory and reads only
-- the entries created since its last look.
create index ledger_entries_created_at on ledger_entries (created_at);
