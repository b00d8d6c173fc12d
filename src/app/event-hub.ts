import type { EventOf, TopicName } from '../contracts';
import type { Disposer } from '../../hardware/device';

type AnyListener = (event: unknown) => void;

/**
 * Typed publish/subscribe for the contract's event topics. A throwing listener is isolated (reported
 * via `onListenerError`) so one broken subscriber never stops acquisition or the others.
 */
export class EventHub {
  private readonly listeners = new Map<TopicName, Set<AnyListener>>();

  constructor(private readonly onListenerError: (topic: TopicName, error: unknown) => void = () => undefined) {}

  on<T extends TopicName>(topic: T, listener: (event: EventOf<T>) => void): Disposer {
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    const l = listener as AnyListener;
    set.add(l);
    return () => {
      this.listeners.get(topic)?.delete(l);
    };
  }

  emit<T extends TopicName>(topic: T, event: EventOf<T>): void {
    const set = this.listeners.get(topic);
    if (!set) return;
    for (const l of [...set]) {
      try {
        l(event);
      } catch (e) {
        this.onListenerError(topic, e);
      }
    }
  }

  listenerCount(topic: TopicName): number {
    return this.listeners.get(topic)?.size ?? 0;
  }

  clear(): void {
    this.listeners.clear();
  }
}
