import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { NotFound } from '../http/errors';
import { BLOB_KEY, type BlobStore } from './blob-store';

/** Objects live at <root>/ab/cd/<sha256>; writes go to a temp file and are renamed into place. */
export function createLocalBlobStore(root: string): BlobStore {
  fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });

  const pathOf = (key: string): string => {
    if (!BLOB_KEY.test(key)) throw new NotFound('blob_not_found', 'No stored object has this key.');
    return path.join(root, key.slice(0, 2), key.slice(2, 4), key);
  };

  async function commit(tmp: string, key: string, size: number) {
    const dest = pathOf(key);
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    await fsp.rename(tmp, dest);
    return { key, size };
  }

  return {
    async put(source) {
      const tmp = path.join(root, 'tmp', `${process.pid}-${crypto.randomUUID()}`);
      try {
        if (Buffer.isBuffer(source)) {
          const key = crypto.createHash('sha256').update(source).digest('hex');
          await fsp.writeFile(tmp, source, { mode: 0o640 });
          return await commit(tmp, key, source.length);
        }
        const hash = crypto.createHash('sha256');
        let size = 0;
        const input = fs.createReadStream(source.path);
        input.on('data', (d) => {
          hash.update(d);
          size += d.length;
        });
        await pipeline(input, fs.createWriteStream(tmp, { mode: 0o640 }));
        return await commit(tmp, hash.digest('hex'), size);
      } finally {
        await fsp.rm(tmp, { force: true });
      }
    },
    async has(key) {
      try {
        await fsp.access(pathOf(key));
        return true;
      } catch {
        return false;
      }
    },
    async read(key) {
      try {
        return await fsp.readFile(pathOf(key));
      } catch {
        throw new NotFound('blob_not_found', 'No stored object has this key.');
      }
    },
    async stream(key) {
      const p = pathOf(key);
      await fsp.access(p).catch(() => {
        throw new NotFound('blob_not_found', 'No stored object has this key.');
      });
      return fs.createReadStream(p);
    },
    async size(key) {
      try {
        return (await fsp.stat(pathOf(key))).size;
      } catch {
        return null;
      }
    },
    async delete(key) {
      await fsp.rm(pathOf(key), { force: true });
    },
    async localPath(key) {
      const p = pathOf(key);
      await fsp.access(p).catch(() => {
        throw new NotFound('blob_not_found', 'No stored object has this key.');
      });
      return p;
    },
  };
}
