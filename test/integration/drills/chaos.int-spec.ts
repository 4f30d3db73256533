import { describe, expect, it } from '@jest/globals';
import { chaosTable, runChaosDrill } from '../../chaos/chaos-drill.js';

// The small run of the chaos drill (`npm run drill -- chaos` is the full one): the built apps as processes on a
// throwaway Redis (AOF) and a throwaway Kafka broker, random SIGKILLs of api, workers, cj-integration and Redis,
// provider faults. Seeded; the Kafka broker is not killed here (its restart alone takes ~20 s).
describe('drill: chaos (small)', () => {
  it('ends every assessment and batch with no duplicate, orphan or lost work', async () => {
    const report = await runChaosDrill({
      seed: 7,
      assessments: 4,
      essaysPerAssessment: 6,
      batches: 4,
      comparisonsPerBatch: 10,
      kills: 5,
      killEveryMs: 1_500,
      settleTimeoutMs: 90_000,
      killKafka: false,
      log: () => undefined,
    });
    const table = chaosTable(report);
    expect({ problems: report.problems, table }).toEqual({ problems: [], table });
    expect(report.duplicates).toBe(0);
    expect(report.orphans).toBe(0);
    expect(report.lost).toBe(0);
    expect(report.assessments.completed + report.assessments.failed).toBe(4);
  }, 240_000);
});
