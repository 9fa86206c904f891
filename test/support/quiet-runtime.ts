import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers, bundlers and replays log at INFO; expected activity retries (the fault-injection tests
// cause many) would drown the test output. TEST_WORKER_LOG_LEVEL=DEBUG brings them back.
Runtime.install({ logger: new DefaultLogger((process.env.TEST_WORKER_LOG_LEVEL as 'DEBUG' | undefined) ?? 'ERROR') });
