export { createApp, type NotifierApp, type NotifierDeps } from './app.js';
export { parseAlertmanagerPayload, noticeKey, labelFingerprint, type AmAlert, type AmPayload, type ParseResult } from './alertmanager.js';
export {
  renderNotice,
  renderDigest,
  worklistOf,
  worklistUnits,
  formatVnTime,
  dashboardLink,
  OVERDUE_LIST_SIZE,
  UNTITLED_ALERT,
  type RenderInput,
  type RenderedNotice,
  type DigestPart,
  type ListedDossier,
  type DossierList,
  type Worklist,
  type Worklists,
} from './render.js';
export {
  Outbox,
  backoffMs,
  type NewNotice,
  type EnqueueOutcome,
  type Delivery,
  type DeliveryView,
  type NoticeView,
  type RetryPolicy,
  type DeliveryState,
} from './outbox.js';
export {
  loadRecipients,
  parseRecipients,
  resolveRecipients,
  RecipientsFileError,
  type RecipientBook,
  type RecipientEntry,
  type Recipient,
} from './recipients.js';
export { createSmtpSender, createWebhookSender, DeliveryError, type Sender, type SmtpOptions } from './delivery.js';
export { liveOverdueReader, type OverdueReader, type OverdueReading } from './overdue.js';
export { officeClock, parseOfficeHours, formatOfficeHours, type OfficeClock, type OfficeHours } from './office.js';
