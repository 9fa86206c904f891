import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../../config/app-config';
import { DomainError, ErrorCode } from '../../../domain/error-codes';
import { WebhookMessageStatus, webhookEndpointWorkflowId } from '../../../domain/webhooks';
import { findSellerEvent, listWebhookAttempts, listWebhookMessages, requeueWebhookMessage, requeueWebhookMessagesAfter } from '../../../db/webhook-deliveries';
import {
  WebhookEndpointRow,
  changeWebhookEndpoint,
  deleteWebhookEndpoint,
  findSellerWebhookEndpoint,
  insertWebhookEndpoint,
  listSellerWebhookEndpoints,
  rotateWebhookSecret,
  setWebhookEndpointEnabled,
} from '../../../db/webhook-endpoints';
import { newWebhookSecret } from '../../shared/webhook-signing';
import { WebhookTargetRefused, checkWebhookUrl } from '../../shared/webhook-target';
import { runWebhookEndpointWorkflow, tellWebhookEndpointChanged } from '../../shared/webhook-workflows';
import { temporalUiLink } from '../../shared/temporal';
import type { Principal } from '../auth/principal';
import { APP_CONFIG, TEMPORAL_CLIENT } from '../tokens';
import { afterNumber, pageOf, type Page, type PageRequest } from '../common/pagination';
import type { CreateWebhookEndpointDto, UpdateWebhookEndpointDto } from './webhook-endpoint.dto';

/**
 * A seller's webhook endpoints (docs/webhooks.md). Every lookup is by the caller's seller id: another
 * seller's endpoint is a 404. URLs pass the SSRF guard at registration and change (and again at every
 * connection, in the delivery activity). The endpoint's workflow is started or woken after each change
 * that needs it; a disabled or deleted endpoint's workflow sees it at its next batch and ends.
 */
