import { strict as assert } from 'node:assert';
import { ConfigError, createApp, type App } from '../../src/runtime';
import { captureLog, quietLog } from '../helpers/runtime-harness';

describe('app: configuration', () => {
  const apps: App[] = [];
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
  });

  function make(options: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, log = quietLog): App {
    const app = createApp(options, { env, log });
    apps.push(app);
    return app;
  }

  it('accepts Celery setting names in snake_case', () => {
    const app = make({ task_default_queue: 'snake', task_acks_late: true, worker_prefetch_multiplier: 2, result_expires: 60 });
    assert.equal(app.conf.taskDefaultQueue, 'snake');
    assert.equal(app.conf.taskAcksLate, true);
    assert.equal(app.conf.workerPrefetchMultiplier, 2);
    assert.equal(app.conf.resultExpires, 60);
  });

  it('accepts the same settings in camelCase', () => {
    const app = make({ taskDefaultQueue: 'camel', taskAcksLate: true, workerPrefetchMultiplier: 3, resultExpires: 61 });
    assert.equal(app.conf.taskDefaultQueue, 'camel');
    assert.equal(app.conf.taskAcksLate, true);
    assert.equal(app.conf.workerPrefetchMultiplier, 3);
    assert.equal(app.conf.resultExpires, 61);
  });

  it("accepts Celery's upper-case setting names", () => {
    const app = make({ TASK_DEFAULT_QUEUE: 'upper', CELERY_BROKER_URL: 'memory://' });
    assert.equal(app.conf.taskDefaultQueue, 'upper');
  });

  it('keeps the defaults for settings not given', () => {
    const app = make({});
    assert.equal(app.conf.brokerUrl, 'memory://');
    assert.equal(app.conf.taskDefaultQueue, 'celery');
    assert.equal(app.conf.taskAcksLate, false);
    assert.equal(app.conf.taskIgnoreResult, false);
    assert.equal(app.conf.workerPrefetchMultiplier, 4);
    assert.equal(app.conf.taskDefaultRetryDelay, 180);
  });

  it('uses the embedded result store by default with memory://', () => {
    assert.equal(make({ broker: 'memory://' }).conf.resultBackend, 'memory://');
  });

  describe('broker URL from the environment', () => {
    it('CELERIAC_BROKER_URL overrides the broker the app was given', () => {
      const app = make({ broker: 'memory://' }, { CELERIAC_BROKER_URL: 'memory:///tmp/celeriac-test-hub.sock' });
      assert.equal(app.conf.brokerUrl, 'memory:///tmp/celeriac-test-hub.sock');
    });

    it('CELERY_BROKER_URL is used when CELERIAC_BROKER_URL is not set', () => {
      const app = make({ broker: 'memory://' }, { CELERY_BROKER_URL: 'memory:///tmp/celery-fallback.sock' });
      assert.equal(app.conf.brokerUrl, 'memory:///tmp/celery-fallback.sock');
    });

    it('CELERIAC_BROKER_URL wins over CELERY_BROKER_URL', () => {
      const app = make(
        { broker: 'memory://' },
        { CELERIAC_BROKER_URL: 'memory:///tmp/celeriac.sock', CELERY_BROKER_URL: 'memory:///tmp/celery.sock' },
      );
      assert.equal(app.conf.brokerUrl, 'memory:///tmp/celeriac.sock');
    });

    it('an empty CELERIAC_BROKER_URL does not override', () => {
      const app = make({ broker_url: 'memory:///tmp/given.sock' }, { CELERIAC_BROKER_URL: '' });
      assert.equal(app.conf.brokerUrl, 'memory:///tmp/given.sock');
    });

    it('CELERIAC_RESULT_BACKEND overrides the result backend', () => {
      const app = make({ broker: 'memory://', result_backend: 'memory://' }, { CELERIAC_RESULT_BACKEND: 'disabled://' });
      assert.equal(app.conf.resultBackend, 'disabled://');
    });
  });

  describe('wrong values', () => {
    it('a setting of the wrong type throws a ConfigError naming the key', () => {
      assert.throws(
        () => make({ task_acks_late: 'yes' }),
        (err: unknown) => err instanceof ConfigError && /task_acks_late/.test(err.message) && /boolean/.test(err.message),
      );
    });

    it('names the camelCase key as it was given', () => {
      assert.throws(
        () => make({ workerPrefetchMultiplier: 'four' }),
        (err: unknown) => err instanceof ConfigError && /workerPrefetchMultiplier/.test(err.message),
      );
    });

    it('a negative number throws a ConfigError naming the key', () => {
      assert.throws(
        () => make({ result_expires: -1 }),
        (err: unknown) => err instanceof ConfigError && /result_expires/.test(err.message),
      );
    });

    it('a prefetch multiplier of 0 is refused', () => {
      assert.throws(
        () => make({ worker_prefetch_multiplier: 0 }),
        (err: unknown) => err instanceof ConfigError && /worker_prefetch_multiplier/.test(err.message),
      );
    });

    it('an unknown setting is warned about, naming it, not thrown', () => {
      const log = captureLog();
      const app = make({ task_default_queue: 'ok', worker_hijack_root_logger: false, totallyMadeUp: 1 }, {}, log);
      assert.equal(app.conf.taskDefaultQueue, 'ok');
      const warnings = log.lines.filter((l) => l.includes('WARNING'));
      assert.equal(warnings.length, 1, `expected one warning, got:\n${log.lines.join('\n')}`);
      assert.match(warnings[0], /worker_hijack_root_logger/);
      assert.match(warnings[0], /totallyMadeUp/);
    });

    it('known settings cause no warning', () => {
      const log = captureLog();
      make({ task_default_queue: 'ok', taskAcksLate: true }, {}, log);
      assert.deepEqual(
        log.lines.filter((l) => l.includes('WARNING')),
        [],
      );
    });
  });

  it('freezes the configuration', () => {
    const app = make({});
    assert.throws(() => {
      (app.conf as { taskDefaultQueue: string }).taskDefaultQueue = 'changed';
    }, TypeError);
  });
});
