import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { getMetadataArgsStorage } from 'typeorm';

/**
 * The success answers of routes in OpenAPI, so a generated client (clients/seller) has a type for
 * every answer. `@Answers(200, schema)` declares one; the schema is a DTO class, a schema object made
 * with the small builders below, or the schema of a table's entity (`entitySchema(Order)`, read from
 * the TypeORM columns, so a column added to the entity shows in the document without a second list).
 * test/unit/openapi-contract.test.ts fails on any route without one (204 excepted).
 */

export type AnswerSchema = Type<unknown> | SchemaObject;

const asSchema = (schema: AnswerSchema): SchemaObject => (typeof schema === 'function' ? ({ $ref: getSchemaPath(schema) } as SchemaObject) : schema);

/**
 * Schemas with a name: registered here as they are declared and written to `components.schemas` by
 * `namedSchemas` when the document is built, so a generated client calls the type by its name
 * (`components['schemas']['Order']`) instead of repeating it inline at every route.
 */
const NAMED = new Map<string, SchemaObject>();

export function named(name: string, schema: SchemaObject): SchemaObject {
  const known = NAMED.get(name);
  if (known && JSON.stringify(known) !== JSON.stringify(schema)) throw new Error(`two different answer schemas are both named ${name}`);
  NAMED.set(name, schema);
  return { $ref: `#/components/schemas/${name}` } as SchemaObject;
}

/** Adds the named schemas to the document's components (buildOpenApiDocument). */
export function namedSchemas<T extends { components?: { schemas?: Record<string, unknown> } }>(document: T): T {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...Object.fromEntries([...NAMED].sort(([a], [b]) => a.localeCompare(b))) } };
  return document;
}

/** A success answer: its status and its body's schema (application/json unless `contentType` says otherwise). */
export function Answers(status: number, schema: AnswerSchema, options: { description?: string; contentType?: string } = {}): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...(typeof schema === 'function' ? [ApiExtraModels(schema)] : []),
    ApiResponse({ status, description: options.description ?? (status === 201 ? 'Created' : status === 202 ? 'Accepted' : 'OK'), content: { [options.contentType ?? 'application/json']: { schema: asSchema(schema) } } }),
  );
}

/** An object schema: every listed property required unless named in `optional`. */
export function object(properties: Record<string, AnswerSchema>, options: { optional?: string[]; description?: string; open?: boolean } = {}): SchemaObject {
  const optional = new Set(options.optional ?? []);
  return {
    type: 'object',
    ...(options.description ? { description: options.description } : {}),
    required: Object.keys(properties).filter((name) => !optional.has(name)),
    properties: Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, asSchema(schema)])),
    // Open objects: rows and workflow states carry more members than the ones named.
    ...(options.open ? { additionalProperties: true } : {}),
  };
}

export const string = (description?: string): SchemaObject => ({ type: 'string', ...(description ? { description } : {}) });
export const integer = (description?: string): SchemaObject => ({ type: 'integer', ...(description ? { description } : {}) });
export const boolean = (description?: string): SchemaObject => ({ type: 'boolean', ...(description ? { description } : {}) });
export const dateTime = (description?: string): SchemaObject => ({ type: 'string', format: 'date-time', ...(description ? { description } : {}) });
export const oneOf = (values: readonly string[], description?: string): SchemaObject => ({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
export const nullable = (schema: AnswerSchema): SchemaObject => ({ ...asSchema(schema), nullable: true });
export const arrayOf = (schema: AnswerSchema, description?: string): SchemaObject => ({ type: 'array', items: asSchema(schema), ...(description ? { description } : {}) });
/** Any JSON object (a live workflow state, a stored payload): the client gets `Record<string, unknown>`. */
export const anyObject = (description?: string): SchemaObject => ({ type: 'object', additionalProperties: true, ...(description ? { description } : {}) });

/** A link to a workflow: its id and its page in the Temporal UI. */
export const workflowLink = object({ workflowId: string('the workflow id'), temporalUiUrl: string('its page in the Temporal UI') });

/** The schema of an entity's row as TypeORM returns it (property names, column types, nullability), plus `extra` members. */
export function entitySchema(entity: Type<unknown>, extra: Record<string, AnswerSchema> = {}, description?: string): SchemaObject {
  const columns = getMetadataArgsStorage().columns.filter((column) => column.target === entity);
  const properties: Record<string, SchemaObject> = {};
  for (const column of columns) {
    const declared = column.options.type;
    // A column without a SQL type takes its property's TypeScript type (as TypeORM does).
    const designType = Reflect.getMetadata('design:type', (entity as { prototype: object }).prototype, column.propertyName) as { name?: string } | undefined;
    const type = typeof declared === 'string' ? declared : (typeof declared === 'function' ? declared.name : designType?.name ?? 'String').toLowerCase();
    const base: SchemaObject = /int|number|decimal|float|double/i.test(type)
      ? { type: 'integer' }
      : /date|time/i.test(type)
        ? { type: 'string', format: 'date-time' }
        : /json|object/i.test(type)
          ? {}
          : /bool/i.test(type)
            ? { type: 'boolean' }
            : { type: 'string' };
    properties[column.propertyName] = column.options.nullable ? { ...base, nullable: true } : base;
  }
  return object({ ...properties, ...extra }, { description });
}

/** 202 from a step a workflow accepted but has not finished within the API's wait (steps/step-pending.filter.ts). */
export const STEP_PENDING_ANSWER = named('StepPending', object({
  status: oneOf(['PENDING']),
  code: oneOf(['STEP_PENDING']),
  step: string(),
  workflowId: string(),
  stepUrl: string('GET it for the outcome: 200 done, 409 refused, 202 still running'),
  message: string(),
}));

/**
 * A step sent to a workflow (an Update): 200 with `schema` when it finishes within the API's wait, or
 * 202 STEP_PENDING when the workflow accepted it and it is still running (GET its stepUrl for the outcome).
 */
export function StepAnswers(schema: AnswerSchema): MethodDecorator {
  return applyDecorators(Answers(200, schema), Answers(202, STEP_PENDING_ANSWER, { description: 'Accepted by the workflow, still running: GET stepUrl for the outcome' }));
}
