/**
 * Azurite's blob service, made to survive SIGKILL: run as `node durable-azurite.js <azurite blob arguments>`.
 *
 * Azurite keeps blob and extent metadata in LokiJS databases that it saves to disk every 5 seconds, so killing it
 * loses the last seconds of writes even though it had answered 201 for them. The workflow relies on a write being
 * there once storage acknowledged it (the runtime journals "activity completed" right after), so this entry makes
 * every LokiJS file save synchronous and saves changed databases before any HTTP response leaves the process:
 * acknowledged writes are on disk. Data files (extents) are already written before Azurite records them.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';

/** The LokiJS instance surface used here (lokijs ships no types). */
interface LokiDatabase {
  filename: string;
  persistenceMethod?: string;
  serialize(): string;
  autosaveDirty(): boolean;
  autosaveClearFlags(): void;
  // Properties rather than methods: they are captured and re-called with .call/.apply on the same instances.
  saveDatabase: (this: LokiDatabase, callback?: (error?: unknown) => void) => void;
  configureOptions: (this: LokiDatabase, ...args: unknown[]) => unknown;
}

interface LokiConstructor {
  prototype: LokiDatabase;
}

const databases = new Set<LokiDatabase>();

function writeDurably(file: string, contents: string): void {
  const temporary = `${file}.sync~`;
  const descriptor = fs.openSync(temporary, 'w');
  try {
    fs.writeSync(descriptor, contents);
    fs.fsyncSync(descriptor);
  } finally {
    fs.closeSync(descriptor);
  }
  fs.renameSync(temporary, file);
}

function installSynchronousSaves(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- patched before Azurite loads it
  const Loki = require('lokijs') as LokiConstructor;
  const originalConfigure = Loki.prototype.configureOptions;
  Loki.prototype.configureOptions = function (this: LokiDatabase, ...args: unknown[]): unknown {
    databases.add(this);
    return originalConfigure.apply(this, args);
  };
  const originalSave = Loki.prototype.saveDatabase;
  Loki.prototype.saveDatabase = function (this: LokiDatabase, callback?: (error?: unknown) => void): void {
    if (this.persistenceMethod !== 'fs') {
      originalSave.call(this, callback);
      return;
    }
    // Synchronous, so an autosave can never finish after (and overwrite) a newer save.
    let failure: unknown = null;
    try {
      writeDurably(this.filename, this.serialize());
      this.autosaveClearFlags();
    } catch (error) {
      failure = error;
    }
    if (typeof callback === 'function') process.nextTick(callback, failure);
  };
}

function saveChangedDatabases(): void {
  for (const database of databases) {
    if (database.persistenceMethod === 'fs' && database.autosaveDirty()) database.saveDatabase();
  }
}

function saveBeforeResponding(): void {
  const response = http.ServerResponse.prototype;
  /* eslint-disable @typescript-eslint/unbound-method -- re-applied to the same responses below */
  const originalWriteHead = response.writeHead;
  const originalEnd = response.end;
  /* eslint-enable @typescript-eslint/unbound-method */
  response.writeHead = function (this: http.ServerResponse, ...args: unknown[]): http.ServerResponse {
    saveChangedDatabases();
    return (originalWriteHead as (...a: unknown[]) => http.ServerResponse).apply(this, args);
  } as typeof response.writeHead;
  response.end = function (this: http.ServerResponse, ...args: unknown[]): http.ServerResponse {
    saveChangedDatabases();
    return (originalEnd as (...a: unknown[]) => http.ServerResponse).apply(this, args);
  } as typeof response.end;
}

installSynchronousSaves();
saveBeforeResponding();
// Azurite reads its options from process.argv; the arguments given to this script are already there.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- starts Azurite after the patches above
require('azurite/dist/src/blob/main.js');
