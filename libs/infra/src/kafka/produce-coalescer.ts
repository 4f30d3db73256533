/** Records ready for one topic, in the order they must keep. */
export interface TopicRecords<M> {
  topic: string;
  messages: M[];
}

/** Sends one produce round (one request per broker): every topic's records, each list in its order. */
export type SendRound<M> = (round: Array<TopicRecords<M>>) => Promise<void>;

interface Waiting<M> extends TopicRecords<M> {
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Joins the publishes made in one event-loop turn into one produce round, up to `maxBytes` a round (callers are
 * never split: each brings at most what the broker takes in one request). Many small outboxes finishing together
 * (individual requests under load: one record each) then cost one produce request instead of one each. Rounds are
 * sent one after another; publishes made while a round is in flight wait for it and leave together in the next.
 *
 * A joined round that fails is sent again caller by caller, in order, so each caller gets its own answer (one
 * too-large record, one refused topic) and nobody's records are reported failed for another's.
 */
export class ProduceCoalescer<M> {
  private waiting: Array<Waiting<M>> = [];
  private scheduled = false;
  private sending = false;

  constructor(
    private readonly send: SendRound<M>,
    private readonly maxBytes: number,
  ) {}

  /** Resolves once `messages` were accepted by the broker, rejects with the send's error. */
  publish(topic: string, messages: M[], bytes: number): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ topic, messages, bytes, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.sending) return;
    this.scheduled = true;
    // setImmediate runs after the turn's I/O callbacks and their promise continuations: every drain woken by the
    // same Redis read has published by then.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.sending = true;
    try {
      while (this.waiting.length > 0) {
        const round = this.takeRound();
        await this.sendRound(round);
      }
    } finally {
      this.sending = false;
    }
  }

  /** The longest prefix of the waiting callers within `maxBytes` (at least one). */
  private takeRound(): Array<Waiting<M>> {
    let bytes = 0;
    let count = 0;
    for (const caller of this.waiting) {
      if (count > 0 && bytes + caller.bytes > this.maxBytes) break;
      bytes += caller.bytes;
      count += 1;
    }
    return this.waiting.splice(0, count);
  }

  private async sendRound(round: Array<Waiting<M>>): Promise<void> {
    try {
      await this.send(round.map(({ topic, messages }) => ({ topic, messages })));
      for (const caller of round) caller.resolve();
      return;
    } catch (err) {
      if (round.length === 1) {
        round[0].reject(err);
        return;
      }
    }
    for (const caller of round) {
      try {
        await this.send([{ topic: caller.topic, messages: caller.messages }]);
        caller.resolve();
      } catch (err) {
        caller.reject(err);
      }
    }
  }
}
