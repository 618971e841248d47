import type { Logger } from './logger';

/** How a user receives a password-reset token. SMTP can plug in here later. */
export interface Notifier {
  /** `correlationId`: the request's id, so that the operator can match the delivery to the request. */
  sendPasswordReset(email: string, token: string, correlationId: string): Promise<void>;
}

/** The default: the token goes to the server log, where the operator can hand it over. */
export function logNotifier(logger: Logger): Notifier {
  return {
    async sendPasswordReset(email, token, correlationId) {
      logger.info('password reset requested', { requestId: correlationId, email, reset_token: token });
    },
  };
}
