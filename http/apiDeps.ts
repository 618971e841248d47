import type { KeyObject } from 'node:crypto';
import type { CommandDeps } from '../commands/handleCommand';
import type { PasswordHasher } from '../infrastructure/crypto/passwords';
import type { SecretBox } from '../infrastructure/crypto/secretBox';
import type { ReadStore } from '../projections/readStore';
import type { Logger } from '../infrastructure/logger';
import type { ObservabilityReader } from '../runtime/observability/observabilityStore';
import type { LoginThrottle } from './identity/loginThrottle';
import type { Notifier } from './identity/notifier';
import type { TokenIssuer } from './identity/tokens';

/** Everything the routers use, built once by the composition root. */
export interface ApiDeps {
  readonly commands: CommandDeps;
  readonly readStore: ReadStore;
  /** Resolves once the read models reflect the log up to `position` (read-your-writes). */
  readonly waitFor: (position: bigint) => Promise<void>;
  readonly passwords: PasswordHasher;
  readonly tokens: TokenIssuer;
  readonly jwtKey: KeyObject;
  /** Seals connector secrets before they enter an event; opened only for workers and checks. */
  readonly secrets: SecretBox;
  readonly notifier: Notifier;
  readonly loginThrottle: LoginThrottle;
  readonly logger: Logger;
  readonly resetTokenLifetimeSeconds: number;
  /** Workers' metrics and logs, as the runtimes store them. */
  readonly observability: ObservabilityReader;
}
