/** Thrown by the reader and the decoders for any input that is not a valid encoding. */
export class DecodeError extends Error {
  constructor(message: string) {
    // No stack: hostile or corrupt packets make this the common path, capturing a stack costs ~4× the
    // rest of the throw, and the message already names the field that failed.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}
DecodeError.prototype.name = 'DecodeError';
