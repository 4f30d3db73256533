import { ProduceCoalescer, type TopicRecords } from './produce-coalescer.js';

type Round = Array<TopicRecords<string>>;

/** A send that records every round and answers when the test says so. */
function recordingSend(fail?: (round: Round) => Error | undefined) {
  const rounds: Round[] = [];
  const pending: Array<() => void> = [];
  let hold = false;
  const send = (round: Round): Promise<void> => {
    rounds.push(round);
    const error = fail?.(round);
    if (error) return Promise.reject(error);
    if (!hold) return Promise.resolve();
    return new Promise<void>((resolve) => pending.push(resolve));
  };
  return {
    send,
    rounds,
    holdRounds: () => (hold = true),
    releaseRounds: () => {
      hold = false;
      for (const resolve of pending.splice(0)) resolve();
    },
  };
}

const topicsOf = (round: Round) => round.map((r) => `${r.topic}:${r.messages.join(',')}`);

describe('ProduceCoalescer', () => {
  it('sends the publishes of one event-loop turn as one round, in the order they were made', async () => {
    const { send, rounds } = recordingSend();
    const coalescer = new ProduceCoalescer(send, 1_000);
    await Promise.all([
      coalescer.publish('results', ['a1', 'a2'], 10),
      coalescer.publish('results', ['b1'], 10),
      coalescer.publish('completed', ['c1'], 10),
    ]);
    expect(rounds.map(topicsOf)).toEqual([['results:a1,a2', 'results:b1', 'completed:c1']]);
  });

  it('joins the publishes made while a round is in flight into the next round', async () => {
    const control = recordingSend();
    const coalescer = new ProduceCoalescer(control.send, 1_000);
    control.holdRounds();
    const first = coalescer.publish('t', ['a'], 10);
    await new Promise((resolve) => setImmediate(resolve));
    expect(control.rounds).toHaveLength(1);
    const later = [coalescer.publish('t', ['b'], 10), coalescer.publish('t', ['c'], 10)];
    await new Promise((resolve) => setImmediate(resolve));
    // Still one round: the second waits for the first.
    expect(control.rounds).toHaveLength(1);
    control.releaseRounds();
    await first;
    await Promise.all(later);
    expect(control.rounds.map(topicsOf)).toEqual([['t:a'], ['t:b', 't:c']]);
  });

  it('keeps each round within maxBytes without splitting a caller, and sends an oversized caller alone', async () => {
    const { send, rounds } = recordingSend();
    const coalescer = new ProduceCoalescer(send, 100);
    await Promise.all([
      coalescer.publish('t', ['a'], 60),
      coalescer.publish('t', ['b'], 30),
      coalescer.publish('t', ['c1', 'c2'], 20),
      coalescer.publish('t', ['huge'], 500),
      coalescer.publish('t', ['d'], 10),
    ]);
    expect(rounds.map(topicsOf)).toEqual([['t:a', 't:b'], ['t:c1,c2'], ['t:huge'], ['t:d']]);
  });

  it('re-sends a failed joined round caller by caller, in order, so only the failing caller is refused', async () => {
    const tooLarge = new Error('MESSAGE_TOO_LARGE');
    const { send, rounds } = recordingSend((round) =>
      round.some((r) => r.messages.includes('big')) ? tooLarge : undefined,
    );
    const coalescer = new ProduceCoalescer(send, 1_000);
    const outcomes = await Promise.allSettled([
      coalescer.publish('t', ['a'], 10),
      coalescer.publish('t', ['big'], 10),
      coalescer.publish('t', ['c'], 10),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBe(tooLarge);
    expect(rounds.map(topicsOf)).toEqual([['t:a', 't:big', 't:c'], ['t:a'], ['t:big'], ['t:c']]);
  });

  it('refuses a lone caller with the send error without sending again', async () => {
    const down = new Error('broker away');
    const { send, rounds } = recordingSend(() => down);
    const coalescer = new ProduceCoalescer(send, 1_000);
    await expect(coalescer.publish('t', ['a'], 10)).rejects.toBe(down);
    expect(rounds).toHaveLength(1);
  });

  it('goes on with the next rounds after a failed one', async () => {
    let failNext = true;
    const { send, rounds } = recordingSend(() => {
      if (!failNext) return undefined;
      failNext = false;
      return new Error('timeout');
    });
    const coalescer = new ProduceCoalescer(send, 1_000);
    await expect(coalescer.publish('t', ['a'], 10)).rejects.toThrow('timeout');
    await coalescer.publish('t', ['b'], 10);
    expect(rounds.map(topicsOf)).toEqual([['t:a'], ['t:b']]);
  });

  it('answers an empty publish at once without a round', async () => {
    const { send, rounds } = recordingSend();
    await new ProduceCoalescer(send, 1_000).publish('t', [], 0);
    expect(rounds).toHaveLength(0);
  });
});
