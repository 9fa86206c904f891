import { CommentStatus, ReviewKind, lineCommentStatus, reviewRefusal } from '../../../domain';

describe('review rules', () => {
  it('derive a line’s comment status from its reviews', () => {
    expect(lineCommentStatus([])).toBe(CommentStatus.UNFINISHED);
    expect(lineCommentStatus([{ kind: ReviewKind.INITIAL, automatic: false }])).toBe(CommentStatus.WAIT_CHASE);
    expect(lineCommentStatus([{ kind: ReviewKind.INITIAL, automatic: false }, { kind: ReviewKind.FOLLOW_UP, automatic: false }])).toBe(CommentStatus.FINISHED);
    // The automatic positive review closes the line: there is nothing of the buyer's to follow up.
    expect(lineCommentStatus([{ kind: ReviewKind.INITIAL, automatic: true }])).toBe(CommentStatus.FINISHED);
  });

  const open = { windowClosed: false };

  it('allow one review while the window is open, then one follow-up, then nothing', () => {
    expect(reviewRefusal({ ...open, kind: ReviewKind.INITIAL, lineStatus: CommentStatus.UNFINISHED })).toBeUndefined();
    expect(reviewRefusal({ ...open, kind: ReviewKind.INITIAL, lineStatus: CommentStatus.WAIT_CHASE })).toMatch(/already reviewed; only one follow-up/);
    expect(reviewRefusal({ ...open, kind: ReviewKind.FOLLOW_UP, lineStatus: CommentStatus.UNFINISHED })).toMatch(/review the line before following up/);
    expect(reviewRefusal({ ...open, kind: ReviewKind.FOLLOW_UP, lineStatus: CommentStatus.WAIT_CHASE })).toBeUndefined();
    expect(reviewRefusal({ ...open, kind: ReviewKind.FOLLOW_UP, lineStatus: CommentStatus.FINISHED })).toMatch(/already has its follow-up/);
    expect(reviewRefusal({ ...open, kind: ReviewKind.INITIAL, lineStatus: CommentStatus.FINISHED })).toMatch(/already reviewed and followed up/);
  });

  it('close the first review with the window, but not the follow-up of a review already written', () => {
    expect(reviewRefusal({ windowClosed: true, kind: ReviewKind.INITIAL, lineStatus: CommentStatus.UNFINISHED })).toMatch(/review window .* has closed/);
    expect(reviewRefusal({ windowClosed: true, kind: ReviewKind.FOLLOW_UP, lineStatus: CommentStatus.WAIT_CHASE })).toBeUndefined();
  });

  it('put the order table’s refusal first (not received yet)', () => {
    expect(reviewRefusal({ ...open, kind: ReviewKind.INITIAL, lineStatus: CommentStatus.UNFINISHED, orderRefusal: 'order is SHIPPED' })).toBe('order is SHIPPED');
  });
});
