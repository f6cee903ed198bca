import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HistoryEvent } from './history';

export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Terminated' | 'Suspended';

export interface InstanceFailureDetails {
  errorType: string;
  errorMessage: string;
}

/** A message waiting to be processed by the instance's next episode. */
export interface InboxMessage {
  /** Completions belong to one execution (generation); they are dropped if the instance has moved on. */
  executionId?: string;
  event: HistoryEvent;
}

export interface ParentLink {
  instanceId: string;
  executionId: string;
  taskScheduledId: number;
}

export interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  runtimeStatus: RuntimeStatus;
  createdTime: number;
  lastUpdatedTime: number;
  failureDetails?: InstanceFailureDetails;
  parent?: ParentLink;
  /** Processed events of the current execution (all IsPlayed = true). */
  history: HistoryEvent[];
  inbox: InboxMessage[];
}

export type InstanceMeta = Pick<
  InstanceRecord,
  'runtimeStatus' | 'output' | 'customStatus' | 'lastUpdatedTime' | 'failureDetails'
>;

type JournalLine =
  | { t: 'put'; record: InstanceRecord }
  | { t: 'inbox'; id: string; message: InboxMessage }
  | { t: 'episode'; id: string; executionId: string; appended: HistoryEvent[]; consumed: number; meta: InstanceMeta }
  | { t: 'meta'; id: string; meta: InstanceMeta }
  | { t: 'purge'; id: string };

const JOURNAL_FILE = 'instances.jsonl';

/**
 * Instances in memory, optionally journalled to `<dir>/instances.jsonl` (one JSON change per line, fsynced
 * in batches by `flush`). On open the journal is replayed and compacted into one `put` line per instance.
 */
export class InstanceStore {
  readonly #instances = new Map<string, InstanceRecord>();
  readonly #journalPath: string | undefined;
  #pending: string[] = [];
  #fd: number | undefined;

  constructor(persistenceDir?: string) {
    if (persistenceDir === undefined) return;
    fs.mkdirSync(persistenceDir, { recursive: true });
    this.#journalPath = path.join(persistenceDir, JOURNAL_FILE);
    this.#load();
    this.#compact();
  }

  get(instanceId: string): InstanceRecord | undefined {
    return this.#instances.get(instanceId);
  }

  all(): IterableIterator<InstanceRecord> {
    return this.#instances.values();
  }

  put(record: InstanceRecord): void {
    this.#instances.set(record.instanceId, record);
    this.#write({ t: 'put', record });
  }

  appendInbox(instanceId: string, message: InboxMessage): void {
    const record = this.#instances.get(instanceId);
    if (!record) return;
    record.inbox.push(message);
    this.#write({ t: 'inbox', id: instanceId, message });
  }

  commitEpisode(instanceId: string, appended: HistoryEvent[], consumed: number, meta: InstanceMeta): void {
    const record = this.#instances.get(instanceId);
    if (!record) return;
    applyEpisode(record, appended, consumed, meta);
    this.#write({ t: 'episode', id: instanceId, executionId: record.executionId, appended, consumed, meta });
  }

  updateMeta(instanceId: string, meta: InstanceMeta): void {
    const record = this.#instances.get(instanceId);
    if (!record) return;
    Object.assign(record, meta);
    this.#write({ t: 'meta', id: instanceId, meta });
  }

  purge(instanceId: string): boolean {
    const existed = this.#instances.delete(instanceId);
    if (existed) this.#write({ t: 'purge', id: instanceId });
    return existed;
  }

  /** Makes every change so far durable (write + fsync). Cheap when nothing changed. */
  flush(): void {
    if (this.#journalPath === undefined || this.#pending.length === 0) return;
    this.#fd ??= fs.openSync(this.#journalPath, 'a');
    fs.writeSync(this.#fd, this.#pending.join(''));
    fs.fsyncSync(this.#fd);
    this.#pending = [];
  }

  close(): void {
    this.flush();
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  #write(line: JournalLine): void {
    if (this.#journalPath === undefined) return;
    this.#pending.push(JSON.stringify(line) + '\n');
  }

  #load(): void {
    const journalPath = this.#journalPath!;
    if (!fs.existsSync(journalPath)) return;
    const lines = fs.readFileSync(journalPath, 'utf8').split('\n');
    for (const text of lines) {
      if (text.trim() === '') continue;
      let line: JournalLine;
      try {
        line = JSON.parse(text) as JournalLine;
      } catch {
        // Only the last line can be torn (the process died mid-write); it was never acknowledged.
        continue;
      }
      this.#apply(line);
    }
  }

  #apply(line: JournalLine): void {
    switch (line.t) {
      case 'put':
        this.#instances.set(line.record.instanceId, line.record);
        break;
      case 'inbox':
        this.#instances.get(line.id)?.inbox.push(line.message);
        break;
      case 'episode': {
        const record = this.#instances.get(line.id);
        if (record && record.executionId === line.executionId)
          applyEpisode(record, line.appended, line.consumed, line.meta);
        break;
      }
      case 'meta': {
        const record = this.#instances.get(line.id);
        if (record) Object.assign(record, line.meta);
        break;
      }
      case 'purge':
        this.#instances.delete(line.id);
        break;
    }
  }

  #compact(): void {
    const journalPath = this.#journalPath!;
    const temporary = `${journalPath}.compacting`;
    const body = [...this.#instances.values()].map((record) => JSON.stringify({ t: 'put', record }) + '\n').join('');
    const fd = fs.openSync(temporary, 'w');
    fs.writeSync(fd, body);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(temporary, journalPath);
  }
}

function applyEpisode(record: InstanceRecord, appended: HistoryEvent[], consumed: number, meta: InstanceMeta): void {
  for (const event of appended) record.history.push(event);
  record.inbox.splice(0, consumed);
  Object.assign(record, meta);
}
