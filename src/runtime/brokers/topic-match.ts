/** AMQP topic matching: words split on '.', `*` is exactly one word, `#` zero or more. */
const cache = new Map<string, RegExp>();

export function topicMatches(pattern: string, routingKey: string): boolean {
  if (pattern === routingKey || pattern === '#') return true;
  let re = cache.get(pattern);
  if (!re) {
    const parts = pattern.split('.').map((w) => (w === '*' ? '[^.]+' : w === '#' ? '.*' : w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    // '#' may also swallow the dot next to it ("a.#" matches "a").
    re = new RegExp('^' + parts.join('\\.').replace(/\\\.\.\*/g, '(?:\\..*)?').replace(/^\.\*\\\./, '(?:.*\\.)?') + '$');
    cache.set(pattern, re);
  }
  return re.test(routingKey);
}
