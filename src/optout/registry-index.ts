/**
 * The registry as every API and worker process holds it: the text index, the reference-image hash
 * index and the reference faces, kept current by polling the change feed (optout_changes) and
 * applying only the entries that changed. A process whose polls keep failing stops answering
 * (fail closed) rather than enforce a registry older than the propagation promise.
 */
import type { Logger } from 'pino';
import type { Database } from '../db/database';
import { Unavailable } from '../http/errors';
import { buildTextIndex, ImageHashIndex, type ProtectedEntry, type TextIndex } from './matching';
import { optoutRepository, type EntryRow, type FaceRow, type ImageRow } from './optout-repository';
import { bytesToDescriptor, unseal } from './sealed';

export interface IndexedEntry extends ProtectedEntry {
  /** The licensee account ids as a set, for image and face matches (text matches use the index's own check). */
  licenseeSet: Set<string>;
}

export interface RegistryIndexOptions {
  db: Database;
  masterKey: Buffer;
  logger: Logger;
  pollMs?: number;
  /** How stale the index may get (failed polls) before checks refuse to answer. */
  maxStalenessMs?: number;
}

export function toProtectedEntry(r: EntryRow): ProtectedEntry {
  return {
    id: r.id,
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    kind: r.kind,
    canonicalName: r.canonical_name,
    aliases: r.aliases,
    descriptions: r.descriptions,
    policy: r.policy,
    licensees: r.licensees.map((l) => l.id),
  };
}

export const faceContext = (faceId: string): string => `optout.face:${faceId}`;

// The index's delta grows with every upsert; re-pack it after this many incremental changes.
const REBUILD_AFTER = 5000;
// Building the text index from scratch costs about what 4,000 upserts do (measured: 10,000 entries
// build in 2.8 s, upsert one by one in 6.3 s), so a bigger batch (a bulk import) reloads everything.
const FULL_RELOAD_OVER = 2000;

export class RegistryIndex {
  private text: TextIndex = buildTextIndex([]);
  private images = new ImageHashIndex();
  private faces = new Map<string, Float32Array[]>();
  private entries = new Map<string, IndexedEntry>();
  private version = 0;
  private sinceRebuild = 0;
  private lastFresh = 0;
  private loading: Promise<void> | null = null;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly pollMs: number;
  private readonly maxStalenessMs: number;

  constructor(private readonly opts: RegistryIndexOptions) {
    this.pollMs = opts.pollMs ?? 1000;
    this.maxStalenessMs = opts.maxStalenessMs ?? 10_000;
  }

