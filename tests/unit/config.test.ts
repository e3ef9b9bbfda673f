import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { AppError } from '../../src/errors.ts';

describe('loadConfig', () => {
  it('runs on the embedded default with no variables set', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeNull();
    expect(config.redisUrl).toBeNull();
    expect(config.smtpUrl).toBeNull();
    expect(config.timezone).toBe('Europe/London');
    expect(config.publicBaseUrl).toBe('http://localhost:3000');
    expect(config.port).toBe(3000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads servers when they are configured', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@db:5432/hub',
      REDIS_URL: 'redis://cache:6379',
      SMTP_URL: 'smtp://mail:25',
      PUBLIC_BASE_URL: 'https://earlyhelp.example.gov.uk/',
      HUB_TIMEZONE: 'Europe/Belfast',
      PORT: '8080',
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://u@db:5432/hub',
      redisUrl: 'redis://cache:6379',
      smtpUrl: 'smtp://mail:25',
      publicBaseUrl: 'https://earlyhelp.example.gov.uk',
      timezone: 'Europe/Belfast',
      port: 8080,
    });
  });

  it('names every bad variable and says what is wrong', () => {
    let error: unknown;
    try {
      loadConfig({
        DATABASE_URL: 'mysql://x',
        REDIS_URL: 'not a url',
        HUB_TIMEZONE: 'Mars/Olympus',
        PORT: '99999',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.code).toBe('invalid-config');
    expect(appError.issues.map((i) => i.field).sort()).toEqual([
      'DATABASE_URL',
      'HUB_TIMEZONE',
      'PORT',
      'REDIS_URL',
    ]);
    expect(appError.message).toContain('DATABASE_URL must start with postgres:// or postgresql://');
    expect(appError.message).toContain('REDIS_URL is not a valid URL');
    expect(appError.message).toContain('HUB_TIMEZONE is not a known IANA time zone');
  });

  it('reads which proxies to trust and how much memory the page cache may use', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({}).pageCacheBytes).toBe(64 * 1024 * 1024);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,::1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      '::1',
    ]);
    expect(loadConfig({ PAGE_CACHE_MB: '0' }).pageCacheBytes).toBe(0);
    for (const [name, value, message] of [
      ['TRUST_PROXY', 'loadbalancer', '"loadbalancer" is none of these'],
      ['TRUST_PROXY', '10.0.0.0/33', '"10.0.0.0/33" is none of these'],
      ['PAGE_CACHE_MB', '-1', 'PAGE_CACHE_MB'],
    ] as const) {
      let error: unknown;
      try {
        loadConfig({ [name]: value });
      } catch (e) {
        error = e;
      }
      expect((error as AppError).issues.map((i) => i.field)).toEqual([name]);
      expect((error as AppError).message).toContain(message);
    }
  });

  it('refuses to start in production without a strong session secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET/);
    expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32) }).production).toBe(true);
  });
});
