import { errorMessage } from '../domain/values';
import { invalidArgument } from './errors';
import type { GraphReader } from './reads';
import type { GraphTransport } from './transport';

/** Writes to a user object other than its licenses: usage location, and asking group licensing to run again. */
export class UserWrites {
  constructor(
    private readonly transport: GraphTransport,
    private readonly reader: GraphReader,
  ) {}

  async setUsageLocation(userId: string, countryCode: string): Promise<void> {
    const code = countryCode.trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(code)) {
      throw invalidArgument(`usageLocation ${JSON.stringify(countryCode)} is not a two-letter ISO 3166 code.`);
    }
    // Setting the same location twice is harmless, so this write may be retried like a read.
    await this.transport.request({
      method: 'PATCH',
      path: this.userPath(userId),
      body: { usageLocation: code },
      operation: 'setUsageLocation',
      resourceUnits: 1,
      writes: 1,
    });
  }

  async reprocessLicenseAssignment(userId: string): Promise<void> {
    // Reprocessing twice evaluates the same groups twice, so this write may be retried like a read.
    await this.transport.request({
      method: 'POST',
      path: `${this.userPath(userId)}/reprocessLicenseAssignment`,
      operation: 'reprocessLicenseAssignment',
      resourceUnits: 1,
      writes: 1,
    });
  }

  private userPath(userId: string): string {
    try {
      return this.reader.userPath(userId).replace(/\?.*$/, '');
    } catch (error) {
      throw invalidArgument(errorMessage(error));
    }
  }
}
