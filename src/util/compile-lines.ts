/** kbuild's quiet output: `  CC      fs/proc/version.o`, `  CC [M]  fs/ext4/inode.o`, `  AS      ...o`. */
const COMPILE_LINE = /^ {2}(?:CC|AS)(?: \[M\])? +(\S+\.o)\s*$/;

/** The object a kbuild output line says is being compiled, or undefined. */
export function compiledObject(line: string): string | undefined {
  return COMPILE_LINE.exec(line)?.[1];
}

/** Splits a stream of output chunks into lines (the last, unfinished one is kept until more comes). */
export class LineSplitter {
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string | Buffer): void {
    const parts = (this.rest + chunk.toString()).split('\n');
    this.rest = parts.pop() ?? '';
    for (const part of parts) this.onLine(part.replace(/\r$/, ''));
  }

  end(): void {
    if (this.rest) this.onLine(this.rest);
    this.rest = '';
  }
}
