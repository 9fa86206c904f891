import { DifferenceKind, DifferenceStatus } from '../../../domain';
import { arrayOf, dateTime, integer, nullable, object, oneOf, string } from '../common/answer-schemas';

/** The answers of the reconciliation routes, in OpenAPI (common/answer-schemas.ts). */

const PROVIDER = oneOf(['wechatpay', 'alipay']);

export const RECONCILIATION_RUN = object({
  id: integer(),
  provider: PROVIDER,
  billDate: string('yyyy-MM-dd'),
  status: string(),
  workflowId: string(),
  runCount: integer(),
  billPayments: integer(),
  billPaymentFen: integer(),
  billRefunds: integer(),
  billRefundFen: integer(),
  matched: integer(),
  matchedFen: integer(),
  differences: integer(),
  openDifferences: integer(),
  startedAt: dateTime(),
  finishedAt: nullable(dateTime()),
  temporalUiUrl: string(),
});

export const RECONCILIATION_STARTED = object({ workflowId: string(), runId: string(), temporalUiUrl: string() });

export const DIFFERENCE = object({
  id: integer(),
  provider: PROVIDER,
  billDate: string('yyyy-MM-dd'),
  kind: oneOf(Object.values(DifferenceKind)),
  outTradeNo: nullable(string()),
  outRefundNo: nullable(string()),
  transactionId: nullable(string()),
  orderSn: nullable(string()),
  providerFen: nullable(integer()),
  ourFen: nullable(integer()),
  detail: string(),
  status: oneOf(Object.values(DifferenceStatus)),
  autoFix: nullable(string()),
  resolutionNote: nullable(string()),
  resolvedBy: nullable(string()),
  resolvedAt: nullable(dateTime()),
  createdAt: dateTime(),
});

/** One difference with its case log (oldest first). */
export const DIFFERENCE_CASE = { ...DIFFERENCE, required: [...(DIFFERENCE.required ?? []), 'caseLog'], properties: { ...DIFFERENCE.properties, caseLog: arrayOf(object({ action: string(), actor: nullable(string()), note: nullable(string()), at: dateTime() })) } };
