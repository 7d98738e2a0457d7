import nodemailer from 'nodemailer';
import type { Delivery } from './outbox.js';
import { DvcError } from '@dvc/domain';

/** Thrown when a delivery attempt fails; `retriable` says whether trying again can help. */
export class DeliveryError extends DvcError {
  readonly code = 'DVC_DELIVERY_FAILED';

  constructor(
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Sends one delivery of the outbox; resolves once the receiving side accepted it. */
export type Sender = (delivery: Delivery) => Promise<void>;

export interface SmtpOptions {
  /** smtp://[user:pass@]host:port or smtps://… */
  url: string;
  from: string;
  timeoutMs: number;
}

/** Email over SMTP. 5xx replies are permanent failures; connection problems and 4xx are retried. */
export function createSmtpSender(options: SmtpOptions): { send: Sender; close(): void } {
  const transport = nodemailer.createTransport(options.url, {
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    from: options.from,
  });
  return {
    send: async (d) => {
      try {
        await transport.sendMail({
          to: d.target,
          subject: d.subject,
          text: d.text,
          // Stable per delivery: a receiving system can spot the rare resend after a crash
          // between the server's acceptance and the outbox recording it.
          messageId: `<${d.noticeId}.${d.id}@dvc-notifier>`,
          headers: { 'X-DVC-Notice-Id': d.noticeId },
        });
      } catch (error) {
        const code = (error as { responseCode?: unknown }).responseCode;
        const permanent = typeof code === 'number' && code >= 500 && code < 600;
        throw new DeliveryError(`SMTP ${d.target}: ${(error as Error).message}`, !permanent, { cause: error });
      }
    },
    close: () => transport.close(),
  };
}

/** Generic webhook: POST of the notice as JSON. 4xx other than 408/429 are permanent failures. */
export function createWebhookSender(timeoutMs: number): Sender {
  return async (d) => {
    let res: Response;
    try {
      res = await fetch(d.target, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'idempotency-key': `${d.noticeId}.${d.id}` },
        body: d.webhookBody,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new DeliveryError(`webhook ${d.target}: ${(error as Error).message}`, true, { cause: error });
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return;
    const retriable = res.status >= 500 || res.status === 408 || res.status === 429;
    throw new DeliveryError(`webhook ${d.target}: HTTP ${res.status}`, retriable);
  };
}
