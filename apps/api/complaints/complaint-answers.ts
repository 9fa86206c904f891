import { Complaint } from '../../../db/entities';
import { anyObject, arrayOf, dateTime, entitySchema, integer, object, string, named } from '../common/answer-schemas';

/** The answers of the complaint routes, in OpenAPI (common/answer-schemas.ts). */

export const COMPLAINT_ROW = named('ComplaintRow', entitySchema(Complaint, { workflowId: string(), temporalUiUrl: string() }, 'A complaint row with its workflow'));

/** One complaint: its row, dialogue, what an arbitration can still refund, the line's complaint status and the live workflow. */
export const COMPLAINT = named('Complaint', entitySchema(Complaint, {
  messages: arrayOf(object({ id: integer(), role: string(), ownerId: string(), content: string(), createdAt: dateTime() })),
  refundableFen: integer('what an arbitration can still refund on the line'),
  lineComplainStatus: string(),
  workflowId: string(),
  temporalUiUrl: string(),
  workflow: anyObject('the complaint workflow\'s live state, or `{ unavailable }`'),
}));
