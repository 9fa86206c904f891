import { CancellationStatus } from '../../../domain';
import { anyObject, arrayOf, boolean, dateTime, integer, nullable, object, oneOf, string, named } from '../common/answer-schemas';

/** The answers of the cancellation routes, in OpenAPI (common/answer-schemas.ts). */

const STATUS = oneOf(Object.values(CancellationStatus));

/** 202: recorded and handed to cancel-{orderSn}; follow it with GET …/cancellations/{cancellationId}. */
export const CANCELLATION_ACCEPTED = named('CancellationAccepted', object(
  {
    cancellationId: integer(),
    orderSn: string(),
    status: STATUS,
    refunding: boolean('whether a refund follows (the order was paid), as the row says now'),
    orderWorkflowId: string(),
    cancellationWorkflowId: string('cancel-{orderSn}'),
    cancellationRunId: string('this request\'s run of cancel-{orderSn}'),
    temporalUiUrl: string(),
    orderTemporalUiUrl: string(),
  },
  { optional: ['cancellationRunId'] },
));

/** A cancellation request and how far it got. */
const CANCELLATION_FIELDS = object(
  {
    cancellationId: integer(),
    orderSn: string(),
    status: STATUS,
    reason: string(),
    requestedBy: object({ role: string(), id: nullable(string('a person\'s id, or key:{id} for a seller API key')) }),
    createdAt: dateTime(),
    refusal: object({ code: string('the catalogue code the order refused with'), reason: nullable(string()) }),
    cancellationWorkflowId: string(),
    temporalUiUrl: string(),
    progress: anyObject('the cancellation workflow\'s steps (its progress query), or `{ unavailable }`'),
    refunds: arrayOf(object({ refundSn: string(), status: string(), refundFen: integer(), provider: string(), workflowId: string() })),
  },
  { optional: ['refusal'] },
);
export const CANCELLATION = named('Cancellation', CANCELLATION_FIELDS);

/** 200 to a cancel of an order already cancelled: that cancellation. */
export const ALREADY_CANCELLED = named('AlreadyCancelled', { ...CANCELLATION_FIELDS, required: ['alreadyCancelled', 'orderSn', 'status'], properties: { alreadyCancelled: boolean(), ...CANCELLATION_FIELDS.properties } });
