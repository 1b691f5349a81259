import type { Logger } from '../util/log.js';
import type { StageReport } from '../report/run-report.js';

/** Told when a stage starts and ends (progress display, the run's context). */
export interface StageObserver {
  stageStarted?(name: string): void;
  stageEnded?(name: string, seconds: number, failed: boolean): void;
}

/** Runs named stages in order, timing each and logging its start. */
export class StageRunner {
  readonly stages: StageReport[] = [];

  constructor(
    private readonly log: Logger,
    private readonly observer: StageObserver = {},
  ) {}

  async run<T>(name: string, body: () => Promise<T>): Promise<T> {
    const started = performance.now();
    this.log(`stage ${name}`);
    this.observer.stageStarted?.(name);
    let failed = true;
    try {
      const result = await body();
      failed = false;
      return result;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.stages.push({ name, seconds });
      this.observer.stageEnded?.(name, seconds, failed);
    }
  }
}
