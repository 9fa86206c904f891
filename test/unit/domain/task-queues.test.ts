import { mainTaskQueueOf, mainTaskQueueProblem, orderRequestsQueueOf, systemTaskQueues } from '../../../domain/task-queues';
import { readAppConfig } from '../../../config/app-config';

describe('the task queues of one system', () => {
  it('names every queue after the main one', () => {
    expect(systemTaskQueues('orders')).toEqual({ main: 'orders', orderRequests: 'orders-order-requests', batch: 'orders-batch', providerGates: 'orders-provider-gates' });
    expect(readAppConfig({ TEMPORAL_TASK_QUEUE: 'shop' }).temporal.taskQueues).toEqual(systemTaskQueues('shop'));
  });

  it('finds the main queue from any of them, so a workflow on the batch queue asks on the same order-requests queue', () => {
    for (const queue of Object.values(systemTaskQueues('test-1a2b'))) {
      expect(mainTaskQueueOf(queue)).toBe('test-1a2b');
      expect(orderRequestsQueueOf(queue)).toBe('test-1a2b-order-requests');
    }
    // A name that is only a suffix is its own main queue.
    expect(mainTaskQueueOf('-batch')).toBe('-batch');
  });

  it('refuses a main queue that looks like a derived one', () => {
    expect(mainTaskQueueProblem('orders')).toBeUndefined();
    expect(mainTaskQueueProblem('orders-batch')).toMatch(/ends with "-batch"/);
    expect(() => readAppConfig({ TEMPORAL_TASK_QUEUE: 'orders-provider-gates' })).toThrow(/TEMPORAL_TASK_QUEUE/);
  });
});
