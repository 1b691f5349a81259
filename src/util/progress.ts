import type { Logger } from './log.js';
import { formatPlainStatus, formatTtyStatus, type ProgressState } from './progress-format.js';
import type { BuildProgress } from './run-context.js';

export interface StageHooks {
  stageStarted(name: string): void;
  stageEnded(name: string): void;
}

export interface ProgressStream {
  write(text: string): unknown;
  columns?: number | undefined;
}

interface Timers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface ProgressOptions {
  stream: ProgressStream;
  /** A terminal: one status line redrawn in place. Otherwise a plain line every intervalMs. */
  tty: boolean;
  /** Default: 1 s on a terminal (the clock), 30 s otherwise. */
  intervalMs?: number;
  now?: () => number;
  timers?: Timers;
  prefix?: string;
}

const CLEAR_LINE = '\r\x1b[K';
/** Redraws for compile lines at most this often on a terminal. */
const REDRAW_MS = 100;

const realTimers: Timers = {
  setInterval: (callback, ms) => {
    const handle = setInterval(callback, ms);
    handle.unref();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

interface StageState {
  name: string;
  started: number;
  compiled?: number;
  total?: number;
  totalUnknown: boolean;
  current?: string | undefined;
}

/**
 * Shows long work while it runs. On a terminal: the current stage, its elapsed time and the
 * compile count (out of the total when known) on one line redrawn in place, cleared for every
 * log message. Without a terminal (CI): `original-build: 2m30s, 412 objects compiled` every 30 s.
 */
export class ProgressReporter implements StageHooks, BuildProgress {
  private stage: StageState | undefined;
  private shown = false;
  private timer: unknown;
  private lastDraw = 0;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly intervalMs: number;
  private readonly prefix: string;

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? (() => Date.now());
    this.timers = options.timers ?? realTimers;
    this.intervalMs = options.intervalMs ?? (options.tty ? 1000 : 30_000);
    this.prefix = options.prefix ?? '[tsbuild-patch] ';
  }

  stageStarted(name: string): void {
    this.stopTimer();
    this.clear();
    this.stage = { name, started: this.now(), totalUnknown: false };
    this.timer = this.timers.setInterval(() => this.tick(), this.intervalMs);
    this.draw();
  }

  stageEnded(name: string): void {
    if (this.stage?.name !== name) return;
    this.stopTimer();
    this.clear();
    this.stage = undefined;
  }

  buildStarted(total: number | undefined): void {
    const stage = this.stage;
    if (!stage) return;
    stage.compiled ??= 0;
    if (total === undefined) stage.totalUnknown = true;
    else stage.total = (stage.total ?? 0) + total;
    this.draw();
  }

  compiled(object: string): void {
    const stage = this.stage;
    if (!stage) return;
    stage.compiled = (stage.compiled ?? 0) + 1;
    stage.current = object;
    if (this.now() - this.lastDraw >= REDRAW_MS) this.draw();
  }

  buildEnded(): void {
    if (this.stage) this.stage.current = undefined;
    this.draw();
  }

  /** The state shown now (undefined between stages). */
  state(): ProgressState | undefined {
    const stage = this.stage;
    if (!stage) return undefined;
    const total =
      stage.totalUnknown || stage.total === undefined ? undefined : Math.max(stage.total, stage.compiled ?? 0);
    return {
      stage: stage.name,
      elapsedMs: this.now() - stage.started,
      compiled: stage.compiled,
      total,
      current: stage.current,
    };
  }

  /** The timer: redraw the terminal's line (the clock moves), or write a plain line. */
  tick(): void {
    if (this.options.tty) this.draw();
    else {
      const state = this.state();
      if (state) this.options.stream.write(`${this.prefix}${formatPlainStatus(state)}\n`);
    }
  }

  /** A logger whose messages do not collide with the status line. */
  logger(base: Logger): Logger {
    return (message) => {
      this.clear();
      base(message);
      this.draw();
    };
  }

  /** Stop the timer and take the status line off the screen. */
  stop(): void {
    this.stopTimer();
    this.clear();
    this.stage = undefined;
  }

  private draw(): void {
    if (!this.options.tty) return;
    const state = this.state();
    if (!state) return;
    this.options.stream.write(
      `${CLEAR_LINE}${this.prefix}${formatTtyStatus(state, (this.options.stream.columns || 80) - this.prefix.length)}`,
    );
    this.shown = true;
    this.lastDraw = this.now();
  }

  private clear(): void {
    if (!this.shown) return;
    this.options.stream.write(CLEAR_LINE);
    this.shown = false;
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.timers.clearInterval(this.timer);
    this.timer = undefined;
  }
}
