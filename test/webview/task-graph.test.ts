import { strict as assert } from 'node:assert';
import type { TimelineEvent } from '../../src/shared/timeline-protocol';
import { buildTaskGraph } from '../../webview/src/model/task-graph';
import { TaskStore } from '../../webview/src/model/task-store';

function sent(id: string, parentId?: string, rootId?: string, time = 0): TimelineEvent {
  return { type: 'task-sent', id, time, hostname: 'client', name: `t.${id}`, parentId, rootId };
}

describe('webview: workflow graph', () => {
  it('infers a chain from parent links, rooted at the first task', () => {
    const s = new TaskStore(100);
    s.applyEvents([sent('a'), sent('b', 'a', 'a'), sent('c', 'b', 'a')]);
    const g = buildTaskGraph(s, 'c');
    assert.equal(g.rootId, 'a');
    assert.equal(g.shape, 'chain');
    assert.deepEqual(g.nodes.map((n) => [n.id, n.depth]), [['a', 0], ['b', 1], ['c', 2]]);
    assert.deepEqual(g.edges.map((e) => `${e.from}>${e.to}`).sort(), ['a>b', 'b>c']);
  });

  it('infers a group (siblings under one parent) and a chord (a body after its header)', () => {
    const s = new TaskStore(100);
    s.applyEvents([sent('p'), sent('g1', 'p', 'p'), sent('g2', 'p', 'p'), sent('g3', 'p', 'p')]);
    assert.equal(buildTaskGraph(s, 'g2').shape, 'group');
    s.applyEvents([sent('body', 'g3', 'p')]);
    const g = buildTaskGraph(s, 'p');
    assert.equal(g.shape, 'chord');
    assert.equal(g.nodes.find((n) => n.id === 'body')!.depth, 2);
  });

  it('shows tasks known only by a shared root, and children the backend listed, with their states', () => {
    const s = new TaskStore(100);
    s.applyEvents([sent('root'), sent('orphan', undefined, 'root')]);
    s.applyStoredResults([{ id: 'root', state: 'SUCCESS', children: ['kid'] }, { id: 'kid', state: 'FAILURE' }]);
    const g = buildTaskGraph(s, 'root');
    assert.deepEqual(g.nodes.map((n) => n.id).sort(), ['kid', 'orphan', 'root']);
    assert.equal(g.nodes.find((n) => n.id === 'kid')!.state, 'FAILURE');
    assert.equal(g.edges.find((e) => e.to === 'orphan')!.inferred, true);
  });

  it('stops at the node limit but always shows the selected task and its ancestors', () => {
    const s = new TaskStore(1000);
    s.applyEvents([sent('r'), ...Array.from({ length: 100 }, (_, i) => sent(`c${i}`, 'r', 'r')), sent('deep', 'c99', 'r')]);
    const g = buildTaskGraph(s, 'deep', 20);
    assert.equal(g.truncated, true);
    assert.ok(g.nodes.some((n) => n.id === 'deep') && g.nodes.some((n) => n.id === 'c99'));
  });
});
