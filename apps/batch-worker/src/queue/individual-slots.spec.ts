import { describe, expect, it } from '@jest/globals';
import { IndividualSlots } from './individual-slots.js';

const slots = (n: number) => new IndividualSlots({ COMPARISON_QUEUE_CONCURRENCY: n });

describe('IndividualSlots', () => {
  it('lets the lane take every free slot and give back what it did not use', () => {
    const s = slots(4);
    expect(s.takeAllFree()).toBe(4);
    expect(s.free).toBe(0);
    s.give();
    s.give();
    expect(s.free).toBe(2);
  });

  it('makes a BullMQ run wait while the lane holds every slot, and hands it the first slot given back', async () => {
    const s = slots(2);
    s.takeAllFree();
    let started = false;
    const waiting = s.take().then(() => (started = true));
    await Promise.resolve();
    expect(started).toBe(false);
    // A waiting run is served before the lane sees a free slot.
    expect(s.free).toBe(0);
    s.give();
    await waiting;
    expect(started).toBe(true);
    expect(s.free).toBe(0);
    s.give();
    s.give();
    expect(s.free).toBe(2);
  });

  it('serves waiting runs in order, and tells the lane only when a slot returns to the pool', async () => {
    const s = slots(1);
    await s.take();
    const order: number[] = [];
    const first = s.take().then(() => order.push(1));
    const second = s.take().then(() => order.push(2));
    let freed = 0;
    s.onFreed(() => (freed += 1));
    s.give();
    await first;
    s.give();
    await second;
    expect(order).toEqual([1, 2]);
    expect(freed).toBe(0);
    s.give();
    expect(freed).toBe(1);
    expect(s.free).toBe(1);
  });
});