  /** Starts the first full load and the poller; safe to call once per process. */
  start(): void {
    this.loading ??= this.serial(() => this.fullLoad());
    this.loading.catch((e: unknown) =>
      this.opts.logger.error({ err: e }, 'opt-out registry: first load failed'),
    );
    const tick = (): void => {
      if (this.closed) return;
      this.refresh()
        .catch((e: unknown) => this.opts.logger.warn({ err: e }, 'opt-out registry: poll failed'))
        .finally(() => {
          if (!this.closed) this.timer = setTimeout(tick, this.pollMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.pollMs).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.chain.catch(() => undefined);
  }

  /** Resolves when the index is loaded and fresh enough to enforce; otherwise a 503. */
  async ready(): Promise<void> {
    if (!this.loading) this.start();
    try {
      await this.loading;
    } catch {
      this.loading = this.serial(() => this.fullLoad());
      await this.loading.catch(() => {
        throw new Unavailable(
          'registry_unavailable',
          'The opt-out registry could not be loaded; try again shortly.',
        );
      });
    }
    if (Date.now() - this.lastFresh > this.maxStalenessMs) {
      // One synchronous attempt before refusing: the poller may simply not have run yet.
      await this.refresh().catch(() => undefined);
      if (Date.now() - this.lastFresh > this.maxStalenessMs) {
        throw new Unavailable(
          'registry_stale',
          'The opt-out registry could not be refreshed; checks are paused until it can.',
        );
      }
    }
  }

  /** Applies every change committed since the last poll (also called right after this process writes). */
  refresh(): Promise<void> {
    return this.serial(async () => {
      if (!this.loading) return;
      await this.loading;
      if (Date.now() - this.lastFresh > this.maxStalenessMs) {
        // Cut off for longer than the staleness bound: reload everything rather than replay a long feed.
        await this.fullLoad();
        return;
      }
      const latest = await optoutRepository.latestChange(this.opts.db);
      if (latest > this.version) {
        const ids = await optoutRepository.changedSince(this.opts.db, this.version, latest);
        if (ids.length > FULL_RELOAD_OVER) {
          await this.fullLoad();
          return;
        }
        await this.apply(ids);
        this.version = latest;
      }
      this.lastFresh = Date.now();
    });
  }

  get registryVersion(): number {
    return this.version;
  }

  get size(): number {
    return this.entries.size;
  }

  textIndex(): TextIndex {
    return this.text;
  }

  imageIndex(): ImageHashIndex {
    return this.images;
  }

  entry(id: string): IndexedEntry | undefined {
    return this.entries.get(id);
  }

  referenceFaces(): Map<string, Float32Array[]> {
    return this.faces;
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async fullLoad(): Promise<void> {
    const { db } = this.opts;
    // The version is read first: a change committed during the load is applied again by the next poll.
    const version = await optoutRepository.latestChange(db);
    const [rows, images, faces] = await Promise.all([
      optoutRepository.activeEntries(db),
      optoutRepository.allImages(db),
      optoutRepository.allFaces(db),
    ]);
    const entries = new Map<string, IndexedEntry>();
    for (const r of rows) entries.set(r.id, indexed(toProtectedEntry(r)));
    const imageIndex = new ImageHashIndex();
    for (const i of images) addImage(imageIndex, i);
    const faceMap = new Map<string, Float32Array[]>();
    for (const f of faces) this.addFace(faceMap, f);
    this.text = buildTextIndex([...entries.values()].map(plain));
    this.images = imageIndex;
    this.faces = faceMap;
    this.entries = entries;
    this.version = version;
    this.sinceRebuild = 0;
    this.lastFresh = Date.now();
  }

  private async apply(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const { db } = this.opts;
    const rows = await optoutRepository.entriesByIds(db, ids);
    const active = rows.filter((r) => r.status === 'active').map((r) => r.id);
    const [images, faces] = await Promise.all([
      optoutRepository.imagesOf(db, active),
      optoutRepository.facesOf(db, active),
    ]);
    const found = new Set(rows.map((r) => r.id));
    for (const id of ids) if (!found.has(id)) this.drop(id);
    for (const r of rows) {
      this.images.remove(r.id);
      this.faces.delete(r.id);
      if (r.status !== 'active') {
        this.drop(r.id);
        continue;
      }
      const e = indexed(toProtectedEntry(r));
      this.entries.set(r.id, e);
      this.text.upsert(plain(e));
    }
    for (const i of images) addImage(this.images, i);
    for (const f of faces) this.addFace(this.faces, f);
    this.sinceRebuild += ids.length;
    if (this.sinceRebuild >= REBUILD_AFTER) {
      this.text.rebuild();
      this.sinceRebuild = 0;
    }
  }

  private drop(id: string): void {
    this.entries.delete(id);
    this.text.remove(id);
    this.images.remove(id);
    this.faces.delete(id);
  }

  private addFace(map: Map<string, Float32Array[]>, f: FaceRow): void {
    try {
      const d = bytesToDescriptor(
        unseal(this.opts.masterKey, faceContext(f.id), {
          wrappedKey: f.wrapped_key,
          sealed: f.descriptor_sealed,
        }),
      );
      const list = map.get(f.entry_id);
      if (list) list.push(d);
      else map.set(f.entry_id, [d]);
    } catch (e) {
      // A face sealed under another master key cannot be used; every other part of the entry still is.
      this.opts.logger.error({ faceId: f.id, err: e }, 'opt-out registry: reference face cannot be unsealed');
    }
  }
}

function indexed(e: ProtectedEntry): IndexedEntry {
  return { ...e, licenseeSet: new Set(e.licensees) };
}

function plain(e: IndexedEntry): ProtectedEntry {
  const { licenseeSet: _unused, ...rest } = e;
  return rest;
}

function addImage(index: ImageHashIndex, i: ImageRow): void {
  index.add(i.entry_id, i.phash);
  index.add(i.entry_id, i.phash_flipped);
  for (let o = 0; o + 32 <= i.phash_crops.length; o += 32)
    index.add(i.entry_id, i.phash_crops.subarray(o, o + 32));
}
