import { MemoryBroker } from '../../src/runtime/brokers/memory/memory-broker';
import { MemoryHub } from '../../src/runtime/brokers/memory/memory-hub';
import { HubConnection } from '../../src/runtime/brokers/memory/hub-connection';
import { RemoteMemoryBroker } from '../../src/runtime/brokers/memory/remote-memory-broker';
import { serveHub, type HubServer } from '../../src/runtime/brokers/memory/hub-server';
import { brokerConformance } from './broker-conformance';

brokerConformance('memory:// in process', () => {
  const hub = new MemoryHub();
  return { connect: async () => new MemoryBroker(hub.core) };
}, { priorities: 'higher-first' });

describe('memory:// over the hub socket', () => {
  const hub = new MemoryHub();
  let server: HubServer;
  before(async () => {
    server = await serveHub(hub);
  });
  after(() => server.close());
  brokerConformance(
    'memory:// over the hub socket',
    () => ({ connect: async () => new RemoteMemoryBroker(await HubConnection.connect(server.path)) }),
    { priorities: 'higher-first' },
  );
});
