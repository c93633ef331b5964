import { ConfigError, loadConfig } from '../../../src/config/config';

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8080);
    expect(c.DATA_DIR).toBe('./.data');
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
  });

  it('stops on an unknown CONSENTRY_ setting and names it', () => {
    expect(() => loadConfig({ CONSENTRY_JWT_SECRT: 'x' })).toThrow(ConfigError);
    expect(() => loadConfig({ CONSENTRY_JWT_SECRT: 'x' })).toThrow(/CONSENTRY_JWT_SECRT/);
  });

  it('stops on an invalid value with a sentence naming the setting', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/Setting PORT is invalid/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ CONSENTRY_MASTER_KEY: 'abcd' })).toThrow(
      /CONSENTRY_MASTER_KEY is invalid: must be 64 hexadecimal/,
    );
  });

  it('ignores unrelated environment variables', () => {
    expect(() => loadConfig({ HOME: '/root', PATH: '/bin', npm_config_x: '1' })).not.toThrow();
  });
});
