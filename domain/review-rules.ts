import { CommentStatus } from './enums';

/**
 * Buyer reviews per order line (javashop's comment flow): one review within comment_order_day, one
 * follow-up later (UNFINISHED → WAIT_CHASE → FINISHED), and the automatic positive review for lines
 * left unreviewed when the window closes. Pure: used by the API and the window-closing activity.
 */
export const ReviewGrade = { GOOD: 'GOOD', NEUTRAL: 'NEUTRAL', BAD: 'BAD' } as const;
export type ReviewGrade = (typeof ReviewGrade)[keyof typeof ReviewGrade];

export const ReviewKind = { INITIAL: 'INITIAL', FOLLOW_UP: 'FOLLOW_UP' } as const;
export type ReviewKind = (typeof ReviewKind)[keyof typeof ReviewKind];

/** What the window's timer writes for a line nobody reviewed (javashop autoGoodComments). */
export const AUTOMATIC_REVIEW = { grade: ReviewGrade.GOOD, content: 'Automatic positive review: the buyer did not review within the review period.' } as const;

/** A line's review status from its review rows: an automatic review cannot be followed up. */
export function lineCommentStatus(reviews: readonly { kind: ReviewKind; automatic: boolean }[]): CommentStatus {
  const initial = reviews.find((r) => r.kind === ReviewKind.INITIAL);
  if (!initial) return CommentStatus.UNFINISHED;
  if (initial.automatic || reviews.some((r) => r.kind === ReviewKind.FOLLOW_UP)) return CommentStatus.FINISHED;
  return CommentStatus.WAIT_CHASE;
}

export interface ReviewContext {
  kind: ReviewKind;
  lineStatus: CommentStatus;
  /** Why the order table refuses COMMENT in the order's status (not received yet…), if it does. */
  orderRefusal?: string;
  /** orders.comment_status FINISHED: the order workflow closed the review window. */
  windowClosed: boolean;
}

/**
 * Why this review may not be written, or undefined. The first review needs the order's COMMENT
 * operation and an open window; the follow-up only needs a first review by the buyer (it is the
 * "later" review, so it may come after the window closed).
 */
export function reviewRefusal(context: ReviewContext): string | undefined {
  if (context.orderRefusal) return context.orderRefusal;
  if (context.kind === ReviewKind.INITIAL) {
    if (context.lineStatus !== CommentStatus.UNFINISHED) {
      return context.lineStatus === CommentStatus.WAIT_CHASE ? 'this line is already reviewed; only one follow-up review is possible' : 'this line is already reviewed and followed up';
    }
    if (context.windowClosed) return 'the review window of this order has closed (comment_order_day)';
    return undefined;
  }
  if (context.lineStatus === CommentStatus.UNFINISHED) return 'review the line before following up';
  if (context.lineStatus === CommentStatus.FINISHED) return 'this line already has its follow-up review (or was reviewed automatically)';
  return undefined;
}
