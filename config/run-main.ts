import { ConfigError } from './config-error';

/**
 * Runs a process entry point. A ConfigError prints as one line naming the setting and exits 2;
 * anything else is a bug and keeps its stack.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  });
}
