import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { documentProblems } from './common/api-problems';
import { versionDocumentPaths } from './common/api-version';
import { namedSchemas } from './common/answer-schemas';

/**
 * The API's OpenAPI document, as served at /docs-json. One builder for the running API and for
 * `npm run client:generate` (scripts/seller-client.ts), so the generated client describes exactly
 * what the server answers.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  return namedSchemas(versionDocumentPaths(documentProblems(SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Durable order orchestration API')
      .setDescription('Trades, orders, payments, cancellations and refunds; every order is a Temporal workflow.')
      .addBearerAuth()
      .build(),
  ))));
}
