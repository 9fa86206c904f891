import type { EntityManager } from 'typeorm';

/** What a repository function needs: a DataSource, or the EntityManager of the caller's transaction (so it runs inside it). */
export type Queryable = Pick<EntityManager, 'query'>;
