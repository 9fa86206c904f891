import { Order, OrderItem, OrderLog } from '../../../db/entities';
import { OrderStatus } from '../../../domain';
import { anyObject, arrayOf, dateTime, entitySchema, integer, nullable, object, oneOf, string, named } from '../common/answer-schemas';

/** The answers of the order routes, in OpenAPI (common/answer-schemas.ts). */

export const ORDER_ROW = named('Order', entitySchema(Order, {}, 'An order row (amounts in fen)'));

export const ORDER_DETAIL = named('OrderDetail', object({
  order: ORDER_ROW,
  items: arrayOf(entitySchema(OrderItem), 'the order lines; their ids are what after-sales name'),
  outStatus: arrayOf(object({ outType: string(), outStatus: oneOf(['WAIT', 'SUCCESS', 'FAIL']), reason: nullable(string()), updatedAt: dateTime() }), 'whether the stock was taken, per kind'),
  log: arrayOf(entitySchema(OrderLog), 'every step, oldest first; actorId `key:{id}` is a seller API key'),
  afterSales: arrayOf(object({ serviceSn: string(), serviceType: string(), status: string(), requestedFen: integer(), agreedFen: nullable(integer()), refundedFen: integer(), linkedOrderSn: nullable(string()), createdAt: dateTime(), workflowId: string(), temporalUiUrl: string() })),
  refunds: arrayOf(object({ refundSn: string(), causeKey: string(), status: string(), refundFen: integer(), provider: string(), createdAt: dateTime(), workflowId: string(), temporalUiUrl: string() })),
  workflow: object({ workflowId: string(), temporalUiUrl: string(), state: anyObject('the order workflow\'s live state, or `{ unavailable }` when Temporal does not answer in time') }),
}));

/** What an order step (ship, receive, cash collected, complete) answers: the status the order workflow moved it to. */
export const ORDER_STEP = named('OrderStepDone', object({ orderSn: string(), status: oneOf(Object.values(OrderStatus)) }));
