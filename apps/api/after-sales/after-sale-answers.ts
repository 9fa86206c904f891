import { anyObject, arrayOf, dateTime, integer, nullable, object, oneOf, string, named } from '../common/answer-schemas';

/** The answers of the after-sale routes, in OpenAPI (common/answer-schemas.ts). */

/** One after-sale as AfterSalesService.describe shows it; `workflow` (the live state) only on single reads and steps. */
export const AFTER_SALE = named('AfterSale', object(
  {
    serviceSn: string(),
    orderSn: string(),
    serviceType: string(),
    status: string(),
    opening: oneOf(['PENDING', 'ACCEPTED', 'REFUSED'], 'whether the order took the after-sale on'),
    reason: string(),
    description: nullable(string()),
    requestedFen: integer(),
    agreedFen: nullable(integer()),
    refundedFen: integer(),
    refuseReason: nullable(string()),
    closedReason: nullable(string()),
    returnShipment: nullable(object({ carrier: string(), trackingNo: string() })),
    linkedOrderSn: nullable(string('an exchange or re-ship: the replacement order')),
    deadline: nullable(object({ action: string(), at: dateTime() })),
    createdAt: dateTime(),
    lines: arrayOf(object({ orderItemId: integer(), skuId: integer(), name: string(), num: integer(), amountFen: integer(), goodNum: nullable(integer()), damagedNum: nullable(integer()) })),
    log: arrayOf(object({ seq: integer(), action: string(), from: nullable(string()), to: nullable(string()), actor: string(), actorId: nullable(string()), message: string(), at: dateTime() })),
    refunds: arrayOf(object({ refundSn: string(), status: string(), refundFen: integer(), provider: string(), workflowId: string(), temporalUiUrl: string() })),
    workflowId: string(),
    temporalUiUrl: string(),
    workflow: anyObject('the after-sale workflow\'s live state, or `{ unavailable }`'),
  },
  { optional: ['workflow'] },
));
