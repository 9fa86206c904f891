/**
 * The dashboards of deploy/grafana/dashboards are what scripts/grafana-dashboards.ts writes (`npm run
 * dashboards`), and hold together as Grafana dashboards: unique uids and panel ids, panels inside the
 * 24-column grid, every query on the datasource variable. Whether their queries name series that exist is
 * test/integration/prometheus.test.ts's part.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderDashboards } from '../../scripts/grafana-dashboards';

const deploy = join(__dirname, '..', '..', 'deploy', 'grafana');
const dashboardsDir = join(deploy, 'dashboards');

describe('Grafana dashboards', () => {
  const rendered = renderDashboards();

  it('are the generator output (edit scripts/grafana-dashboards.ts, then npm run dashboards)', () => {
    expect(readdirSync(dashboardsDir).filter((f) => f.endsWith('.json')).sort()).toEqual(Object.keys(rendered).sort());
    for (const [file, text] of Object.entries(rendered)) expect({ file, text: readFileSync(join(dashboardsDir, file), 'utf8') }).toEqual({ file, text });
  });

  it('have unique uids, unique panel ids, panels within the grid and every query on the datasource variable', () => {
    const uids = new Set<string>();
    for (const text of Object.values(rendered)) {
      const dashboard = JSON.parse(text);
      expect(uids.has(dashboard.uid)).toBe(false);
      uids.add(dashboard.uid);
      expect(dashboard.templating.list[0]).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus' });
      const ids = dashboard.panels.map((p: { id: number }) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const panel of dashboard.panels) {
        expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
        if (panel.type === 'row') continue;
        expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(panel.targets.length).toBeGreaterThan(0);
        for (const target of panel.targets) {
          expect(target.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
          expect(target.expr).toEqual(expect.any(String));
        }
      }
    }
  });

  it('are provisioned from the directory the provider names, on the provisioned Prometheus', () => {
    const provider = parse(readFileSync(join(deploy, 'provisioning', 'dashboards', 'orders.yml'), 'utf8'));
    expect(provider.providers).toEqual([expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: '/var/lib/grafana/dashboards/orders' }) })]);
    const datasources = parse(readFileSync(join(deploy, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'));
    expect(datasources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true })]);
  });
});
