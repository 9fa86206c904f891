/** The body of a 409 refusal: Nest's shape, plus the refusal's stable code where it has one (RefundRefusal…). */
export function conflictBody(message: string, code?: string): { statusCode: 409; error: 'Conflict'; code?: string; message: string } {
  return { statusCode: 409, error: 'Conflict', ...(code ? { code } : {}), message };
}
