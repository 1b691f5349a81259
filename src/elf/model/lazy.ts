/**
 * A value decoded on first use and replaceable afterwards. The reader hands the model lazies
 * so that opening a big file decodes only what a caller touches.
 */
export class Lazy<T> {
  private value: T | undefined;
  private decode: (() => T) | undefined;

  constructor(decode: () => T) {
    this.decode = decode;
  }

  static of<T>(value: T): Lazy<T> {
    const lazy = new Lazy<T>(() => value);
    lazy.get();
    return lazy;
  }

  get(): T {
    if (this.decode !== undefined) {
      const decode = this.decode;
      this.value = decode();
      this.decode = undefined;
    }
    return this.value as T;
  }

  set(value: T): void {
    this.value = value;
    this.decode = undefined;
  }

  /** True once the value has been decoded or set. */
  get isResolved(): boolean {
    return this.decode === undefined;
  }
}
