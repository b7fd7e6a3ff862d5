/** RabbitMQ for tests: the real server (AMQP_URL, default guest on 127.0.0.1:5672); tests use their own queue names and vhosts. */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** The same server with a vhost (created by the test that uses it). */
export function amqpUrl(vhost: string): string {
  return `${AMQP_URL.replace(/\/[^/]*$/, (m) => (m.includes('@') || m.includes(':') ? m : ''))}/${encodeURIComponent(vhost)}`;
}
