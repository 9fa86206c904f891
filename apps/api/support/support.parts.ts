import { SupportPageController } from './support-page.controller';
import { ProviderGatesController } from './provider-gates.controller';
import { SupportTimelineController } from './support-timeline.controller';
import { SupportTimelineService } from './support-timeline.service';

/** Support's timeline, work queue, provider gates and page, registered by app.module.ts in one line each. */
export const SUPPORT_CONTROLLERS = [SupportTimelineController, SupportPageController, ProviderGatesController];
export const SUPPORT_PROVIDERS = [SupportTimelineService];
