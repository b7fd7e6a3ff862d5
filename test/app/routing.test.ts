import { strict as assert } from 'node:assert';
import { createApp, type App, type AppOptions, type TaskRoutes } from '../../src/runtime';
import { quietLog, uniqueQueue } from '../helpers/runtime-harness';

describe('app: routing (task_routes)', () => {
  const apps: App[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
  });

  function appWith(routes: TaskRoutes | undefined, extra: AppOptions = {}): App {
    const app = createApp(
      { broker: 'memory://', task_default_queue: 'default-q', ...(routes ? { task_routes: routes } : {}), ...extra },
      { env: {}, log: quietLog },
    );
    apps.push(app);
    return app;
  }

  const queueOf = (app: App, name: string, options = {}, args: unknown[] = [], kwargs = {}) =>
    app.buildTaskMessage(name, args, kwargs, options).queue;

  it('uses task_default_queue when no route matches', () => {
    const app = appWith({ 'proj.other': 'other' });
    const sent = app.buildTaskMessage('proj.add', [], {}, {});
    assert.equal(sent.queue, 'default-q');
    assert.deepEqual(sent.route, { exchange: '', routingKey: 'default-q' });
  });

  it('routes an exact task name to its queue, with the queue as the routing key', () => {
    const app = appWith({ 'proj.add': { queue: 'math' } });
    const sent = app.buildTaskMessage('proj.add', [], {}, {});
    assert.equal(sent.queue, 'math');
    assert.deepEqual(sent.route, { exchange: '', routingKey: 'math' });
    assert.equal(queueOf(app, 'proj.add_more'), 'default-q', 'an exact name is not a prefix');
  });

  it('accepts a plain queue name as the route', () => {
    assert.equal(queueOf(appWith({ 'proj.add': 'math' }), 'proj.add'), 'math');
  });

  it('routes glob patterns', () => {
    const app = appWith({ 'proj.billing.*': 'billing', 'proj.?ms': 'messaging' });
    assert.equal(queueOf(app, 'proj.billing.charge'), 'billing');
    assert.equal(queueOf(app, 'proj.billing.refund.partial'), 'billing');
    assert.equal(queueOf(app, 'proj.sms'), 'messaging');
    assert.equal(queueOf(app, 'proj.billingx'), 'default-q');
    assert.equal(queueOf(app, 'xproj.billing.charge'), 'default-q', 'globs match the whole name');
  });

  it('prefers an exact name over a glob that also matches', () => {
    const app = appWith({ 'proj.*': 'wide', 'proj.add': 'narrow' });
    assert.equal(queueOf(app, 'proj.add'), 'narrow');
    assert.equal(queueOf(app, 'proj.sub'), 'wide');
  });

  it('routes a [regexp, route] pair', () => {
    const app = appWith([/^proj\.(video|image)\./, { queue: 'media' }]);
    assert.equal(queueOf(app, 'proj.video.encode'), 'media');
    assert.equal(queueOf(app, 'proj.image.resize'), 'media');
    assert.equal(queueOf(app, 'proj.audio.mix'), 'default-q');
  });

  it('routes with a router function that sees the name, args and kwargs', () => {
    const calls: unknown[] = [];
    const app = appWith((name, args, kwargs) => {
      calls.push([name, args, kwargs]);
      if (name === 'proj.resize') return (args[0] as number) > 1000 ? 'big-images' : { queue: 'small-images' };
      return null;
    });
    assert.equal(queueOf(app, 'proj.resize', {}, [4000], { fmt: 'png' }), 'big-images');
    assert.equal(queueOf(app, 'proj.resize', {}, [10]), 'small-images');
    assert.equal(queueOf(app, 'proj.other'), 'default-q');
    assert.deepEqual(calls[0], ['proj.resize', [4000], { fmt: 'png' }]);
  });

  it('tries a list of routers in order, the first match winning', () => {
    const app = appWith([
      { 'proj.add': 'first' },
      ['proj.*', { queue: 'second' }],
      () => 'third',
    ]);
    assert.equal(queueOf(app, 'proj.add'), 'first');
    assert.equal(queueOf(app, 'proj.sub'), 'second');
    assert.equal(queueOf(app, 'other.task'), 'third');
  });

  it('takes exchange, routing key and priority from a route', () => {
    const app = appWith({ 'proj.urgent': { queue: 'urgent', exchange: 'tasks', routing_key: 'urgent.high', priority: 8 } });
    const sent = app.buildTaskMessage('proj.urgent', [], {}, {});
    assert.equal(sent.queue, 'urgent');
    assert.deepEqual(sent.route, { exchange: 'tasks', routingKey: 'urgent.high' });
    assert.equal(sent.message.properties.priority, 8);
  });

  it('an explicit queue option wins over task_routes', () => {
    const app = appWith({ 'proj.add': 'routed', 'proj.*': 'wide' });
    const sent = app.buildTaskMessage('proj.add', [], {}, { queue: 'explicit' });
    assert.equal(sent.queue, 'explicit');
    assert.equal(sent.route.routingKey, 'explicit');
  });

  describe('the task-level queue option', () => {
    it('sends the task to its queue', async () => {
      const app = appWith(undefined);
      const sentTo: string[] = [];
      app.events.on('task-sent', (s) => sentTo.push(s.queue));
      const t = app.task('proj.tq', () => 1, { queue: uniqueQueue('task-q') });
      await t.delay();
      assert.deepEqual(sentTo, [t.options.queue]);
      const broker = await app.connectBroker();
      const [stats] = await broker.stats([t.options.queue!]);
      assert.equal(stats.ready, 1);
      await broker.purge(t.options.queue!);
    });

    it('is beaten by an explicit queue option', () => {
      const app = appWith(undefined);
      app.task('proj.tq', () => 1, { queue: 'task-q' });
      const sent = app.buildTaskMessage('proj.tq', [], {}, { queue: 'call-q' }, app.getTask('proj.tq')!.options);
      assert.equal(sent.queue, 'call-q');
    });

    it('wins over task_routes, as in Celery (call options, then task attributes, then routers)', () => {
      const app = appWith({ 'proj.tq': 'routed' });
      app.task('proj.tq', () => 1, { queue: 'task-q' });
      const sent = app.buildTaskMessage('proj.tq', [], {}, {}, app.getTask('proj.tq')!.options);
      assert.equal(sent.queue, 'task-q');
    });
  });
});
