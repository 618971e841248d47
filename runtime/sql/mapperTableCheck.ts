import type { MapperCheck } from '../../commands/pipeline/pipelineService';
import { ValidationFailure } from '../../domain/failures';
import { schemaOf } from '../../domain/mapper/mapperSpec';
import type { PipelineSettings } from '../../domain/pipeline/pipeline';
import type { SecretBox } from '../../infrastructure/crypto/secretBox';
import type { ReadModels } from '../../projections/readModels';
import { openConnector } from '../workerSpecs';
import { incompatibilityMessage } from './columnCompatibility';
import { liveIncompatibilities } from './liveTableCheck';

/**
 * How long a PATCH waits for the target's table: a few seconds, then it is saved unchecked (the
 * worker refuses a mismatch at start with a permanent reason).
 */
export const MAPPER_TABLE_CHECK_TIMEOUT_MS = 3000;

/** The mapper columns as the check compares them: a change of name or type is what it looks at. */
const columnTypes = (settings: PipelineSettings): string =>
  JSON.stringify(schemaOf(settings.subscriptions[0]?.mapper_config ?? []).map(({ name, type }) => [name, type]));

/**
 * A mapper whose columns the target's existing table cannot take (a PostgreSQL or Oracle column
 * of another type) is refused with a 422 at `['body', 'subscription_mapper_config', <index>,
 * 'cast']`, naming the column, its live type and the mapper's. A mapper whose column names and
 * types did not change is not checked again.
 */
export function mapperTableCheck(views: Pick<ReadModels, 'connectors'>, secrets: SecretBox): MapperCheck {
  return async (pipelineName, next, stored) => {
    if (columnTypes(next) === columnTypes(stored)) return;
    const subscription = next.subscriptions[0];
    const target = openConnector(await views.connectors.get(next.targetConnectorId), secrets);
    if (subscription === undefined || target === undefined) return;
    const table = subscription.target_table_name ?? pipelineName;
    const found = await liveIncompatibilities(target, table, schemaOf(subscription.mapper_config), MAPPER_TABLE_CHECK_TIMEOUT_MS);
    if (found.length === 0) return;
    throw new ValidationFailure(
      found.map((incompatibility) => ({
        loc: ['body', 'subscription_mapper_config', incompatibility.index, 'cast'],
        msg: `table "${table}": ${incompatibilityMessage(incompatibility)}`,
        type: 'value_error.mapper.incompatible_column',
      })),
    );
  };
}
