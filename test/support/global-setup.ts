// Placeholder until the integration environment lands: with TEST_UNIT_ONLY=1 nothing is started.
export default async function globalSetup(): Promise<void> {}
