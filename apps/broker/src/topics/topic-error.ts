/** A topic-level failure with the Kafka error code to answer and a message for the client. */
export class TopicError extends Error {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}
