/** One line of the benchmark table. `baseline` names the row of the same run this one is compared with. */
export interface BenchRow {
  benchmark: string;
  case: string;
  metric: string;
  value: number;
  unit: string;
  /** Optional ratio against a baseline measured in the same run (the machine is shared and noisy). */
  ratio?: { value: number; against: string };
}

export interface Benchmark {
  name: string;
  /** Needs Redis/Kafka (started by scripts/services.sh up) when true. */
  needsServices?: boolean;
  run(): Promise<BenchRow[]>;
}
