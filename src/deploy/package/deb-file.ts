/** One file a Debian package installs. */
export interface DebFile {
  /** A file on this machine, or the content itself. */
  from: { path: string } | { content: string | Uint8Array };
  /** Absolute path on the target. */
  to: string;
  mode: number;
}
