/** One line of the benchmark table. */
export interface BenchRow {
  benchmark: string;
  case: string;
  metric: string;
  value: number;
  unit: string;
  /** Optional ratio against a baseline measured in the same run (the machine is shared and noisy). */
  ratio?: { value: number; against: string };
  /** An issue's target for this figure: met when the value is at most (`max`) or at least (`min`) it. */
  target?: { max?: number; min?: number; issue?: string };
  /** The figure it is compared with, measured in the same run (a direct call, or the path before a change). */
  baseline?: {
    value: number;
    label: string;
    /** Its unit, when not the row's (a ratio's baseline is a time). */
    unit?: string;
  };
}

export interface Benchmark {
  name: string;
  /** Needs Redis/Kafka (started by scripts/services.sh up) when true. */
  needsServices?: boolean;
  run(): Promise<BenchRow[]>;
}

/** Whether a row meets its target (undefined when it has none). */
export function targetMet(row: BenchRow): boolean | undefined {
  if (!row.target) return undefined;
  if (row.target.max !== undefined && !(row.value <= row.target.max)) return false;
  if (row.target.min !== undefined && !(row.value >= row.target.min)) return false;
  return true;
}
