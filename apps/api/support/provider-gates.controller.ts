import { Answers, anyObject, arrayOf, boolean, dateTime, integer, nullable, object, oneOf, string } from '../common/answer-schemas';
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client } from '@temporalio/client';
import { GATE_FAMILIES, GateProvider, providerGateWorkflowId } from '../../../domain/provider-gate';
import { providerGateStateQuery } from '../../../workflows/provider-gate.contract';
import { Roles } from '../auth/roles.decorator';
import { OrderWorkflows } from '../orders/order-workflows';
import { APP_CONFIG, TEMPORAL_CLIENT } from '../tokens';
import type { AppConfig } from '../../../config/app-config';

const PROVIDERS: readonly GateProvider[] = ['wechatpay', 'alipay'];

const PROVIDER_GATES = object({
  gates: arrayOf(object({ provider: string(), family: string(), status: oneOf(['OPEN', 'CLOSED']), openSinceIso: nullable(dateTime()), waiting: integer('calls waiting behind the gate'), waitingFen: integer(), lastProbe: nullable(anyObject('the last probe: atIso, detail')), running: boolean(), workflowId: string(), temporalUiUrl: string() })),
});

/** The provider gates (docs/support.md#provider-gate): one line each on the support console. */
@ApiTags('support')
@ApiBearerAuth()
@Controller('support/provider-gates')
export class ProviderGatesController {
  constructor(
    private readonly workflows: OrderWorkflows,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Roles('support', 'admin')
  @ApiOperation({ summary: 'Each provider gate: OPEN / CLOSED, open since, calls and money waiting, last probe. A gate not running is CLOSED. In the Temporal UI: ProviderGateState="OPEN"' })
  @Answers(200, PROVIDER_GATES)
  async list() {
    // One gate per provider and family: a fixed set, so one object rather than a list to page.
    return { gates: await Promise.all(PROVIDERS.flatMap((provider) => GATE_FAMILIES.map(async (family) => {
      // This system's gates: their ids carry its task queue.
      const workflowId = providerGateWorkflowId(provider, family, this.config.temporal.taskQueue);
      const state = await this.temporal.workflow.getHandle(workflowId).query(providerGateStateQuery).catch(() => undefined);
      return { provider, family, status: state?.status ?? 'CLOSED', openSinceIso: state?.openSinceIso ?? null, waiting: state?.waiting ?? 0, waitingFen: state?.waitingFen ?? 0, lastProbe: state?.lastProbe ?? null, running: state !== undefined, workflowId, temporalUiUrl: this.workflows.uiLink(workflowId) };
    }))) };
  }
}
