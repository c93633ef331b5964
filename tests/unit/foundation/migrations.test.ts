import { listMigrations, splitStatements } from '../../../src/db/migrate';

describe('migrations', () => {
  it('are numbered plain SQL files with unique numbers', () => {
    const m = listMigrations();
    expect(m[0].name).toMatch(/^001_/);
    expect(new Set(m.map((x) => x.version)).size).toBe(m.length);
  });

  it('split on semicolons outside quotes, comments and dollar-quoted bodies', () => {
    const parts = splitStatements(`-- a; comment
      create table a (x text default 'a;b');
      create function f() returns trigger as $$ begin raise exception 'x;y'; end; $$ language plpgsql;
      select 1`);
    expect(parts).toHaveLength(3);
    expect(parts[1]).toContain("raise exception 'x;y'; end; $$");
  });
});