@Injectable()
export class WebhookEndpointsService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(principal: Principal, dto: CreateWebhookEndpointDto) {
    const sellerId = sellerOf(principal);
    const url = await this.checkUrl(dto.url);
    const secret = newWebhookSecret();
    const id = await insertWebhookEndpoint(this.dataSource, { sellerId, url, description: dto.description?.trim() ?? '', eventTypes: dto.eventTypes ?? null, secret });
    await runWebhookEndpointWorkflow(this.temporal, this.config.temporal.taskQueue, { id, sellerId }, 'changed');
    // The secret is shown this once; GET never returns it.
    return { ...this.view(await this.endpoint(sellerId, id)), secret };
  }

  async list(principal: Principal, page: PageRequest): Promise<Page<ReturnType<WebhookEndpointsService['view']>>> {
    const rows = await listSellerWebhookEndpoints(this.dataSource, sellerOf(principal), afterNumber(page), page.limit + 1);
    return pageOf(rows, page, (e) => [e.id], (r) => this.view(r));
  }

  async get(principal: Principal, id: number) {
    return this.view(await this.endpoint(sellerOf(principal), id));
  }

  async update(principal: Principal, id: number, dto: UpdateWebhookEndpointDto) {
    const sellerId = sellerOf(principal);
    const before = await this.endpoint(sellerId, id);
    const url = dto.url === undefined ? undefined : await this.checkUrl(dto.url);
    await changeWebhookEndpoint(this.dataSource, sellerId, id, { url, description: dto.description?.trim(), eventTypes: dto.eventTypes });
    if (dto.enabled !== undefined) await setWebhookEndpointEnabled(this.dataSource, sellerId, id, dto.enabled);
    const after = await this.endpoint(sellerId, id);
    if (after.status === 'ENABLED') await runWebhookEndpointWorkflow(this.temporal, this.config.temporal.taskQueue, after, 'changed');
    else if (before.status === 'ENABLED') await tellWebhookEndpointChanged(this.temporal, id);
    return this.view(after);
  }

  async remove(principal: Principal, id: number): Promise<void> {
    const sellerId = sellerOf(principal);
    if (!(await deleteWebhookEndpoint(this.dataSource, sellerId, id))) throw notFound(id);
    await tellWebhookEndpointChanged(this.temporal, id);
  }

  /** A new secret, shown once; the old one keeps signing beside it for WEBHOOK_SECRET_OVERLAP. */
  async rotateSecret(principal: Principal, id: number) {
    const sellerId = sellerOf(principal);
    const secret = newWebhookSecret();
    if (!(await rotateWebhookSecret(this.dataSource, sellerId, id, secret, this.config.webhooks.secretOverlapMs))) throw notFound(id);
    const endpoint = await this.endpoint(sellerId, id);
    return { id, secret, previousSecretExpiresAt: endpoint.previousSecretUntil?.toISOString() ?? null };
  }

  /** Queues one message again (a FAILED one, or any the seller wants once more); delivered by the workflow. */
  async resend(principal: Principal, id: number, eventId: string) {
    const sellerId = sellerOf(principal);
    const endpoint = await this.endpoint(sellerId, id);
    const event = await findSellerEvent(this.dataSource, sellerId, eventId);
    if (!event) throw new DomainError(ErrorCode.NOT_FOUND, `event ${eventId.slice(0, 100)} not found`);
    await requeueWebhookMessage(this.dataSource, id, event.sellerSeq, event.eventId);
    await this.wake(endpoint);
    return { endpointId: id, eventId: event.eventId, sellerSeq: event.sellerSeq, status: 'PENDING' as const, endpointStatus: endpoint.status };
  }

  /** Queues every event after `after` again (of the endpoint's types); delivered in sequence order per order. */
  async replay(principal: Principal, id: number, after: number) {
    const sellerId = sellerOf(principal);
    const endpoint = await this.endpoint(sellerId, id);
    const queued = await requeueWebhookMessagesAfter(this.dataSource, endpoint, after);
    await this.wake(endpoint);
    return { endpointId: id, after, queued, cursor: endpoint.cursorSeq, endpointStatus: endpoint.status };
  }

  async attempts(principal: Principal, id: number, page: PageRequest, eventId?: string) {
    await this.endpoint(sellerOf(principal), id);
    const rows = await listWebhookAttempts(this.dataSource, id, afterNumber(page), page.limit + 1, eventId);
    return pageOf(
      rows,
      page,
      (a) => [a.id],
      (a) => ({ id: a.id, eventId: a.eventId, sellerSeq: a.sellerSeq, attemptNo: a.attemptNo, attemptedAt: a.attemptedAt.toISOString(), statusCode: a.statusCode, latencyMs: a.latencyMs, outcome: a.outcome, error: a.error, responseExcerpt: a.responseExcerpt }),
    );
  }

  async messages(principal: Principal, id: number, status: WebhookMessageStatus | undefined, page: PageRequest) {
    await this.endpoint(sellerOf(principal), id);
    const rows = await listWebhookMessages(this.dataSource, id, status, afterNumber(page), page.limit + 1);
    return pageOf(rows, page, (m) => [m.sellerSeq], (m) => ({ ...m, lastAttemptAt: m.lastAttemptAt?.toISOString() ?? null, deliveredAt: m.deliveredAt?.toISOString() ?? null }));
  }

  private async wake(endpoint: WebhookEndpointRow): Promise<void> {
    // A disabled or paused endpoint keeps what was queued until the seller enables it.
    if (endpoint.status === 'ENABLED') await runWebhookEndpointWorkflow(this.temporal, this.config.temporal.taskQueue, endpoint, 'changed');
  }

  private async endpoint(sellerId: number, id: number): Promise<WebhookEndpointRow> {
    const endpoint = await findSellerWebhookEndpoint(this.dataSource, sellerId, id);
    if (!endpoint) throw notFound(id);
    return endpoint;
  }

  private async checkUrl(text: string): Promise<string> {
    try {
      return (await checkWebhookUrl(text.trim(), this.config.webhooks)).toString();
    } catch (err) {
      if (err instanceof WebhookTargetRefused) throw new DomainError(ErrorCode.WEBHOOK_URL_REFUSED, err.reason);
      throw err;
    }
  }

  private view(endpoint: WebhookEndpointRow) {
    const workflowId = webhookEndpointWorkflowId(endpoint.id);
    const rotating = endpoint.previousSecretUntil && endpoint.previousSecretUntil > new Date();
    return {
      id: endpoint.id,
      url: endpoint.url,
      description: endpoint.description,
      eventTypes: endpoint.eventTypes,
      status: endpoint.status,
      statusReason: endpoint.statusReason,
      cursor: endpoint.cursorSeq,
      failingSince: endpoint.failingSince?.toISOString() ?? null,
      deliveredCount: endpoint.deliveredCount,
      failedCount: endpoint.failedCount,
      failedAttemptCount: endpoint.failedAttemptCount,
      previousSecretExpiresAt: rotating ? endpoint.previousSecretUntil!.toISOString() : null,
      createdAt: endpoint.createdAt.toISOString(),
      updatedAt: endpoint.updatedAt.toISOString(),
      workflowId,
      temporalUiUrl: temporalUiLink(this.config.temporal, workflowId),
    };
  }
}

/** The seller a seller's token names (the route allows only the seller role). */
function sellerOf(principal: Principal): number {
  const id = Number(principal.id);
  if (!Number.isSafeInteger(id) || id < 1) throw new BadRequestException('the token does not name a seller');
  return id;
}

function notFound(id: number): DomainError {
  return new DomainError(ErrorCode.NOT_FOUND, `webhook endpoint ${id} not found`);
}
