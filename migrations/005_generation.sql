-- Generations: one row per request, its stage, its decisions (generation_events), the blobs an
-- attempt wrote before committing (generation_pending_outputs), and per-creator limits.
create table generations (
  id uuid primary key,
  requester_id uuid not null,
  prompt text not null,
  cameo_handles text[] not null default '{}',
  -- Opaque ids from the consent domain, filled once the cameos are resolved.
  cameo_ids text[] not null default '{}',
  cameo_owner_ids uuid[] not null default '{}',
  reference_keys text[] not null default '{}',
  duration_sec real not null,
  aspect text not null,
  width integer not null,
  height integer not null,
  seed bigint not null,
  visibility text not null,
  stage text not null default 'queued',
  progress real not null default 0,
  refusal jsonb,
  failure text,
  model_name text,
  model_version text,
  -- Fencing token: each attempt takes a new one and only the holder may commit the output.
  attempt_token uuid,
  attempts integer not null default 0,
  output_key text,
  output_sha256 text,
  output_bytes bigint,
  ledger_payload text,
  taken_down_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  constraint generations_stage_known check (stage in ('queued','policy','consent','rendering','scanning','stamping','done','refused','failed')),
  constraint generations_visibility_known check (visibility in ('draft','published')),
  constraint generations_output_only_when_done check (output_key is null or stage = 'done')
);
create index generations_requester_created on generations (requester_id, created_at desc);
create index generations_stage on generations (stage);
create index generations_cameo_ids on generations using gin (cameo_ids);

create table generation_events (
  id bigserial primary key,
  generation_id uuid not null references generations(id) on delete cascade,
  at timestamptz not null default now(),
  stage text not null,
  decision text not null,
  progress real not null,
  message text,
  details jsonb not null default '{}'::jsonb
);
create index generation_events_generation on generation_events (generation_id, id);

-- Written (and committed) before an attempt puts its clip in the blob store, removed when the
-- clip is committed as the output; the sweeper deletes blobs of rows left behind by a crash.
create table generation_pending_outputs (
  blob_key text not null,
  generation_id uuid not null references generations(id) on delete cascade,
  attempt_token uuid not null,
  created_at timestamptz not null default now(),
  primary key (blob_key, attempt_token)
);

-- Per-creator limits; the row with account_id null is the default for everyone.
create table generation_limits (
  account_id uuid unique,
  per_minute integer not null check (per_minute > 0),
  per_day integer not null check (per_day > 0),
  max_active integer not null check (max_active > 0),
  updated_at timestamptz not null default now()
);
create unique index generation_limits_default on generation_limits ((account_id is null)) where account_id is null;
