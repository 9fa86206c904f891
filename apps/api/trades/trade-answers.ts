import { PaymentType } from '../../../domain';
import { anyObject, arrayOf, dateTime, integer, object, oneOf, string, named } from '../common/answer-schemas';

/** The answers of checkout (POST /trades, POST /checkout) and group buys, in OpenAPI (common/answer-schemas.ts). */

export const TRADE_CREATED = named('TradeCreated', object({
  tradeSn: string(),
  paymentType: oneOf(Object.values(PaymentType)),
  totalFen: integer(),
  orders: arrayOf(
    object({ orderSn: string(), sellerId: integer(), orderFen: integer(), workflowId: string(), temporalUiUrl: string(), groupId: string('a group-buy order: its group') }, { optional: ['groupId'] }),
    'one order (and order workflow) per seller',
  ),
}));

export const GROUP_BUY = object(
  {
    groupId: string(),
    skuId: integer(),
    size: integer('members needed'),
    status: string(),
    deadlineAt: dateTime(),
    createdAt: dateTime(),
    members: arrayOf(object({ orderSn: string(), orderStatus: string(), payStatus: string() })),
    workflow: object({ workflowId: string(), temporalUiUrl: string(), state: anyObject('the group workflow\'s live state, or `{ unavailable }`') }),
  },
  { open: true },
);
