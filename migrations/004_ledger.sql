-- The ledger: one row per delivered output, keyed by its 64-bit watermark payload, and the
-- perceptual-hash bands that let a re-encoded, scaled, cropped or trimmed copy find its row.
create table ledger_entries (
  payload_hex text primary key,
  generation_id text not null,
  creator_id text not null,
  cameo_ids text[] not null default '{}',
  content_sha256 text not null,
  blob_key text not null,
  mime_type text not null,
  duration_sec double precision not null,
  width integer not null,
  height integer not null,
  manifest jsonb not null,
  manifest_store_json text,
  fingerprint jsonb not null,
  created_at timestamptz not null default now(),
  taken_down_at timestamptz,
  takedown_reason text,
  constraint ledger_payload_hex check (payload_hex ~ '^[0-9a-f]{16}$'),
  constraint ledger_content_sha256 check (content_sha256 ~ '^[0-9a-f]{64}$')
);
create unique index ledger_entries_generation on ledger_entries (generation_id);
create index ledger_entries_content_sha256 on ledger_entries (content_sha256);

-- kind: 0 full-frame hash, 1 hash of the frame's central 60%, 2 audio sub-fingerprint.
-- Each hash is split in 16-bit bands: two hashes within a few bits share at least one band
-- exactly, so candidates come from an equality index instead of a scan of every row.
create table ledger_hash_bands (
  payload_hex text not null references ledger_entries (payload_hex) on delete cascade,
  kind smallint not null,
  band smallint not null,
  value integer not null
);
create index ledger_hash_bands_lookup on ledger_hash_bands (kind, band, value);
create index ledger_hash_bands_entry on ledger_hash_bands (payload_hex);
