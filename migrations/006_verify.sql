-- Per-client request counters for the public verification endpoint, in fixed one-minute windows.
-- Kept in the database so that every API instance behind a load balancer shares them.
create table verify_rate_windows (
  client_key text not null,
  window_start timestamptz not null,
  hits integer not null,
  primary key (client_key, window_start)
);
create index verify_rate_windows_start on verify_rate_windows (window_start);
