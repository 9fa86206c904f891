import { ConfigError } from '../../../config/config-error';
import { readAppConfig } from '../../../config/app-config';
import { readSupportQueueSettings } from '../../../config/support-queue';

describe('support work queue settings', () => {
  it('has a service level per kind by default and checks every 15 minutes', () => {
    expect(readAppConfig({}).supportQueue).toEqual({
      serviceLevelsMs: { PARKED_REFUND: 8 * 3_600_000, MANUAL_AFTER_SALE: 24 * 3_600_000, COMPLAINT_ARBITRATION: 48 * 3_600_000, RECONCILIATION_CASE: 72 * 3_600_000, LATE_PAYMENT: 8 * 3_600_000 },
      checkIntervalMs: 15 * 60_000,
    });
  });

  it('takes each kind from SUPPORT_SLA_{KIND} and the interval from SUPPORT_OVERDUE_CHECK_INTERVAL', () => {
    const settings = readSupportQueueSettings({ SUPPORT_SLA_PARKED_REFUND: '2h', SUPPORT_SLA_LATE_PAYMENT: '30m', SUPPORT_OVERDUE_CHECK_INTERVAL: '5m' });
    expect(settings.serviceLevelsMs.PARKED_REFUND).toBe(2 * 3_600_000);
    expect(settings.serviceLevelsMs.LATE_PAYMENT).toBe(30 * 60_000);
    expect(settings.serviceLevelsMs.COMPLAINT_ARBITRATION).toBe(48 * 3_600_000);
    expect(settings.checkIntervalMs).toBe(5 * 60_000);
  });

  it.each([
    ['SUPPORT_SLA_PARKED_REFUND', 'soon', /not a duration/],
    ['SUPPORT_SLA_MANUAL_AFTER_SALE', '0s', /longer than zero/],
    ['SUPPORT_SLA_COMPLAINT_ARBITRATION', '500ms', /between 1 s/],
    ['SUPPORT_SLA_RECONCILIATION_CASE', '400d', /between 1 s and 525600 min/],
    ['SUPPORT_OVERDUE_CHECK_INTERVAL', '2d', /between 1 s and 1440 min/],
  ])('refuses %s=%s with a ConfigError naming it', (name, value, problem) => {
    let error: unknown;
    try {
      readAppConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).toMatch(problem);
  });
});
