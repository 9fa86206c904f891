import type { DataSource, EntityManager } from 'typeorm';

/** Deadlock / lock wait timeout: the transaction was rolled back as a whole and can simply run again. */
const RETRYABLE_LOCK_ERRORS = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/**
 * Runs `work` in one transaction, again (up to five times in all) when MySQL rolled it back for a lock,
 * or for another error `alsoRetry` names as "the whole transaction can simply run again".
 */
export async function transactionWithLockRetry<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>, alsoRetry?: (err: unknown) => boolean): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await dataSource.transaction(work);
    } catch (err) {
      const retryable = RETRYABLE_LOCK_ERRORS.has((err as { code?: string }).code ?? '') || (alsoRetry?.(err) ?? false);
      if (attempt >= 5 || !retryable) throw err;
    }
  }
}
