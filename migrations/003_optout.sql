-- The rightsholder opt-out registry: protected entries, their reference images and faces, the
-- change feed every process polls to keep its in-memory index current, and what the registry blocked.
create table optout_entries (
  id uuid primary key,
  owner_id uuid not null references accounts (id),
  owner_name text not null,
  kind text not null,
  canonical_name text not null,
  aliases jsonb not null default '[]'::jsonb,
  descriptions jsonb not null default '[]'::jsonb,
  policy text not null,
  -- [{ "id": account id, "handle": handle at the time it was granted }]
  licensees jsonb not null default '[]'::jsonb,
  status text not null default 'active',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  withdrawn_at timestamptz,
  constraint optout_entries_kind check (kind in ('character', 'real_person', 'work', 'brand')),
  constraint optout_entries_policy check (policy in ('block', 'licensed_only')),
  constraint optout_entries_status check (status in ('active', 'withdrawn'))
);
create index optout_entries_owner on optout_entries (owner_id, created_at);

create table optout_images (
  id uuid primary key,
  entry_id uuid not null references optout_entries (id),
  blob_key text not null,
  media_type text not null,
  width integer not null,
  height integer not null,
  phash bytea not null,
  phash_flipped bytea not null,
  quality integer not null,
  created_at timestamptz not null default now()
);
create index optout_images_entry on optout_images (entry_id);

-- Reference faces of protected real people (public figures' reference photographs, registered by
-- their estates or agents): the 128-d descriptor sealed with a per-row data key.
create table optout_faces (
  id uuid primary key,
  image_id uuid not null references optout_images (id),
  entry_id uuid not null references optout_entries (id),
  wrapped_key bytea not null,
  descriptor_sealed bytea not null,
  created_at timestamptz not null default now()
);
create index optout_faces_entry on optout_faces (entry_id);

-- One row per change to an entry, written under a transaction-scoped advisory lock so that seq
-- order is commit order: a poller that has seen seq N has seen every change up to N.
create table optout_changes (
  seq bigserial primary key,
  entry_id uuid not null,
  at timestamptz not null default now()
);

-- What the registry refused, for the rightsholder's statistics. The requester's account id is
-- sealed (requester_sealed + wrapped_key); only the operator release endpoint opens it, and only
-- then is it copied to released_requester_id, which the rightsholder may see.
create table optout_blocks (
  id uuid primary key,
  entry_id uuid not null references optout_entries (id),
  owner_id uuid not null,
  source text not null,
  rule text not null,
  prompt text,
  at timestamptz not null default now(),
  wrapped_key bytea not null,
  requester_sealed bytea not null,
  released_requester_id uuid,
  released_at timestamptz,
  released_by uuid,
  constraint optout_blocks_source check (source in ('check', 'generation', 'output'))
);
create index optout_blocks_owner_at on optout_blocks (owner_id, at);
create index optout_blocks_entry_at on optout_blocks (entry_id, at);

-- Fixed one-minute windows per account for POST /v1/policy/check, shared by every API process.
create table optout_rate_windows (
  account_id uuid not null,
  window_start timestamptz not null,
  n integer not null,
  primary key (account_id, window_start)
);
