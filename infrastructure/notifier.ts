import type { Logger } from './logger';

/** How a user receives a password-reset token. SMTP can plug in here later. */
export interface Notifier {
  sendPasswordReset(email: string, token: string): Promise<void>;
}

/** The default: the token goes to the server log, where the operator can hand it over. */
export function logNotifier(logger: Logger): Notifier {
  return {
    async sendPasswordReset(email, token) {
      logger.info('password reset requested', { email, reset_token: token });
    },
  };
}
