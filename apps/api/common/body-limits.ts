import { ErrorCode } from '../../../domain/error-codes';
import { ProblemRequest, ProblemResponse, sendProblem } from './problem-details';

/** The few Express request members used here (the project carries no @types/express). */
interface Request extends ProblemRequest {
  body?: unknown;
}
type Response = ProblemResponse;
type NextFunction = (err?: unknown) => void;

/** No route takes JSON nested deeper than this (the delivery address, the deepest, needs 3). */
export const MAX_BODY_DEPTH = 16;
/** JSON and form bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = '64kb';

/**
 * How deep a parsed body nests, counted without recursion (a 1,600-level array must not overflow the
 * stack here, nor reach the validation pipe, whose recursion it would overflow). Stops counting past
 * `limit`.
 */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    if (deepest > limit) return deepest;
    for (const child of Object.values(node as Record<string, unknown>)) stack.push([child, level]);
  }
  return deepest;
}

/** Refused before Nest sees the request, so answered here, in the same problem document as the exception filter's. */
function refuse(req: Request, res: Response, status: number, message: string): void {
  sendProblem(req, res, { code: status === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.VALIDATION_FAILED, detail: message });
}

/** Express middleware, after the body parsers and before Nest's pipes: caps nesting depth. */
export function bodyDepthLimit(req: Request, res: Response, next: NextFunction): void {
  if (req.body !== undefined && nestingDepth(req.body, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
    return refuse(req, res, 400, `request body nests deeper than ${MAX_BODY_DEPTH} levels`);
  }
  next();
}

/** The body parsers' own refusals (too large, not JSON, bad charset) as JSON 4xx without a stack trace. */
export function bodyParserErrors(err: unknown, req: Request, res: Response, next: NextFunction): void {
  const status = (err as { status?: unknown }).status;
  const type = (err as { type?: unknown }).type;
  if (typeof status !== 'number' || status < 400 || status > 499 || typeof type !== 'string') return next(err);
  const message = status === 413 ? `request body is larger than ${MAX_BODY_BYTES}` : type === 'entity.parse.failed' ? 'request body is not valid JSON' : `request body refused (${type})`;
  refuse(req, res, status, message);
}
