/**
 * The tenant registry: one document per tenant under `registry/tenants/{tenantId}.json`. One document each (not one
 * list) so two operators adding two customers at once never overwrite each other. The home tenant is always
 * present: read from its document when one was stored (a display name, limits), else described from the settings.
 */
import { currentIso, type Clock } from '../clock';
import { normalizeTenantId, type ConsentRecord, type TenantBody, type TenantRecord } from '../domain/tenancy';
import type { DocumentStore } from '../storage/document-store';

const PREFIX = 'registry/tenants/';

export interface TenantRegistryOptions {
  homeTenantId: string;
  clock: Pick<Clock, 'now'>;
  /** How long a read record may be reused by activities (each activity looks its tenant's limits up). */
  cacheMs?: number;
}

export class TenantRegistry {
  private readonly cache = new Map<string, { at: number; record: TenantRecord | undefined }>();

  constructor(
    private readonly store: DocumentStore,
    private readonly options: TenantRegistryOptions,
  ) {}

  get homeTenantId(): string {
    return normalizeTenantId(this.options.homeTenantId);
  }

  isHome(tenantId: string | undefined): boolean {
    return tenantId === undefined || normalizeTenantId(tenantId) === this.homeTenantId;
  }

  private path(tenantId: string): string {
    return `${PREFIX}${normalizeTenantId(tenantId)}.json`;
  }

  private homeRecord(stored: TenantRecord | undefined): TenantRecord {
    const at = currentIso(this.options.clock);
    return {
      displayName: 'Home tenant',
      limits: {},
      createdAt: at,
      updatedAt: at,
      ...stored,
      tenantId: this.homeTenantId,
      home: true,
      // The managed identity's own tenant: its permissions are granted by the deployment (docs/deploy.md).
      consent: { status: 'granted' },
    };
  }

  async get(tenantId: string | undefined): Promise<TenantRecord | undefined> {
    const id = tenantId === undefined ? this.homeTenantId : normalizeTenantId(tenantId);
    const stored = await this.store.read<TenantRecord>(this.path(id));
    return id === this.homeTenantId ? this.homeRecord(stored) : stored;
  }

  /** `get`, reusing a record read in the last `cacheMs` (activities of a run read it often, it rarely changes). */
  async cached(tenantId: string | undefined): Promise<TenantRecord | undefined> {
    const id = tenantId === undefined ? this.homeTenantId : normalizeTenantId(tenantId);
    const now = this.options.clock.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < (this.options.cacheMs ?? 30_000)) return hit.record;
    const record = await this.get(id);
    this.cache.set(id, { at: now, record });
    return record;
  }

  async list(): Promise<TenantRecord[]> {
    const paths = await this.store.list(PREFIX);
    const records = await Promise.all(paths.map((path) => this.store.read<TenantRecord>(path)));
    const others = records.filter((r): r is TenantRecord => r !== undefined && r.tenantId !== this.homeTenantId);
    const home = await this.get(undefined);
    return [...(home ? [home] : []), ...others.sort((a, b) => a.displayName.localeCompare(b.displayName))];
  }

  /** Creates or updates a tenant; consent stays as last checked (a new tenant starts as not yet checked). */
  async put(tenantId: string, body: TenantBody): Promise<{ record: TenantRecord; created: boolean }> {
    const id = normalizeTenantId(tenantId);
    const existing = await this.store.read<TenantRecord>(this.path(id));
    const at = currentIso(this.options.clock);
    const record: TenantRecord = {
      tenantId: id,
      displayName: body.displayName,
      home: id === this.homeTenantId,
      consent: existing?.consent ?? { status: 'unknown' },
      limits: body.limits ?? {},
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
    };
    if (body.defaultDomain) record.defaultDomain = body.defaultDomain;
    await this.store.write(this.path(id), record);
    this.cache.delete(id);
    return { record: record.home ? this.homeRecord(record) : record, created: !existing };
  }

  async recordConsent(tenantId: string, consent: ConsentRecord, defaultDomain?: string): Promise<TenantRecord> {
    const id = normalizeTenantId(tenantId);
    const existing = await this.get(id);
    if (!existing) throw new Error(`Tenant ${id} is not registered.`);
    const record: TenantRecord = { ...existing, consent, updatedAt: currentIso(this.options.clock) };
    if (defaultDomain && !record.defaultDomain) record.defaultDomain = defaultDomain;
    if (!record.home) await this.store.write(this.path(id), record);
    this.cache.delete(id);
    return record;
  }

  /** False when there was nothing to delete. The home tenant cannot be deleted (the caller refuses first). */
  async delete(tenantId: string): Promise<boolean> {
    const id = normalizeTenantId(tenantId);
    const existing = await this.store.read<TenantRecord>(this.path(id));
    if (!existing) return false;
    await this.store.delete(this.path(id));
    this.cache.delete(id);
    return true;
  }
}
