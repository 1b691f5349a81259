import type { Logger } from '../util/log.js';
import type { StageReport } from '../report/run-report.js';

/** Runs named stages in order, timing each and logging its start. */
export class StageRunner {
  readonly stages: StageReport[] = [];

  constructor(private readonly log: Logger) {}

  async run<T>(name: string, body: () => Promise<T>): Promise<T> {
    const started = performance.now();
    this.log(`stage ${name}`);
    try {
      return await body();
    } finally {
      this.stages.push({ name, seconds: (performance.now() - started) / 1000 });
    }
  }
}
