/**
 * Seats held for runs that have not assigned them yet, from the tenant ledger (src/ledger). Without one, GET /api/skus
 * leaves `seats.reserved` out and the console hides the column (it shows it as soon as a SKU carries the field).
 */
export interface SeatReservations {
  /** Seats reserved per SKU id (lower case), by runs that have not assigned them yet. */
  reservedSeats(): Promise<Record<string, number>>;
}
