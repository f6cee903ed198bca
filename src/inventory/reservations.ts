/**
 * Seats held for runs that have not assigned them yet. The per-tenant seat ledger (work in progress elsewhere) will
 * provide them; until an app is composed with one, GET /api/skus leaves `seats.reserved` out and the console hides
 * the column (it shows the column as soon as a SKU carries the field).
 */
export interface SeatReservations {
  /** Seats reserved per SKU id (lower case), by runs that have not assigned them yet. */
  reservedSeats(): Promise<Record<string, number>>;
}
