/**
 * A configuration problem that names the setting at fault, so start-up can print one clear line
 * ("DATABASE_URL: ...") instead of a stack trace.
 */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super(`${setting}: ${problem}`);
    this.name = 'ConfigError';
  }
}
