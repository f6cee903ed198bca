/** Thrown for requests the backend refuses; the HTTP API answers them the way HttpApiHandler answers any exception. */
export class HostApiError extends Error {
  constructor(
    message: string,
    readonly exceptionType: string,
  ) {
    super(message);
  }
}
