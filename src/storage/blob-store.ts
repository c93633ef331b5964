import type { Readable } from 'node:stream';

/** Content-addressed media storage. Callers never see where bytes live, so S3 can replace the folder. */
export interface BlobStore {
  /** Stores bytes or a file's content; returns its sha256 (hex), which is also its key. */
  put(source: Buffer | { path: string }): Promise<{ key: string; size: number }>;
  has(key: string): Promise<boolean>;
  read(key: string): Promise<Buffer>;
  stream(key: string): Promise<Readable>;
  size(key: string): Promise<number | null>;
  delete(key: string): Promise<void>;
  /** A local path with the content, for tools like ffmpeg (a download for remote stores). */
  localPath(key: string): Promise<string>;
}

export const BLOB_KEY = /^[0-9a-f]{64}$/;
