/**
 * A message queue with priorities: higher numbers are served first (AMQP's
 * meaning), FIFO within one priority. Note kombu's Redis transport serves
 * lower numbers first; the memory broker follows RabbitMQ.
 */
import { Deque } from './deque';

export class PriorityQueue<T> {
  private readonly buckets = new Map<number, Deque<T>>();
  /** Priorities with a bucket, highest first. */
  private order: number[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  private bucket(priority: number): Deque<T> {
    let b = this.buckets.get(priority);
    if (!b) {
      b = new Deque<T>();
      this.buckets.set(priority, b);
      this.order.push(priority);
      this.order.sort((a, c) => c - a);
    }
    return b;
  }

  push(item: T, priority = 0): void {
    this.bucket(priority).push(item);
    this.size++;
  }

  /** Put back at the head of its priority (a requeued message goes next). */
  unshift(item: T, priority = 0): void {
    this.bucket(priority).unshift(item);
    this.size++;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    for (const p of this.order) {
      const b = this.buckets.get(p)!;
      if (b.length > 0) {
        this.size--;
        return b.shift();
      }
    }
    return undefined;
  }

  clear(): number {
    const n = this.size;
    this.buckets.clear();
    this.order = [];
    this.size = 0;
    return n;
  }
}
