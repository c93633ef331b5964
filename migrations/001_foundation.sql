-- Accounts, roles and the hash-chained audit log.
create table accounts (
  id uuid primary key,
  handle text not null,
  display_name text not null,
  password_hash text not null,
  roles text[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint accounts_roles_known check (roles <@ array['creator', 'cameo_owner', 'rightsholder', 'operator']::text[])
);
create unique index accounts_handle_unique on accounts (lower(handle));

create table audit_log (
  id bigserial primary key,
  at timestamptz not null,
  actor_id uuid,
  action text not null,
  subject_type text,
  subject_id text,
  details jsonb not null default '{}'::jsonb,
  prev_hash text not null,
  hash text not null
);
create index audit_log_subject on audit_log (subject_type, subject_id);

-- Append-only: the service never updates or deletes audit rows; the hash chain reveals anyone who does.
create function audit_log_append_only() returns trigger as $$
begin
  raise exception 'audit_log is append-only';
end;
$$ language plpgsql;
create trigger audit_log_no_update before update or delete on audit_log
  for each row execute function audit_log_append_only();
