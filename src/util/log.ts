/** Progress messages for people go to stderr so stdout stays machine-readable (--json). */
export type Logger = (message: string) => void;

export const stderrLogger: Logger = (message) => {
  process.stderr.write(`[tsbuild-patch] ${message}\n`);
};

export const silentLogger: Logger = () => {};
