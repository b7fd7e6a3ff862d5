/**
 * `task_routes`: which queue (and exchange / routing key) a task goes to.
 * Accepts Celery's forms: a map of exact names or globs (`proj.billing.*`),
 * `[pattern, route]` pairs with regular expressions, router functions, or a
 * list of any of these tried in order. A route may be a queue name string.
 */
export interface RouteOptions {
  queue?: string;
  exchange?: string;
  routingKey?: string;
  routing_key?: string;
  priority?: number;
}

export type RouteValue = RouteOptions | string;
export type Router = (
  name: string,
  args: readonly unknown[],
  kwargs: Record<string, unknown>,
) => RouteValue | null | undefined;
export type RouteEntry = Record<string, RouteValue> | [string | RegExp, RouteValue] | Router;
export type TaskRoutes = RouteEntry | RouteEntry[];

export interface ResolvedRoute {
  queue: string;
  exchange: string;
  routingKey: string;
  priority?: number;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

const globCache = new Map<string, RegExp>();

function matches(pattern: string | RegExp, name: string): boolean {
  if (pattern instanceof RegExp) return pattern.test(name);
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === name;
  let re = globCache.get(pattern);
  if (!re) {
    re = globToRegExp(pattern);
    globCache.set(pattern, re);
  }
  return re.test(name);
}

function isPair(entry: RouteEntry): entry is [string | RegExp, RouteValue] {
  return Array.isArray(entry) && entry.length === 2 && (typeof entry[0] === 'string' || entry[0] instanceof RegExp);
}

function lookup(entry: RouteEntry, name: string, args: readonly unknown[], kwargs: Record<string, unknown>): RouteValue | undefined {
  if (typeof entry === 'function') return entry(name, args, kwargs) ?? undefined;
  if (isPair(entry)) return matches(entry[0], name) ? entry[1] : undefined;
  const map = entry as Record<string, RouteValue>;
  if (Object.prototype.hasOwnProperty.call(map, name)) return map[name];
  for (const [pattern, value] of Object.entries(map)) if (matches(pattern, name)) return value;
  return undefined;
}

/** The route a task takes: explicit options first, then task_routes, then the default queue. */
export function resolveRoute(
  name: string,
  args: readonly unknown[],
  kwargs: Record<string, unknown>,
  routes: TaskRoutes | undefined,
  defaultQueue: string,
  explicit?: RouteOptions,
): ResolvedRoute {
  let found: RouteOptions = {};
  if (!explicit?.queue && routes) {
    const entries: RouteEntry[] = Array.isArray(routes) && !isPair(routes as RouteEntry) ? (routes as RouteEntry[]) : [routes as RouteEntry];
    for (const entry of entries) {
      const value = lookup(entry, name, args, kwargs);
      if (value !== undefined) {
        found = typeof value === 'string' ? { queue: value } : value;
        break;
      }
    }
  }
  const queue = explicit?.queue ?? found.queue ?? defaultQueue;
  const exchange = explicit?.exchange ?? found.exchange ?? '';
  // Celery publishes to the default exchange with the queue's name as the key.
  const routingKey = explicit?.routingKey ?? explicit?.routing_key ?? found.routingKey ?? found.routing_key ?? queue;
  const priority = explicit?.priority ?? found.priority;
  return priority === undefined ? { queue, exchange, routingKey } : { queue, exchange, routingKey, priority };
}
