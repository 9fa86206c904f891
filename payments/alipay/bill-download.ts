/**
 * Downloading the day's Alipay trade bill once the signed downloadurl answer has named it: the zip is
 * streamed to a temporary file (its entry sizes live in the central directory at the end) while its
 * SHA-1 is taken, then the detail CSV is streamed out of it row by row. The temporary file is gone
 * once the rows are read, or at once if the download fails.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { BillIntegrityError, BillRow, BillTotals, TradeBill, emptyTotals } from '../bills';
import { ProviderError } from '../provider';
import { listZipEntries, openZipEntry } from '../zip-reader';
import { ALIPAY_DETAIL_SUFFIX, parseAlipayTradeBill } from './trade-bill';

/** A bill of a million rows takes a while to download; it gets its own, longer limit. */
const BILL_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

export async function downloadAlipayTradeBill(billDate: string, billDownloadUrl: string): Promise<TradeBill> {
  const dir = await mkdtemp(join(tmpdir(), 'alipay-bill-'));
  const zipPath = join(dir, 'bill.zip');
  const digest = createHash('sha1');
  try {
    const download = await fetch(billDownloadUrl, { signal: AbortSignal.timeout(BILL_DOWNLOAD_TIMEOUT_MS) });
    if (!download.ok || !download.body) throw new ProviderError({ provider: 'alipay', errorClass: 'retryable', code: `HTTP_${download.status}`, message: `bill download: HTTP ${download.status}`, httpStatus: download.status });
    const hashing = new Transform({ transform: (chunk: Buffer, _enc, done) => (digest.update(chunk), done(null, chunk)) });
    await pipeline(Readable.fromWeb(download.body as unknown as WebReadableStream<Uint8Array>), hashing, createWriteStream(zipPath));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    if (err instanceof ProviderError) throw err;
    throw new ProviderError({ provider: 'alipay', errorClass: 'retryable', code: 'NETWORK_ERROR', message: `bill download: ${(err as Error).message}`, cause: err });
  }
  const totals = emptyTotals();
  return { provider: 'alipay', billDate, totals, digest: digest.digest('hex'), rows: readDetailRows(dir, zipPath, totals) };
}

async function* readDetailRows(dir: string, zipPath: string, totals: BillTotals): AsyncGenerator<BillRow> {
  try {
    let entries;
    try {
      entries = await listZipEntries(zipPath);
    } catch (err) {
      throw new BillIntegrityError('alipay', (err as Error).message);
    }
    const detail = entries.find((e) => e.name.endsWith(ALIPAY_DETAIL_SUFFIX));
    if (!detail) throw new BillIntegrityError('alipay', `zip has no *${ALIPAY_DETAIL_SUFFIX} (entries: ${entries.map((e) => e.name).join(', ')})`);
    yield* parseAlipayTradeBill(await openZipEntry(zipPath, detail), totals);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
