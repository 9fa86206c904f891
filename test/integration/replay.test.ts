import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { temporalDataConverter } from '../../apps/shared/temporal';
import { readPayloadEncryption } from '../../config/payload-encryption';
import { WORKFLOW_LOG_CONTEXT } from '../../apps/worker/workflow-bundle';

/**
 * Replays every recorded history (test/fixtures/histories) against the current workflow code: a change
 * that would break running workflows (non-determinism) fails here. Record new fixtures with
 * RECORD_HISTORIES=1 npm test. Histories recorded before the payload codec hold plain JSON payloads,
 * later ones payloads encrypted with the tests' (published development) key: the codec decrypts those
 * and passes the others through, so both kinds replay.
 */
describe('workflow replay over recorded histories', () => {
  const dir = join(__dirname, '..', 'fixtures', 'histories');
  const files = readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  // The run's bundle of the current workflow sources (global setup), else the sources themselves with
  // the interceptor module every bundle has (it decides when an Update's handler runs).
  const workflowCode = process.env.TEST_WORKFLOW_BUNDLE
    ? { workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE } }
    : { workflowsPath: require.resolve('../../workflows'), interceptors: { workflowModules: [WORKFLOW_LOG_CONTEXT] } };

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('replays %s deterministically', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    await expect(
      Worker.runReplayHistory({ ...workflowCode, replayName: file, dataConverter: temporalDataConverter(readPayloadEncryption(process.env)) }, history, file.replace(/\.json$/, '')),
    ).resolves.toBeUndefined();
  });
});
