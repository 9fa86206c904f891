/**
 * The project runs on Node 24 LTS: npm test (scripts/test.sh, .ci/run) puts the .nvmrc version first on
 * PATH (scripts/use-node.sh), so this test fails if the tests ever run on the machine's older Node again,
 * or if the pins in .nvmrc, package.json, the lock file and the Dockerfile drift apart.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const pinned = read('.nvmrc').trim();
const major = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1]);

describe('Node runtime', () => {
  it('.nvmrc pins one exact Node 24 version', () => {
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
  });

  it('runs this test process on Node 24', () => {
    expect(major(process.versions.node)).toBe(24);
  });

  it('has Node 24 first on PATH, for everything the scripts start as plain `node`', () => {
    const onPath = execFileSync('node', ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    expect(major(onPath)).toBe(24);
    expect(onPath).toBe(process.versions.node);
  });

  it('says the same version in package.json (engines, devEngines), the lock file and the Dockerfile', () => {
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.engines.node).toBe(`^${pinned}`);
    expect(pkg.devEngines.runtime).toMatchObject({ name: 'node', version: `^${pinned}` });
    expect(JSON.parse(read('package-lock.json')).packages[''].engines.node).toBe(`^${pinned}`);
    expect(major(pkg.devDependencies['@types/node'].replace(/^[\^~]/, ''))).toBe(24);
    expect(read('Dockerfile')).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${pinned.replace(/\./g, '\\.')}-bookworm-slim$`, 'm'));
  });

  it('pins the sha512 of the Node build scripts/use-node.sh fetches, for each platform it fetches for', () => {
    const script = read('scripts/use-node.sh');
    const integrities = [...script.matchAll(/integrity='(sha512-[A-Za-z0-9+/]{86}==)'/g)].map((m) => m[1]);
    expect(integrities).toHaveLength(2); // linux-x64, linux-arm64
    expect(new Set(integrities).size).toBe(2);
  });
});
