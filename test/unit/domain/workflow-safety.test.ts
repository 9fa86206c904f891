import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';

/**
 * domain/ is bundled into Temporal workflow code, which must be deterministic and cannot resolve
 * packages or path aliases there. These checks keep that true as the folder grows.
 */
const domainDir = join(__dirname, '../../../domain');
const files = readdirSync(domainDir).filter((f) => f.endsWith('.ts'));

describe('domain/ stays safe to import from workflow code', () => {
  it('has files to check', () => {
    expect(files).toEqual(expect.arrayContaining(['enums.ts', 'index.ts', 'money.ts', 'order-flow.ts', 'order-settings.ts']));
  });

  it.each(files)('%s imports only relative domain files', (file) => {
    const source = readFileSync(join(domainDir, file), 'utf8');
    const specifiers = [...source.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
    for (const specifier of specifiers) expect(specifier).toMatch(/^\.\/[a-z0-9-]+$/);
  });

  it.each(files)('%s uses no clock, randomness, process or I/O', (file) => {
    const code = readFileSync(join(domainDir, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '');
    for (const forbidden of [/\bDate\b/, /Math\.random/, /\bprocess\./, /\brequire\(/, /\bsetTimeout\b/, /\bsetInterval\b/, /\bperformance\./, /\bcrypto\b/]) {
      expect(code).not.toMatch(forbidden);
    }
  });
});
