-- Cameo consent: enrollment sessions, cameos (encrypted templates), approvals, follows, operator reviews.

create table cameo_enrollments (
  id uuid primary key,
  owner_id uuid not null references accounts(id),
  owner_handle text not null,
  challenge jsonb not null,
  -- open: waiting for a recording; analysing: recording received; accepted/rejected: final.
  status text not null default 'open' check (status in ('open', 'analysing', 'accepted', 'rejected')),
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  uploaded_at timestamptz,
  completed_at timestamptz,
  -- Blob key of the recording while it waits for analysis; cleared (and the blob deleted) afterwards.
  recording_key text,
  recording_sha256 text,
  recording_bytes bigint,
  -- Perceptual fingerprint (frame dHashes, audio energy) kept to refuse later re-uploads.
  fingerprint jsonb,
  -- The analysis report without templates or images: checks with scores, thresholds, messages.
  report jsonb,
  report_hash text,
  reason_code text,
  reason text,
  cameo_id uuid
);
create index cameo_enrollments_owner on cameo_enrollments (owner_id, created_at desc);
create index cameo_enrollments_sha on cameo_enrollments (recording_sha256);

create table cameos (
  id uuid primary key,
  owner_id uuid not null references accounts(id),
  handle text not null,
  enrollment_id uuid not null references cameo_enrollments(id),
  challenge_id text not null,
  report_hash text not null,
  status text not null default 'active' check (status in ('active', 'revoked')),
  visibility text not null default 'only_me' check (visibility in ('only_me', 'approved', 'mutuals', 'everyone')),
  paused boolean not null default false,
  rules text[] not null default '{}',
  -- Envelope encryption: the data key wrapped by the master key; deleting it on revocation makes
  -- every copy of the ciphertexts (backups included) useless. All four are null once revoked.
  wrapped_key bytea,
  face_template_enc bytea,
  voice_template_enc bytea,
  reference_image_enc bytea,
  -- The signed consent receipt (JWS, no biometric data): kept after revocation as proof consent existed.
  receipt text not null,
  consented_at timestamptz not null,
  revoked_at timestamptz,
  updated_at timestamptz not null default now(),
  constraint cameos_revoked_has_no_biometrics check (
    status = 'active' or (wrapped_key is null and face_template_enc is null and voice_template_enc is null and reference_image_enc is null)
  )
);
-- One active cameo per account.
create unique index cameos_one_active_per_owner on cameos (owner_id) where status = 'active';
create index cameos_handle on cameos (lower(handle));

create table cameo_approvals (
  cameo_id uuid not null references cameos(id),
  account_id uuid not null references accounts(id),
  -- Handles never change, so the owner's list is shown without reading the accounts table.
  account_handle text not null,
  created_at timestamptz not null default now(),
  primary key (cameo_id, account_id)
);

create table follows (
  follower_id uuid not null references accounts(id),
  followee_id uuid not null references accounts(id),
  created_at timestamptz not null default now(),
  primary key (follower_id, followee_id),
  constraint follows_not_self check (follower_id <> followee_id)
);
create index follows_followee on follows (followee_id);

-- A face that matched another account's active cameo at enrollment: refused, and left for an operator.
create table consent_reviews (
  id uuid primary key,
  kind text not null check (kind in ('duplicate_face')),
  enrollment_id uuid not null references cameo_enrollments(id),
  account_id uuid not null references accounts(id),
  matched_cameo_id uuid not null references cameos(id),
  distance double precision not null,
  status text not null default 'open' check (status in ('open', 'closed')),
  created_at timestamptz not null default now()
);
create index consent_reviews_open on consent_reviews (status, created_at);
