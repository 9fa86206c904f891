import { SupportPageController } from './support-page.controller';
import { SupportTimelineController } from './support-timeline.controller';
import { SupportTimelineService } from './support-timeline.service';

/** Support's timeline, work queue and page, registered by app.module.ts in one line each. */
export const SUPPORT_CONTROLLERS = [SupportTimelineController, SupportPageController];
export const SUPPORT_PROVIDERS = [SupportTimelineService];
