import type { KeyObject } from 'node:crypto';
import type { PipelineDeps } from '../commands/pipeline/pipelineService';
import type { PasswordHasher } from '../infrastructure/crypto/passwords';
import type { LogReplacer } from '../commands/installation/installationReplace';
import type { ArchivedLog } from '../commands/installation/sqliteLogFiles';
import type { ReadModels } from '../projections/readModels';
import type { ReadStore } from '../projections/readStore';
import type { Logger } from '../infrastructure/logger';
import type { ObservabilityReader } from '../runtime/observability/observabilityStore';
import type { LoginThrottle } from './identity/loginThrottle';
import type { Notifier } from '../infrastructure/notifier';
import type { TokenIssuer } from './identity/tokens';

/** Everything the routers use, built once by the composition root. */
export interface ApiDeps extends PipelineDeps {
  /** The typed read models every query goes through. */
  readonly views: ReadModels;
  /** The store under them, for the installation export and the health checks. */
  readonly readStore: ReadStore;
  readonly passwords: PasswordHasher;
  readonly tokens: TokenIssuer;
  readonly jwtKey: KeyObject;
  readonly notifier: Notifier;
  readonly loginThrottle: LoginThrottle;
  readonly logger: Logger;
  readonly resetTokenLifetimeSeconds: number;
  /** Workers' metrics and logs, as the runtimes store them. */
  readonly observability: ObservabilityReader;
  /**
   * Replacing the whole log, where this process can (a single-process installation on the
   * embedded log); absent otherwise: `mode=replace` then answers 409 REPLACE_UNAVAILABLE.
   */
  readonly installationLog?: {
    readonly replacer: LogReplacer;
    readonly archives: () => readonly ArchivedLog[];
  };
}
