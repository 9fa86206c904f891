import { readAuthSettings } from '../../../config/auth';
import { ConfigError } from '../../../config/config-error';

describe('which bearer tokens the API accepts (config/auth.ts)', () => {
  const provider = { AUTH_JWKS_URL: 'https://id.shop.example/.well-known/jwks.json', AUTH_ISSUER: 'https://id.shop.example', AUTH_AUDIENCE: 'orders' };
  const settingOf = (env: NodeJS.ProcessEnv, deployed: boolean): string => {
    try {
      readAuthSettings(env, deployed);
    } catch (err) {
      if (err instanceof ConfigError) return err.setting;
      throw err;
    }
    throw new Error('expected a ConfigError');
  };

  it('takes development tokens in local development unless switched off, and never outside it', () => {
    expect(readAuthSettings({}, false)).toEqual({ devTokens: true });
    expect(readAuthSettings({ AUTH_DEV_TOKENS: 'off' }, false)).toEqual({ devTokens: false });
    expect(readAuthSettings(provider, true).devTokens).toBe(false);
    expect(settingOf({ ...provider, AUTH_DEV_TOKENS: 'on' }, true)).toBe('AUTH_DEV_TOKENS');
    expect(settingOf({ AUTH_DEV_TOKENS: 'maybe' }, false)).toBe('AUTH_DEV_TOKENS');
  });

  it('requires the identity provider outside development, over https, with its issuer and audience', () => {
    expect(settingOf({}, true)).toBe('AUTH_JWKS_URL');
    expect(settingOf({ ...provider, AUTH_JWKS_URL: 'http://id.shop.example/jwks.json' }, true)).toBe('AUTH_JWKS_URL');
    expect(settingOf({ ...provider, AUTH_JWKS_URL: 'not a url' }, false)).toBe('AUTH_JWKS_URL');
    expect(settingOf({ ...provider, AUTH_ISSUER: '' }, true)).toBe('AUTH_ISSUER');
    expect(settingOf({ ...provider, AUTH_AUDIENCE: ' ' }, true)).toBe('AUTH_AUDIENCE');
    expect(settingOf({ ...provider, AUTH_JWKS_COOLDOWN: '1ms' }, true)).toBe('AUTH_JWKS_COOLDOWN');
    expect(settingOf({ ...provider, AUTH_ROLE_CLAIM: 'my role' }, true)).toBe('AUTH_ROLE_CLAIM');
    expect(readAuthSettings({ ...provider, AUTH_JWKS_URL: 'http://127.0.0.1:8080/jwks.json' }, false).identityProvider?.jwksUrl).toBe('http://127.0.0.1:8080/jwks.json');
    expect(readAuthSettings({ ...provider, AUTH_ROLE_CLAIM: 'https://shop.example/role' }, true)).toEqual({
      devTokens: false,
      identityProvider: { ...{ jwksUrl: provider.AUTH_JWKS_URL, issuer: provider.AUTH_ISSUER, audience: provider.AUTH_AUDIENCE }, roleClaim: 'https://shop.example/role', subjectClaim: 'sub', jwksCacheMaxAgeMs: 600_000, jwksCooldownMs: 30_000, jwksTimeoutMs: 5_000 },
    });
  });
});
